"""Change between SAE editions: hand-computed cases of the comparison, its order and indicator checks."""

import numpy as np
import pandas as pd
import pytest

from coverage.errors import ConfigError
from coverage.france.changes import compare_editions
from coverage.france.indicators import compute_indicators
from coverage.outputs.change_report import change_markdown, change_section, signed
from coverage.outputs.report import capacity_caveats
from coverage.tables import with_sources

INDICATORS = {"usp_capacity": "Lits d'USP", "usp_beds_per_100k": "Lits d'USP pour 100 000 habitants"}


def edition(label: str, beds: dict[str, float]) -> pd.DataFrame:
    """An indicators table of two départements of 100,000 and 200,000 inhabitants with ``beds`` USP beds."""
    facilities = pd.DataFrame(
        [{"finess": f"{code}0000001", "service": "USP", "capacity": n, "departement": code, "usp_units": 1.0,
          "emsp_fte": np.nan} for code, n in beds.items()]
    )  # fmt: skip
    communes = pd.DataFrame({"departement": ["2A", "2B"], "population": [100_000, 200_000]})
    departements = pd.DataFrame({"code": ["2A", "2B"], "nom": ["Corse-du-Sud", "Haute-Corse"]})
    table, _ = compute_indicators(facilities, communes, departements, [])
    return with_sources(table, ["FINESS", label, "INSEE"])


def test_changes_by_departement_and_nationally_are_the_differences_of_the_editions():
    by_departement, national = compare_editions(
        [edition("SAE 2021", {"2A": 8}), edition("SAE 2023", {"2A": 10, "2B": 12})], INDICATORS
    )
    beds = by_departement[by_departement["indicator"] == "usp_capacity"].set_index("departement")
    assert beds.loc["2A", ["value_from", "value_to", "change", "change_pct"]].tolist() == [8, 10, 2, 25]
    assert beds.loc["2B", ["value_from", "value_to", "change"]].tolist() == [0, 12, 12]
    assert np.isnan(beds.loc["2B", "change_pct"]), "no percentage of nothing"
    assert beds.loc["2B", ["nom", "edition_from", "edition_to"]].tolist() == ["Haute-Corse", "SAE 2021", "SAE 2023"]
    row = national.set_index("indicator").loc["usp_beds_per_100k"]
    assert row["value_from"] == pytest.approx(8 / 300_000 * 1e5) and row["value_to"] == pytest.approx(22 / 3)
    assert row["change"] == pytest.approx(14 / 3) and row["departement"] == "France"
    assert by_departement["indicator"].tolist() == ["usp_capacity", "usp_beds_per_100k"] * 2, "configured order"


def test_a_value_unknown_in_an_edition_leaves_the_change_empty():
    earlier = edition("SAE 2021", {"2A": 8})
    earlier.loc[earlier["departement"] == "2B", "usp_capacity"] = np.nan
    by_departement, _ = compare_editions([earlier, edition("SAE 2023", {"2B": 12})], INDICATORS)
    row = by_departement.set_index(["departement", "indicator"]).loc[("2B", "usp_capacity")]
    assert np.isnan(row["value_from"]) and np.isnan(row["change"]) and row["value_to"] == 12


def test_editions_must_be_listed_oldest_first_and_msp_are_not_compared():
    with pytest.raises(ConfigError, match="oldest first.*SAE 2023, SAE 2021"):
        compare_editions([edition("SAE 2023", {"2A": 8}), edition("SAE 2021", {"2A": 8})], INDICATORS)
    with pytest.raises(ConfigError, match="'msp_count': MSP come from the one FINESS edition"):
        compare_editions([edition("SAE 2021", {"2A": 8}), edition("SAE 2023", {"2A": 8})], {"msp_count": "MSP"})
    with pytest.raises(ConfigError, match="'usp_bed': not an indicator"):
        compare_editions([edition("SAE 2021", {"2A": 8}), edition("SAE 2023", {"2A": 8})], {"usp_bed": "x"})


def test_an_edition_with_tables_of_other_years_keeps_its_year():
    by_departement, _ = compare_editions(
        [edition("SAE 2021", {"2A": 8}), edition("SAE 2024 (PALIA 2023)", {"2A": 8})], INDICATORS
    )
    assert set(by_departement["edition_to"]) == {"SAE 2024 (PALIA 2023)"}


def test_markdown_states_before_after_and_signed_changes():
    by_departement, national = compare_editions(
        [edition("SAE 2021", {"2A": 8, "2B": 3}), edition("SAE 2023", {"2A": 10})], INDICATORS
    )
    text = change_markdown(by_departement, national, ["usp_capacity"], ["SAE 2021", "SAE 2023"])
    assert "| Lits d'USP | SAE 2021 | 11 | SAE 2023 | 10 | -1 | -9,1 % |" in text
    assert "| 2A | Corse-du-Sud | SAE 2021 → SAE 2023 | 8 → 10 (+2) |" in text
    assert "| 2B | Haute-Corse | SAE 2021 → SAE 2023 | 3 → 0 (-3) |" in text
    assert [signed(v, d) for v, d in ((0.0001, 3), (-0.0001, 3), (2, 0), (np.nan, 0))] == ["0,000", "0,000", "+2", "–"]


def test_a_site_declared_without_beds_is_said_in_french_beside_the_change_it_explains():
    """Haute-Corse's « Lits d'USP 0 → 12 »: SAE 2021 declares the Clinique de Toga's USP with no bed."""
    earlier = pd.DataFrame({"finess": ["2B0005664", "2A0000001", "750000001"], "name": ["CLINIQUE DE TOGA", "CH", "X"],
                            "service": ["USP", "EMSP", "USP"], "capacity": [0, 0, 0],
                            "capacity_unit": ["beds", "team", "beds"], "departement": ["2B", "2A", "75"],
                            "edition": "SAE 2021"})  # fmt: skip
    (caveat,) = capacity_caveats([earlier], ["2A", "2B"])
    assert caveat == ("Donnée à lire avec prudence (SAE 2021, département 2B) : Unités de soins palliatifs (USP) "
                      "déclarées sans lit à CLINIQUE DE TOGA (FINESS 2B0005664) ; comptées comme site, sans capacité : "
                      "une évolution des lits ou places du département entre éditions peut venir de cette déclaration.")
    by_departement = pd.DataFrame(columns=["departement", "indicator", "label", "edition_from", "edition_to",
                                           "value_from", "value_to", "change"])  # fmt: skip
    assert caveat in change_section(by_departement, ["2B"], [caveat])
