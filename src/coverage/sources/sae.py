"""Load one edition of the DREES SAE statistical bases (ID, PALIA, HAD), reading columns by name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._csvio import LINE, parse_numbers, problems_at, read_delimited, require_columns
from ..codes import pad_code, sae_commune, sae_departement
from ..errors import InputError, Problem

KINDS = ("ID", "PALIA", "HAD")
FILE_PATTERN = re.compile(r"^(ID|PALIA|HAD)_(\d{4})([ra])\.csv$", re.IGNORECASE)
FINESS_PATTERN = r"(?:\d{2}|2A|2B)\d{7}"
ADDRESS_COLUMNS = ("NUMVOI", "TYPVOI", "NOMVOI", "CPO", "LIBCOM")
PALIA_FLAGS = {"PALIA_A1": "LISP", "PALIA_A6": "USP", "PALIA_A10": "EMSP"}
PALIA_NUMBERS = {
    "PALIA_A2": "LISP beds in acute care (MCO)",
    "PALIA_A3": "LISP beds in follow-up care (SSR)",
    "PALIA_A4": "LISP beds in other activities",
    "PALIA_A7": "USP units",
    "PALIA_A8": "USP beds",
}
EMSP_FTE_PREFIX = "EMSP_ETPSAL_"


@dataclass(frozen=True)
class SaeEdition:
    """The three files of one SAE year, e.g. ``ID_2023r.csv``, ``PALIA_2023r.csv``, ``HAD_2023r.csv``."""

    year: int
    files: dict[str, Path]

    @property
    def label(self) -> str:
        """Edition label used in tables and maps (French)."""
        return f"SAE {self.year}"


def find_edition(folder: str | Path) -> SaeEdition:
    """Find the ID, PALIA and HAD files of a single year in ``folder``.

    Raises
    ------
    InputError
        When the folder is missing, a file kind is missing, or files of several years are mixed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, Problem("a folder holding ID_<year>.csv, PALIA_<year>.csv and HAD_<year>.csv"))
    found: dict[str, list[tuple[int, Path]]] = {kind: [] for kind in KINDS}
    for path in sorted(folder.iterdir()):
        match = FILE_PATTERN.match(path.name)
        if match:
            found[match.group(1).upper()].append((int(match.group(2)), path))
    years = sorted({year for files in found.values() for year, _ in files})
    problems = [
        Problem(f"one file {kind}_<year>r.csv or {kind}_<year>a.csv", value=[p.name for _, p in files] or None)
        for kind, files in found.items()
        if len(files) != 1
    ]
    if len(years) > 1:
        problems.append(Problem("files of a single SAE year", value=years))
    if problems:
        raise InputError(folder, problems)
    return SaeEdition(year=years[0], files={kind: files[0][1] for kind, files in found.items()})


def _read(path: Path) -> pd.DataFrame:
    """Read an SAE file (``;``-separated), with upper-case column names (editions vary in case)."""
    frame = read_delimited(path, sep=";")
    frame.columns = [c if c == LINE else c.upper() for c in frame.columns]
    return frame


def _check_finess(frame: pd.DataFrame, path: Path, column: str = "FI") -> pd.Series:
    """Return the FINESS column as 9-character strings; raise on malformed or duplicated numbers."""
    finess = pad_code(frame[column], 9).str.upper()
    bad = ~finess.str.fullmatch(FINESS_PATTERN).fillna(False)
    duplicated = finess.duplicated(keep="first") & ~bad
    problems = problems_at(frame, bad, column, "a 9-character FINESS number (digits, or 2A/2B then digits)")
    problems += problems_at(frame, duplicated, column, "each establishment once per file")
    if problems:
        raise InputError(path, problems)
    return finess.astype(str)


def _check_flags(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    """Raise when a yes/no column holds anything but ``0``, ``1`` or an empty cell."""
    problems = [
        problem
        for column in columns
        for problem in problems_at(frame, ~frame[column].isin(["0", "1", ""]), column, "0, 1 or an empty cell")
    ]
    if problems:
        raise InputError(path, problems)


def load_identification(path: str | Path) -> pd.DataFrame:
    """Load the ID file: one row per establishment with name, département, commune and address.

    Returns columns ``finess``, ``name``, ``departement`` (INSEE), ``commune`` (INSEE), ``address``
    and ``_line``.
    """
    path = Path(path)
    frame = _read(path)
    require_columns(frame, path, ["FI", "RS", "DEP", "COMINSEE"], "establishment identification")
    parts = [frame[c] for c in ADDRESS_COLUMNS if c in frame.columns]
    address = pd.Series("", index=frame.index, dtype=object)
    if parts:
        address = pd.concat(parts, axis=1).apply(lambda row: " ".join(v for v in row if v), axis=1)
    return pd.DataFrame(
        {
            "finess": _check_finess(frame, path),
            "name": frame["RS"],
            "departement": sae_departement(frame["DEP"]).astype(str),
            "commune": sae_commune(frame["COMINSEE"]).astype(str),
            "address": address.astype(str),
            LINE: frame[LINE],
        }
    )


def load_palliative(path: str | Path) -> pd.DataFrame:
    """Load the PALIA file: LISP, USP and EMSP declarations with beds and team FTE.

    Returns columns ``finess``, ``has_lisp``, ``lisp_beds_mco`` (A2), ``lisp_beds_ssr`` (A3),
    ``lisp_beds_other`` (A4), ``has_usp``, ``usp_units`` (A7), ``usp_beds`` (A8), ``has_emsp``,
    ``emsp_fte`` (sum of the ``EMSP_ETPSAL_*`` columns present) and ``_line``. Empty cells count as 0.
    """
    path = Path(path)
    frame = _read(path)
    require_columns(frame, path, ["FI", *PALIA_FLAGS, *PALIA_NUMBERS], "palliative care")
    _check_flags(frame, path, list(PALIA_FLAGS))
    numbers = {
        c: parse_numbers(frame, path, c, f"a non-negative number of {meaning}").fillna(0.0)
        for c, meaning in PALIA_NUMBERS.items()
    }
    fte_columns = [c for c in frame.columns if c.startswith(EMSP_FTE_PREFIX)]
    fte = sum(
        (parse_numbers(frame, path, c, "a non-negative number of EMSP FTE").fillna(0.0) for c in fte_columns), start=0.0
    )
    return pd.DataFrame(
        {
            "finess": _check_finess(frame, path),
            "has_lisp": frame["PALIA_A1"] == "1",
            "lisp_beds_mco": numbers["PALIA_A2"],
            "lisp_beds_ssr": numbers["PALIA_A3"],
            "lisp_beds_other": numbers["PALIA_A4"],
            "has_usp": frame["PALIA_A6"] == "1",
            "usp_units": numbers["PALIA_A7"],
            "usp_beds": numbers["PALIA_A8"],
            "has_emsp": frame["PALIA_A10"] == "1",
            "emsp_fte": fte if fte_columns else float("nan"),
            LINE: frame[LINE],
        }
    )


def load_home_hospitalisation(path: str | Path) -> pd.DataFrame:
    """Load the HAD file: ``finess``, ``places`` (``PLATOT``, NaN when empty) and ``_line``."""
    path = Path(path)
    frame = _read(path)
    require_columns(frame, path, ["FI", "PLATOT"], "home hospitalisation places")
    return pd.DataFrame(
        {
            "finess": _check_finess(frame, path),
            "places": parse_numbers(frame, path, "PLATOT", "a non-negative number of places"),
            LINE: frame[LINE],
        }
    )
