"""Official road times used to calibrate the speed model: minutes from communes to the nearest of some sites.

The format is that of the DREES/DGOS emergency-access diagnosis (``codgeo``, ``tps_SU_SMUR``), with
the column names in the config; the sites are a CSV with ``lon`` and ``lat`` (WGS84).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..._csvio import LINE, problems_at, read_delimited
from ...errors import InputError, Problem
from ..contracts import COMMUNE_PATTERN, Column, Contract, in_range, non_negative, numbers, pattern, raise_if_any
from ..geography import current_code_map


def _separator(path: Path) -> str:
    """The delimiter of a reference CSV: ``;`` when its header holds one (French spreadsheets), else ``,``."""
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        return ";" if ";" in handle.readline() else ","


def load_reference_times(path: str | Path, code_column: str, minutes_column: str, communes: pd.DataFrame
                         ) -> pd.DataFrame:  # fmt: skip
    """The reference table as ``commune`` (current INSEE code), ``minutes`` and ``line`` in the file.

    A commune merged since the reference was made is found through the ``former_codes`` of
    ``communes`` (``code``, ``former_codes``); a code found neither way stops the
    run, naming the file, the line and the code.
    """
    path = Path(path)
    contract = Contract(
        "official road times",
        (
            Column(code_column, (pattern("commune-format", COMMUNE_PATTERN, "an INSEE commune code"),)),
            Column(minutes_column, (non_negative("minutes", required=True),)),
        ),
        unique=(code_column,),
    )
    frame, problems = contract.check(read_delimited(path, _separator(path)))
    if code_column in frame.columns:
        known = frame[code_column].map(current_code_map(communes))
        unknown = known.isna() & frame[code_column].str.fullmatch(COMMUNE_PATTERN)
        problems += problems_at(frame, unknown, code_column, "a commune of the communes table (current or former code)",
                                rule="known-commune")  # fmt: skip
    raise_if_any(path, sorted(problems, key=lambda problem: problem.line or 0))
    return pd.DataFrame(
        {"commune": known.to_numpy(), "minutes": numbers(frame[minutes_column]).to_numpy(), "line": frame[LINE]}
    )


def reference_departements(path: str | Path, code_column: str) -> set[str]:
    """The départements whose communes the reference times cover (read when the run is planned: the codes only)."""
    path = Path(path)
    table = pd.read_csv(path, sep=_separator(path), dtype=str, encoding="utf-8-sig")
    if code_column not in table.columns:
        raise InputError(path, Problem(f"a column {code_column!r} (calibration.code_column)", line=1,
                                       value=", ".join(table.columns), rule="required-column"))  # fmt: skip
    codes = table[code_column].dropna().str.strip()
    return set(codes.str.slice(0, 3).where(codes.str.startswith("97"), codes.str.slice(0, 2)))


def load_reference_sites(path: str | Path) -> pd.DataFrame:
    """The sites the reference times were measured to: ``lon`` and ``lat`` (WGS84) as numbers, other columns kept."""
    path = Path(path)
    contract = Contract(
        "reference sites",
        (
            Column("lon", (in_range("longitude", -180, 180, "a WGS84 longitude"),)),
            Column("lat", (in_range("latitude", -90, 90, "a WGS84 latitude"),)),
        ),
    )
    frame = contract.apply(read_delimited(path, _separator(path)), path)
    empty = (frame["lon"] == "") | (frame["lat"] == "")
    raise_if_any(path, problems_at(frame, empty, "lon", "coordinates on every site", rule="not-empty"))
    return frame.assign(lon=numbers(frame["lon"]), lat=numbers(frame["lat"]))
