"""Load one edition of the DREES SAE statistical bases (ID, PALIA, HAD), reading columns by name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._csvio import LINE, read_delimited
from ..codes import sae_commune, sae_departement
from ..contracts import (
    FIXES,
    Column,
    Contract,
    finess_number,
    flag,
    non_negative,
    not_empty,
    numbers,
    padded,
    pattern,
    whole_number,
)  # fmt: skip
from ..errors import InputError, Problem

KINDS = ("ID", "PALIA", "HAD")
FILE_PATTERN = re.compile(r"^(ID|PALIA|HAD)_(\d{4})([ra])\.csv$", re.IGNORECASE)
DEPARTEMENT_PATTERN = r"\d{2}|2A|2B|9[ABCDF]"
COMMUNE_PATTERN = r"\d{5}|2[AB]\d{3}|9[ABCDF]\d{3}"
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


def _sae_finess() -> Column:
    """The ``FI`` column: FINESS numbers, leading zeros restored."""
    return Column("FI", (finess_number(),), normalise=padded(9))


ID_CONTRACT = Contract(
    "SAE establishment identification",
    (
        _sae_finess(),
        Column("RS", (not_empty("the establishment's name"),)),
        Column("DEP", (pattern("departement-format", DEPARTEMENT_PATTERN, "an SAE département code (01, 2A, 9A...)"),),
               normalise=padded(2)),
        Column("COMINSEE", (pattern("commune-format", COMMUNE_PATTERN, "an SAE commune code (01001, 2A004, 9A101...)"),),
               normalise=padded(5)),
    ),
    unique=("FI",),
)  # fmt: skip
PALIA_CONTRACT = Contract(
    "SAE palliative care",
    (
        _sae_finess(),
        *(Column(name, (flag(),)) for name in PALIA_FLAGS),
        *(Column(name, (non_negative(meaning), whole_number(meaning))) for name, meaning in PALIA_NUMBERS.items()),
    ),
    unique=("FI",),
)
HAD_CONTRACT = Contract(
    "SAE home hospitalisation",
    (_sae_finess(), Column("PLATOT", (non_negative("HAD places"), whole_number("HAD places")))),
    unique=("FI",),
)


def load_identification(path: str | Path) -> pd.DataFrame:
    """Load the ID file: one row per establishment with name, département, commune and address.

    Returns columns ``finess``, ``name``, ``departement`` (INSEE), ``commune`` (INSEE), ``address``
    and ``_line``.
    """
    path = Path(path)
    frame = ID_CONTRACT.apply(_read(path), path)
    parts = [frame[c] for c in ADDRESS_COLUMNS if c in frame.columns]
    address = pd.Series("", index=frame.index, dtype=object)
    if parts:
        address = pd.concat(parts, axis=1).apply(lambda row: " ".join(v for v in row if v), axis=1)
    return pd.DataFrame(
        {
            "finess": frame["FI"].astype(str),
            "name": frame["RS"],
            "departement": sae_departement(frame["DEP"]).astype(str),
            "commune": sae_commune(frame["COMINSEE"]).astype(str),
            "address": address.astype(str),
            LINE: frame[LINE],
            FIXES: frame[FIXES],
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
    fte_columns = [c for c in frame.columns if c.startswith(EMSP_FTE_PREFIX)]
    contract = PALIA_CONTRACT.extended([Column(c, (non_negative("EMSP FTE"),)) for c in fte_columns])
    frame = contract.apply(frame, path)
    values = {c: numbers(frame[c]).fillna(0.0) for c in PALIA_NUMBERS}
    fte = sum((numbers(frame[c]).fillna(0.0) for c in fte_columns), start=0.0)
    return pd.DataFrame(
        {
            "finess": frame["FI"].astype(str),
            "has_lisp": frame["PALIA_A1"] == "1",
            "lisp_beds_mco": values["PALIA_A2"],
            "lisp_beds_ssr": values["PALIA_A3"],
            "lisp_beds_other": values["PALIA_A4"],
            "has_usp": frame["PALIA_A6"] == "1",
            "usp_units": values["PALIA_A7"],
            "usp_beds": values["PALIA_A8"],
            "has_emsp": frame["PALIA_A10"] == "1",
            "emsp_fte": fte if fte_columns else float("nan"),
            LINE: frame[LINE],
            FIXES: frame[FIXES],
        }
    )


def load_home_hospitalisation(path: str | Path) -> pd.DataFrame:
    """Load the HAD file: ``finess``, ``places`` (``PLATOT``, NaN when empty) and ``_line``."""
    path = Path(path)
    frame = HAD_CONTRACT.apply(_read(path), path)
    return pd.DataFrame(
        {
            "finess": frame["FI"].astype(str),
            "places": numbers(frame["PLATOT"]),
            LINE: frame[LINE],
            FIXES: frame[FIXES],
        }
    )
