"""INSEE populations: current communes counted once, every other record accounted for."""

import json
from pathlib import Path

import pytest
from conftest import SHARED

from coverage.errors import InputError
from coverage.france.sources.population import load_population

RECORDS = [
    {"code": "13055", "nom": "Marseille", "type": "commune-actuelle", "departement": "13", "population": 870000},
    {"code": "13201", "nom": "Marseille 1er", "type": "arrondissement-municipal", "departement": "13", "population": 40000},
    {"code": "01015", "nom": "Arbignieu", "type": "commune-deleguee", "departement": "01"},
    {"code": "01001", "nom": "L'Abergement", "type": "commune-actuelle", "departement": "01", "population": 860,
     "anciensCodes": ["01999"]},
    {"code": "97501", "nom": "Saint-Pierre", "type": "commune-actuelle", "departement": "975", "population": 5500},
]  # fmt: skip


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n", encoding="utf-8")
    return path


def test_arrondissements_are_not_counted_twice_and_others_are_rejected_with_lines(tmp_path: Path):
    communes, rejects = load_population(_write(tmp_path / "c.json", RECORDS), {"01", "13"})
    assert communes.groupby("departement")["population"].sum().to_dict() == {"01": 860, "13": 870000}
    assert communes.set_index("code").loc["01001", "former_codes"] == "01999"
    assert sorted(zip(rejects["line"], rejects["id"], strict=True)) == [(3, "13201"), (4, "01015"), (6, "97501")]


def test_missing_population_is_an_error_naming_the_line(tmp_path: Path):
    records = RECORDS[:1] + [{"code": "01001", "type": "commune-actuelle", "departement": "01"}]
    with pytest.raises(InputError, match="line 3.*population"):
        load_population(_write(tmp_path / "c.json", records), {"01", "13"})


AGES = SHARED / "population" / "estim-pop-dep-sexe-gca-1975-2023.xls"


def test_people_aged_75_and_over_by_departement_add_up_to_insees_own_total():
    """The 101 départements of 2023 sum to the file's own "France métropolitaine et DOM" row."""
    import pandas as pd

    from coverage.france.sources.population_by_age import load_population_by_age

    sheet = pd.read_excel(AGES, sheet_name="2023", header=None, engine="calamine")
    total_row = sheet[sheet[0] == "France métropolitaine et DOM"].iloc[0]
    column = list(sheet.iloc[4]).index("75 ans et plus")  # the first block is "Ensemble"
    codes = {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B", "971", "972", "973", "974", "976"}
    table = load_population_by_age(AGES, 2023, codes)
    assert len(table) == 101 and table["population_75_plus"].sum() == int(total_row[column]) == 6_849_764
    corse_du_sud = sheet[sheet[0] == "2A"].iloc[0]
    assert table.set_index("departement").loc["2A", "population_75_plus"] == int(corse_du_sud[column]) == 20_499


def test_a_year_without_a_departement_or_without_a_sheet_stops_with_the_file(tmp_path: Path):
    from coverage.france.sources.population_by_age import load_population_by_age

    with pytest.raises(InputError, match=r"(?s)value '976'.*sheet 1990.*\[rule whole-territory\]"):
        load_population_by_age(AGES, 1990, {"01", "976"})  # Mayotte is estimated from 2014 on
    with pytest.raises(InputError, match=r"a sheet named 2030 \(sheets: 2023, 2022"):
        load_population_by_age(AGES, 2030, {"01"})


def test_a_fractional_count_of_elderly_people_is_refused(tmp_path: Path):
    import openpyxl

    from coverage.france.sources.population_by_age import load_population_by_age

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2023"
    for row in [["Estimation de population"], [], ["Départements", None, "Ensemble"],
                [None, None, "0 à 19 ans", "75 ans et plus", "Total"],
                ["2A", "Corse-du-Sud", 30000, "20499,5", 160000], ["2B", "Haute-Corse", 34000, 22027, 180000]]:  # fmt: skip
        sheet.append(row)
    path = tmp_path / "ages.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"line 5, column '75 ans et plus': value '20499,5': expected a whole number"):
        load_population_by_age(path, 2023, {"2A", "2B"})
