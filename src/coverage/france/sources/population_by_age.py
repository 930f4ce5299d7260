"""INSEE population estimates by département and age band (``estim-pop-dep-sexe-gca-*.xls``), as INSEE publishes them.

One sheet per year (``2023``…); a title, then a two-row header (``Ensemble`` / ``Hommes`` / ``Femmes``
over the age bands ``0 à 19 ans`` … ``75 ans et plus``, ``Total``), one row per département (code,
name), subtotals (``France métropolitaine``, ``DOM``…) and a source note. Read with calamine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ...errors import InputError, Problem

ELDERLY_BAND = "75 ans et plus"
CODE = re.compile(r"\d{2}|2A|2B|97\d")


def load_population_by_age(path: str | Path, year: int, departements: set[str]) -> pd.DataFrame:
    """The population aged 75 and over on 1 January of ``year`` in each of ``departements``.

    Returns ``departement`` and ``population_75_plus`` (int). The sheet is read by its labels, not
    positions: the ``Ensemble`` column of the ``75 ans et plus`` band.

    Raises
    ------
    InputError
        No sheet for ``year``, no such column, a count that is not a whole number, or a département
        of ``departements`` missing (naming the file, the sheet and the line).
    """
    path = Path(path)
    sheet = _sheet(path, year)
    header, column = _elderly_column(sheet, path, year)
    rows, problems = [], []
    for index in range(header + 1, len(sheet)):
        code = str(sheet.iat[index, 0]).strip().upper()
        if not CODE.fullmatch(code):
            continue
        value = str(sheet.iat[index, column]).strip()
        if not re.fullmatch(r"\d+(\.0)?", value):
            problems.append(Problem(f"a whole number of inhabitants aged 75 and over (sheet {year})",
                                    line=index + 1, column=ELDERLY_BAND, value=value))  # fmt: skip
            continue
        rows.append((code, int(float(value))))
    found = {code for code, _ in rows}
    missing = sorted(departements - found)
    if missing:
        problems.append(Problem(f"a row for every département of the boundaries file (sheet {year})",
                                column="Départements", value=", ".join(missing), rule="whole-territory"))  # fmt: skip
    if problems:
        raise InputError(path, problems)
    table = pd.DataFrame(rows, columns=["departement", "population_75_plus"])
    return table[table["departement"].isin(departements)].sort_values("departement", ignore_index=True)


def _sheet(path: Path, year: int) -> pd.DataFrame:
    """The sheet of ``year`` as text cells."""
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as error:  # calamine raises its own error types for damaged workbooks
        raise InputError(path, Problem(f"a readable Excel workbook ({error})")) from None
    if str(year) not in book.sheet_names:
        years = ", ".join(name for name in book.sheet_names if name.isdigit())
        raise InputError(path, Problem(f"a sheet named {year} (sheets: {years})", value=str(year)))
    return pd.read_excel(book, sheet_name=str(year), header=None, dtype=str).fillna("")


def _elderly_column(sheet: pd.DataFrame, path: Path, year: int) -> tuple[int, int]:
    """The header row and the column of the ``Ensemble`` block's ``75 ans et plus`` band."""
    for row in range(min(20, len(sheet) - 1)):
        cells = [str(c).strip() for c in sheet.iloc[row]]
        if "Ensemble" in cells:
            start = cells.index("Ensemble")
            bands = [str(c).strip() for c in sheet.iloc[row + 1]]
            for column in range(start, len(bands)):
                if bands[column] == ELDERLY_BAND:
                    return row + 1, column
    raise InputError(path, Problem(f"a column '{ELDERLY_BAND}' under 'Ensemble' (sheet {year})", column=ELDERLY_BAND))
