"""Loaders of the official sources: SAE, FINESS, INSEE populations, IGN boundaries."""
