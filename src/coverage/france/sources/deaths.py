"""Deaths of residents by département: all causes by age band (INSEE, état civil) and cancer deaths (Inserm CépiDc).

Palliative need follows deaths more than population. Both files are read by their column names, every count checked
to be a whole number; a département the file does not give (Mayotte in INSEE's file) is reported, never filled with 0.

- INSEE, ``deces-departements-ages-*.csv``: ``;``-separated, one row per département (``Zone``: ``Dept_01`` …
  ``Dept_974``), for each year ``Total_Deces<year>`` and the age bands ``Total_<band>_Deces<year>``
  (``0_24ans`` … ``75_84ans``, ``85ans_plus``), which add up to the total.
- CépiDc, ``deces-tumeurs-departements-*.csv``: ``;``-separated, one row per year (``annee_de_deces``), département of
  residence (``departement_de_domicile``) and sex (``sexe``), ``effectif_de_deces`` the deaths whose underlying
  cause is a neoplasm (ICD-10 chapter II).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..._csvio import LINE, read_delimited
from ...errors import InputError, Problem
from .population_by_age import CODE

ZONE = re.compile(r"Dept_(\w+)")
ELDERLY_BANDS = ("75_84ans", "85ans_plus")
CANCER_COLUMNS = ("annee_de_deces", "departement_de_domicile", "sexe", "effectif_de_deces")


@dataclass(frozen=True)
class Deaths:
    """One source's deaths in one year: ``table`` has ``departement`` and its counts for the départements the
    source gives; ``missing`` lists the départements asked for that it does not give (their figures are unknown)."""

    table: pd.DataFrame
    year: int
    missing: list[str]


def load_deaths(path: str | Path, year: int | None, departements: set[str]) -> Deaths:
    """Deaths of residents of each of ``departements`` in ``year`` (the file's latest year when ``None``): ``deaths``
    and ``deaths_75_plus`` (the bands 75–84 and 85 and over).

    Raises
    ------
    InputError
        No column for the year, a zone that is not a département, a count that is not a whole number, or age bands
        that do not add up to the total (naming the line and column).
    """
    path = Path(path)
    table = read_delimited(path, ";")
    years = sorted({int(m.group(1)) for c in table.columns if (m := re.fullmatch(r"Total_Deces(\d{4})", c))})
    if not years:
        raise InputError(path, Problem("columns Total_Deces<year> (deaths of each year)", line=1, column="Total_Deces"))
    year = years[-1] if year is None else year
    bands = [c for c in table.columns if re.fullmatch(rf"Total_\w+_Deces{year}", c)]
    needed = ["Zone", f"Total_Deces{year}", *(f"Total_{band}_Deces{year}" for band in ELDERLY_BANDS)]
    absent = [c for c in needed if c not in table.columns]
    if absent:
        found = ", ".join(str(y) for y in years)
        raise InputError(path, [Problem(f"a column {c} (years in the file: {found})", line=1, column=c)
                                for c in absent])  # fmt: skip
    rows, problems = [], []
    for record in table.to_dict("records"):
        zone = ZONE.fullmatch(record["Zone"].strip())
        if not zone or not CODE.fullmatch(zone.group(1).upper()):
            problems.append(Problem("a département as Dept_<code> (Dept_01, Dept_2A, Dept_974)", line=record[LINE],
                                    column="Zone", value=record["Zone"]))  # fmt: skip
            continue
        counts = {}
        for column in [f"Total_Deces{year}", *bands]:
            value = record[column].strip()
            if not re.fullmatch(r"\d+", value):
                problems.append(Problem("a whole number of deaths", line=record[LINE], column=column, value=value))
            else:
                counts[column] = int(value)
        if len(counts) == len(bands) + 1 and sum(counts[c] for c in bands) != counts[f"Total_Deces{year}"]:
            problems.append(Problem(f"age bands adding up to Total_Deces{year} ({sum(counts[c] for c in bands)})",
                                    line=record[LINE], column=f"Total_Deces{year}",
                                    value=counts[f"Total_Deces{year}"]))  # fmt: skip
        elif len(counts) == len(bands) + 1:
            elderly = sum(counts[f"Total_{band}_Deces{year}"] for band in ELDERLY_BANDS)
            rows.append((zone.group(1).upper(), counts[f"Total_Deces{year}"], elderly))
    if problems:
        raise InputError(path, problems)
    found = pd.DataFrame(rows, columns=["departement", "deaths", "deaths_75_plus"])
    return _of(found, year, departements)


def load_cancer_deaths(path: str | Path, year: int | None, departements: set[str]) -> Deaths:
    """Cancer deaths (underlying cause a neoplasm) of residents of each of ``departements`` in ``year`` (the file's
    latest year when ``None``), both sexes: ``cancer_deaths``.

    Raises
    ------
    InputError
        A missing column, a year or count that is not a whole number, or no row for ``year``.
    """
    path = Path(path)
    table = read_delimited(path, ";")
    absent = [c for c in CANCER_COLUMNS if c not in table.columns]
    if absent:
        raise InputError(path, [Problem(f"a column {c}", line=1, column=c) for c in absent])
    problems = [
        Problem("a whole number", line=record[LINE], column=column, value=record[column])
        for record in table.to_dict("records")
        for column in ("annee_de_deces", "effectif_de_deces")
        if not re.fullmatch(r"\d+", record[column].strip())
    ]
    if problems:
        raise InputError(path, problems)
    years = table["annee_de_deces"].astype(int)
    year = int(years.max()) if year is None else year
    if not (years == year).any():
        found = f"{years.min()}–{years.max()}"
        raise InputError(path, Problem(f"rows for the year {year} (years in the file: {found})",
                                       column="annee_de_deces", value=str(year)))  # fmt: skip
    rows = table[years == year]
    codes = rows["departement_de_domicile"].str.strip().str.upper()
    summed = rows["effectif_de_deces"].astype(int).groupby(codes).sum()
    found = summed.rename("cancer_deaths").rename_axis("departement").reset_index()
    return _of(found, year, departements)


def _of(found: pd.DataFrame, year: int, departements: set[str]) -> Deaths:
    """The rows of ``departements``, and those the source does not give."""
    kept = found[found["departement"].isin(departements)].sort_values("departement", ignore_index=True)
    return Deaths(table=kept, year=year, missing=sorted(departements - set(found["departement"])))


def missing_deaths_warnings(deaths: Deaths) -> list[tuple[None, str, str]]:
    """One warning per département the source does not give: its need indicators are left empty."""
    return [(None, code, f"no deaths for this département in {deaths.year}: its supply per deaths is left empty "
             "(« non disponible »), and the national figure is that of the départements given")
            for code in deaths.missing]  # fmt: skip
