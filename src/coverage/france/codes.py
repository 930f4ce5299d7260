"""Normalise département and commune codes of SAE and FINESS to INSEE codes (always strings)."""

from __future__ import annotations

import pandas as pd

SAE_OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9F": "976"}
OVERSEAS_PREFIXES = ("97", "98")


def pad_code(codes: pd.Series, width: int) -> pd.Series:
    """Left-pad purely numeric codes that lost their leading zeros (``1`` -> ``01``)."""
    codes = codes.astype("string").str.strip()
    numeric = codes.str.fullmatch(r"\d+").fillna(False)
    return codes.where(~numeric, codes.str.zfill(width))


def sae_departement(dep: pd.Series) -> pd.Series:
    """Map SAE ``dep`` (``01``, ``2A``, ``9A``...) to INSEE département codes (``01``, ``2A``, ``971``)."""
    dep = pad_code(dep, 2).str.upper()
    return dep.replace(SAE_OVERSEAS)


def sae_commune(code: pd.Series) -> pd.Series:
    """Map SAE ``COMINSEE`` to INSEE commune codes: overseas ``9A101`` becomes ``97101``."""
    code = pad_code(code, 5).str.upper()
    overseas = code.str.slice(0, 2).isin(list(SAE_OVERSEAS))
    return code.where(~overseas, "97" + code.str.slice(2))


def finess_departement(finess: pd.Series, postal_code: pd.Series) -> pd.Series:
    """Département of a FINESS establishment from its own codes.

    Metropolitan FINESS numbers start with the département code (``2A``/``2B`` in Corsica). Overseas
    numbers start with ``97`` or ``98`` whatever the DROM, so the postal code (``971xx``...) decides.
    """
    prefix = finess.astype("string").str.slice(0, 2).str.upper()
    overseas = prefix.isin(list(OVERSEAS_PREFIXES))
    return prefix.where(~overseas, pad_code(postal_code, 5).str.slice(0, 3))
