"""Load one edition of the DREES SAE statistical bases (ID, PALIA, HAD), reading columns by name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from ..._csvio import LINE, read_delimited
from ...errors import InputError, Problem
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
# Salaried full-time equivalents of the EMSP by profession: EMSP_ETPSAL_* since 2023, EMSP_ETP_* before. The
# *PAL professions (PMPAL, IDEPAL: doctors and nurses trained in palliative care) are among the PM and IDE
# counted already ("dont"; in SAE 2021 PMPAL <= PM and IDEPAL <= IDE on every EMSP): not added again.
EMSP_FTE_PREFIXES = ("EMSP_ETPSAL_", "EMSP_ETP_")
EMSP_FTE_SUBSETS = ("PAL",)


@dataclass(frozen=True)
class SaeEdition:
    """The three files of one SAE edition, e.g. ``ID_2023r.csv``, ``PALIA_2023r.csv``, ``HAD_2023r.csv``.

    An edition may take a table from another year (PALIA is surveyed every other year: HAD 2024 with
    PALIA 2023); its year is that of its identification file (ID).
    """

    files: dict[str, Path]

    @property
    def years(self) -> dict[str, int]:
        """Survey year of each file kind, read from its name."""
        return {kind: int(FILE_PATTERN.match(path.name).group(2)) for kind, path in self.files.items()}

    @property
    def year(self) -> int:
        """The edition's year: that of its identification file."""
        return self.years["ID"]

    @property
    def label(self) -> str:
        """Edition label used in tables and maps (French), naming the tables of other years."""
        others = [f"{kind} {year}" for kind, year in self.years.items() if year != self.year]
        return f"SAE {self.year}" + (f" ({', '.join(others)})" if others else "")


def find_edition(folder: str | Path) -> SaeEdition:
    """Find the ID, PALIA and HAD files of one edition in ``folder``: one file of each kind.

    Raises
    ------
    InputError
        When the folder is missing, or a file kind is missing or given twice.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, Problem("a folder holding ID_<year>.csv, PALIA_<year>.csv and HAD_<year>.csv"))
    found: dict[str, list[Path]] = {kind: [] for kind in KINDS}
    for path in sorted(folder.iterdir()):
        match = FILE_PATTERN.match(path.name)
        if match:
            found[match.group(1).upper()].append(path)
    problems = [
        Problem(f"one file {kind}_<year>r.csv or {kind}_<year>a.csv", value=[p.name for p in files] or None)
        for kind, files in found.items()
        if len(files) != 1
    ]
    if problems:
        raise InputError(folder, problems)
    return SaeEdition(files={kind: files[0] for kind, files in found.items()})


def sae_editions(configured: str | dict | list) -> list[str | dict]:
    """The editions of ``sources.sae``, oldest first: one edition, or a list of them (the run's last)."""
    return list(configured) if isinstance(configured, list) else [configured]


def edition_key(edition: str | dict) -> str:
    """Name of an edition's working copy: its folder's name, or ``sae-<year>`` of the ID file it names."""
    if isinstance(edition, str):
        return PurePosixPath(edition).name
    match = FILE_PATTERN.match(PurePosixPath(edition["ID"]).name)
    return f"sae-{match.group(2)}" if match else PurePosixPath(edition["ID"]).stem


def read_sae_file(path: Path) -> pd.DataFrame:
    """Read an SAE file (``;``-separated), with upper-case column names (editions vary in case)."""
    frame = read_delimited(path, sep=";")
    frame.columns = [c if c == LINE else c.upper() for c in frame.columns]
    return frame


def sae_finess_column() -> Column:
    """The ``FI`` column: FINESS numbers, leading zeros restored."""
    return Column("FI", (finess_number(),), normalise=padded(9))


ID_CONTRACT = Contract(
    "SAE establishment identification",
    (
        sae_finess_column(),
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
        sae_finess_column(),
        *(Column(name, (flag(),)) for name in PALIA_FLAGS),
        *(Column(name, (non_negative(meaning), whole_number(meaning))) for name, meaning in PALIA_NUMBERS.items()),
    ),
    unique=("FI",),
)
HAD_CONTRACT = Contract(
    "SAE home hospitalisation",
    (sae_finess_column(), Column("PLATOT", (non_negative("HAD places"), whole_number("HAD places")))),
    unique=("FI",),
)


def load_identification(path: str | Path) -> pd.DataFrame:
    """Load the ID file: one row per establishment with name, département, commune and address.

    Returns columns ``finess``, ``name``, ``departement`` (INSEE), ``commune`` (INSEE), ``address``
    and ``_line``.
    """
    path = Path(path)
    frame = ID_CONTRACT.apply(read_sae_file(path), path)
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


def emsp_fte_columns(columns: pd.Index) -> list[str]:
    """The EMSP FTE columns of an edition, one per profession (the first prefix present), without subsets."""
    for prefix in EMSP_FTE_PREFIXES:
        found = [c for c in columns if c.startswith(prefix) and not c.endswith(EMSP_FTE_SUBSETS)]
        if found:
            return found
    return []


def load_palliative(path: str | Path) -> pd.DataFrame:
    """Load the PALIA file: LISP, USP and EMSP declarations with beds and team FTE.

    Returns columns ``finess``, ``has_lisp``, ``lisp_beds_mco`` (A2), ``lisp_beds_ssr`` (A3),
    ``lisp_beds_other`` (A4), ``has_usp``, ``usp_units`` (A7), ``usp_beds`` (A8), ``has_emsp``,
    ``emsp_fte`` (salaried FTE: sum of the ``EMSP_ETPSAL_*``, before 2023 ``EMSP_ETP_*``, columns present,
    trained-staff subsets left out; empty when the edition has none) and ``_line``. Empty cells count as 0.
    """
    path = Path(path)
    frame = read_sae_file(path)
    fte_columns = emsp_fte_columns(frame.columns)
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
    frame = HAD_CONTRACT.apply(read_sae_file(path), path)
    return pd.DataFrame(
        {
            "finess": frame["FI"].astype(str),
            "places": numbers(frame["PLATOT"]),
            LINE: frame[LINE],
            FIXES: frame[FIXES],
        }
    )
