"""The French words and numbers every output writes: the services and capacity units named, numbers the French way,
counts in agreement, minutes, and what an unknown value says."""

from __future__ import annotations

import math

import numpy as np

SERVICE_NAMES = {
    "MSP": "Maisons de santé pluriprofessionnelles",
    "HAD": "Hospitalisation à domicile",
    "EMSP": "Équipes mobiles de soins palliatifs",
    "USP": "Unités de soins palliatifs",
    "LISP": "Lits identifiés de soins palliatifs",
}
UNIT_NAMES = {"structure": "structure", "places": "place", "team": "équipe", "beds": "lit"}
"""The French word of each capacity unit, singular: :func:`agreed` gives it its number."""
MCO_UNKNOWN = "non disponible (un site de LISP sans le détail par secteur, d'une liste de sites)"
NEED_UNKNOWN = "non disponible (la source des décès ne donne pas ce département)"


def need_text(column: str, value: float) -> str:
    """A count of deaths or a supply per deaths in French; « non disponible » where unknown."""
    if value is None or not np.isfinite(float(value)):
        return "non disponible"
    return french_number(float(value), 0 if column in ("deaths", "deaths_75_plus", "cancer_deaths") else 1)


def mco_beds_text(beds: float) -> str:
    """LISP beds in MCO as counted text, or why they are not available."""
    return counted(beds, "lit") if np.isfinite(beds) else MCO_UNKNOWN


def french_number(value: float, decimals: int = 0) -> str:
    """Format a number the French way: narrow no-break space for thousands, comma for decimals."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def agreed(value: float, word: str) -> str:
    """A French noun agreeing with the number before it: singular below 2 (« 1 équipe », « 0 lit », « 2 sites »)."""
    return word if abs(value) < 2 else word + "s"


def counted(value: float, word: str) -> str:
    """« 1 équipe », « 12 lits », « 2 sites »: a count and its noun in agreement."""
    return f"{french_number(value)} {agreed(value, word)}"


def capacity_text(capacity: float, unit: str) -> str:
    """``12 lits``, ``1 équipe``, ``0,5 place``: a capacity in French. Nothing for a structure (MSP): "1 structure"
    tells a reader nothing, and FINESS does not list the professions present."""
    if not np.isfinite(capacity) or unit == "structure":
        return ""
    return f"{capacity:g}".replace(".", ",") + f" {agreed(capacity, UNIT_NAMES[unit])}"


def alone_text(threshold_min: float, people: float) -> str:
    """What a site without backup means to its people, in French (map popups, directory cards)."""
    return f"Seul site du service à moins de {threshold_min:g} min pour {french_number(people)} habitants"


def minutes_text(value: float) -> str:
    """Minutes as a French number, or "non atteint" when there is no time (beyond the horizon)."""
    return "non atteint" if value is None or not np.isfinite(value) else f"{french_number(value)} min"
