"""Deaths by département (INSEE, état civil) and cancer deaths (CépiDc): the readers against sums taken here with the
csv module, their errors on bad input, and the supply counted against deaths by hand."""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

from coverage.errors import InputError
from coverage.france.indicators import compute_indicators, national_totals
from coverage.france.sources.deaths import load_cancer_deaths, load_deaths

DEATHS = SHARED / "population" / "deces-departements-ages-2019-2022-2023.csv"
CANCER = SHARED / "population" / "deces-tumeurs-departements-1990-2022.csv"
BOUNDARIES = {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B", "971", "972", "973", "974", "976"}


def rows_of(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.mark.parametrize(("year", "published"), [(2019, 612_671), (2022, 674_370), (2023, 637_324)])
def test_deaths_of_each_year_add_up_to_the_files_own_sums(year: int, published: int):
    """Each département's deaths and those at 75 and over equal the file's cells summed here; France's total is the
    one INSEE publishes; Mayotte, absent from the file, is listed, never 0."""
    read = load_deaths(DEATHS, year, BOUNDARIES)
    own = {r["Zone"].removeprefix("Dept_"): r for r in rows_of(DEATHS)}
    table = read.table.set_index("departement")
    assert table["deaths"].to_dict() == {code: int(r[f"Total_Deces{year}"]) for code, r in own.items()}
    elderly = {code: int(r[f"Total_75_84ans_Deces{year}"]) + int(r[f"Total_85ans_plus_Deces{year}"])
               for code, r in own.items()}  # fmt: skip
    assert table["deaths_75_plus"].to_dict() == elderly
    assert table["deaths"].sum() == published and read.missing == ["976"] and read.year == year


def test_the_latest_year_is_read_when_none_is_given():
    assert load_deaths(DEATHS, None, BOUNDARIES).year == 2023
    assert load_cancer_deaths(CANCER, None, BOUNDARIES).year == 2022


@pytest.mark.parametrize(("year", "france"), [(2019, 171_075), (2022, 171_630)])
def test_cancer_deaths_are_both_sexes_summed(year: int, france: int):
    read = load_cancer_deaths(CANCER, year, BOUNDARIES)
    own: dict[str, int] = {}
    for r in rows_of(CANCER):
        if r["annee_de_deces"] == str(year):
            own[r["departement_de_domicile"]] = own.get(r["departement_de_domicile"], 0) + int(r["effectif_de_deces"])
    assert read.table.set_index("departement")["cancer_deaths"].to_dict() == own
    assert read.table["cancer_deaths"].sum() == france and read.missing == []
    if year == 2022:
        assert read.table.set_index("departement").loc["2A", "cancer_deaths"] == 250 + 200, "the file's two 2A rows"


def _copy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = DEATHS.read_text(encoding="utf-8").replace(old, new, 1)
    path = tmp_path / "deces.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_count_that_is_not_a_whole_number_stops_with_its_line_and_column(tmp_path: Path):
    path = _copy_with(tmp_path, '"Dept_03";"Allier";4526;', '"Dept_03";"Allier";45x6;')
    with pytest.raises(InputError) as error:
        load_deaths(path, 2023, BOUNDARIES)
    assert "line 4, column 'Total_Deces2023': value '45x6': expected a whole number of deaths" in str(error.value)


def test_age_bands_that_do_not_add_up_to_the_total_stop_the_run(tmp_path: Path):
    path = _copy_with(tmp_path, '"Dept_03";"Allier";4526;', '"Dept_03";"Allier";4527;')
    with pytest.raises(InputError, match=r"line 4, column 'Total_Deces2023': value 4527: expected age bands adding up"):
        load_deaths(path, 2023, BOUNDARIES)


def test_a_year_the_file_does_not_have_names_the_years_it_has():
    with pytest.raises(InputError, match=r"Total_Deces2024 \(years in the file: 2019, 2022, 2023\)"):
        load_deaths(DEATHS, 2024, BOUNDARIES)
    with pytest.raises(InputError, match=r"rows for the year 2023 \(years in the file: 1990–2022\)"):
        load_cancer_deaths(CANCER, 2023, BOUNDARIES)


def test_supply_per_deaths_by_hand_and_unknown_where_the_deaths_are():
    """Two départements: A with 10 USP beds, 30 LISP beds, 2 EMSP, 2,000 deaths (1,500 at 75+) and 400 cancer
    deaths; B with 5 USP beds and no deaths given. B's rates are empty, never 0, and France's are A's."""
    facilities = pd.DataFrame({
        "finess": ["1", "2", "3", "4", "5"], "service": ["USP", "LISP", "EMSP", "EMSP", "USP"],
        "capacity": [10.0, 30.0, 1.0, 1.0, 5.0], "departement": ["A", "A", "A", "A", "B"],
        "usp_units": [1.0, 0, 0, 0, 1.0], "emsp_fte": [np.nan, np.nan, 2.0, 1.0, np.nan],
        "lisp_beds_mco": [np.nan, 30.0, np.nan, np.nan, np.nan],
    })  # fmt: skip
    communes = pd.DataFrame({"departement": ["A", "B"], "population": [100_000, 50_000]})
    shapes = pd.DataFrame({"code": ["A", "B"], "nom": ["Aa", "Bb"]})
    deaths = pd.DataFrame({"departement": ["A"], "deaths": [2000], "deaths_75_plus": [1500], "cancer_deaths": [400]})
    table, national = compute_indicators(facilities, communes, shapes, [], deaths=deaths)
    a, b = table.set_index("departement").loc["A"], table.set_index("departement").loc["B"]
    assert a["usp_per_1000_deaths"] == pytest.approx(10 / 2000 * 1000)
    assert a["lisp_per_1000_deaths"] == pytest.approx(30 / 2000 * 1000)
    assert a["emsp_per_10k_elderly_deaths"] == pytest.approx(2 / 1500 * 10_000)
    assert a["palliative_beds_per_1000_cancer_deaths"] == pytest.approx(40 / 400 * 1000)
    assert b[["usp_per_1000_deaths", "palliative_beds_per_1000_cancer_deaths"]].isna().all()
    assert national["usp_per_1000_deaths"] == pytest.approx(5.0) and national["deaths"] == 2000
    usp = national_totals(national, table).set_index("service").loc["USP"]
    assert usp["per_1000_deaths"] == pytest.approx(5.0) and usp["per_1000_cancer_deaths"] == pytest.approx(25.0)
