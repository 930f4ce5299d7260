"""Load the FINESS table of geographic establishments (category, address, phone, WGS84 coordinates)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..._csvio import LINE, read_delimited
from ..codes import finess_departement
from ..contracts import (
    FIXES,
    Column,
    Contract,
    finess_number,
    in_range,
    numbers,
    padded,
    pattern,
    recover_outside_france,
)

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

CONTRACT = Contract(
    "FINESS establishments",
    (
        Column("nofinesset", (finess_number(),), normalise=padded(9)),
        Column("rs"),
        Column("categetab", (pattern("category-format", r"\d{3}", "a 3-digit FINESS category"),), normalise=padded(3)),
        Column("adresse"),
        Column("codepostal", (pattern("postal-code-format", r"\d{5}", "a 5-digit postal code", optional=True),),
               normalise=padded(5)),
        Column("commune"),
        Column("telephone"),
        Column("latitude", (in_range("latitude-range", -90, 90, "a latitude in degrees (WGS84)", recoverable=True),)),
        Column("longitude", (in_range("longitude-range", -180, 180, "a longitude in degrees (WGS84)", recoverable=True),)),
    ),
    unique=("nofinesset",),
)  # fmt: skip


def load_finess(path: str | Path) -> pd.DataFrame:
    """Load the FINESS establishments table.

    Returns columns ``finess``, ``name``, ``category``, ``address``, ``phone``, ``departement``
    (from the establishment's own codes), ``lon``, ``lat`` (NaN when missing), ``updated``
    (``maj`` when present) and ``_line``. FINESS numbers that lost their leading zero are padded.
    """
    path = Path(path)
    frame = recover_outside_france(CONTRACT.apply(read_delimited(path, sep=","), path), "longitude", "latitude")
    out = frame[list(COLUMNS)].rename(columns=COLUMNS).astype(str)
    out["lat"] = numbers(frame["latitude"])
    out["lon"] = numbers(frame["longitude"])
    out["address"] = (out["street"] + " " + out["postal_code"] + " " + out["town"]).str.strip()
    out["departement"] = finess_departement(out["finess"], out["postal_code"]).astype(str)
    out["updated"] = frame["maj"] if "maj" in frame.columns else ""
    out[LINE] = frame[LINE]
    out[FIXES] = frame[FIXES]
    return out.drop(columns=["street", "town"]).astype({"updated": str, FIXES: str})


def write_register(register: pd.DataFrame, path: str | Path) -> None:
    """Write the table :func:`load_finess` read and checked (parquet): the jobs that need FINESS read it in a tenth
    of a second rather than parsing and checking the national file again."""
    register.to_parquet(path, index=False)


def read_register(path: str | Path) -> pd.DataFrame:
    """The table :func:`write_register` wrote: the same frame :func:`load_finess` returned."""
    return pd.read_parquet(path)


def edition_label(finess: pd.DataFrame, fallback: str) -> str:
    """Label a FINESS extract by its latest update date (``maj``), else by the configured label."""
    dates = finess["updated"].loc[finess["updated"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False)]
    return f"FINESS (mis à jour jusqu'au {dates.max()})" if len(dates) else fallback
