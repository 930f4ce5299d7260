"""Load the FINESS table of geographic establishments (category, address, phone, WGS84 coordinates)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._csvio import LINE, parse_numbers, problems_at, read_delimited, require_columns
from ..codes import finess_departement, pad_code
from ..errors import InputError
from .sae import FINESS_PATTERN

COLUMNS = {
    "nofinesset": "finess",
    "rs": "name",
    "categetab": "category",
    "adresse": "street",
    "codepostal": "postal_code",
    "commune": "town",
    "telephone": "phone",
    "latitude": "lat",
    "longitude": "lon",
}


def load_finess(path: str | Path) -> pd.DataFrame:
    """Load the FINESS establishments table.

    Returns columns ``finess``, ``name``, ``category``, ``address``, ``phone``, ``departement``
    (from the establishment's own codes), ``lon``, ``lat`` (NaN when missing), ``updated``
    (``maj`` when present) and ``_line``. FINESS numbers that lost their leading zero are padded.
    """
    path = Path(path)
    frame = read_delimited(path, sep=",")
    require_columns(frame, path, list(COLUMNS), "FINESS establishments")
    out = frame[list(COLUMNS)].rename(columns=COLUMNS)
    out["finess"] = pad_code(out["finess"], 9).str.upper().astype(str)
    bad = ~out["finess"].str.fullmatch(FINESS_PATTERN)
    if bad.any():
        raise InputError(path, problems_at(frame, bad, "nofinesset", "a 9-character FINESS number"))
    out["postal_code"] = pad_code(out["postal_code"], 5).astype(str)
    out["category"] = out["category"].astype(str)
    out["lat"] = parse_numbers(frame, path, "latitude", "a latitude in degrees (WGS84)", minimum=-90)
    out["lon"] = parse_numbers(frame, path, "longitude", "a longitude in degrees (WGS84)", minimum=-180)
    out["address"] = (out["street"] + " " + out["postal_code"] + " " + out["town"]).str.strip()
    out["departement"] = finess_departement(out["finess"], out["postal_code"]).astype(str)
    out["updated"] = frame["maj"] if "maj" in frame.columns else ""
    out[LINE] = frame[LINE]
    return out.drop(columns=["street", "town"])


def edition_label(finess: pd.DataFrame, fallback: str) -> str:
    """Label a FINESS extract by its latest update date (``maj``), else by the configured label."""
    dates = finess["updated"].loc[finess["updated"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False)]
    return f"FINESS (mis à jour jusqu'au {dates.max()})" if len(dates) else fallback
