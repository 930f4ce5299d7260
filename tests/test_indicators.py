"""Indicators by département: a hand-computed case, the gap rules, and arithmetic properties."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.errors import ConfigError
from coverage.france.constants import SERVICES
from coverage.france.indicators import GapRule, compute_indicators, national_totals
from coverage.france.registry import INDICATORS, decimals_of
from coverage.outputs.report import rule_text

DEPARTEMENTS = pd.DataFrame({"code": ["01", "02", "2A"], "nom": ["Ain", "Aisne", "Corse-du-Sud"]})
COMMUNES = pd.DataFrame({"departement": ["01", "01", "02", "2A"], "population": [100_000, 50_000, 300_000, 150_000]})


def _facilities(rows):
    frame = pd.DataFrame(rows, columns=["finess", "service", "capacity", "departement"])
    return frame.assign(usp_units=np.where(frame["service"] == "USP", 1.0, np.nan), emsp_fte=np.nan)


HAND = _facilities(
    [
        ["010000001", "USP", 12, "01"],
        ["010000001", "LISP", 5, "01"],
        ["010000002", "LISP", 3, "01"],
        ["010000001", "EMSP", 1, "01"],
        ["020000001", "HAD", 30, "02"],
        ["2A0000001", "MSP", 1, "2A"],
    ]
)
RULES = [
    GapRule("usp", "usp_count", "below", "pas d'USP", "texte", threshold=1),
    GapRule("emsp", "inhabitants_per_emsp", "above", "trop d'habitants", "texte", threshold=200_000),
    GapRule("lisp", "lisp_per_1000", "below", "peu de LISP", "texte", fraction_of_national=0.5),
]


def test_hand_computed_departements():
    table, national = compute_indicators(HAND, COMMUNES, DEPARTEMENTS, RULES)
    ain = table.set_index("departement").loc["01"]
    assert ain["population"] == 150_000
    assert ain["lisp_count"] == 2 and ain["lisp_capacity"] == 8
    assert ain["lisp_per_1000"] == pytest.approx(8 / 150)
    assert ain["usp_beds_per_100k"] == pytest.approx(8.0)
    assert ain["inhabitants_per_emsp"] == pytest.approx(150_000)
    aisne = table.set_index("departement").loc["02"]
    assert math.isinf(aisne["inhabitants_per_emsp"]) and aisne["had_per_1000"] == pytest.approx(0.1)
    assert national["population"] == 600_000 and national["lisp_per_1000"] == pytest.approx(8 / 600)


def test_supply_per_100k_inhabitants_aged_75_and_over():
    """Need-adjusted supply, by hand: Ain has 12 USP beds for 20,000 people aged 75+, 60 per 100,000."""
    elderly = pd.DataFrame({"departement": ["01", "02", "2A"], "population_75_plus": [20_000, 40_000, 20_000]})
    rule = GapRule("usp75", "usp_per_100k_75plus", "below", "peu de lits", "texte", fraction_of_national=0.5)
    table, national = compute_indicators(HAND, COMMUNES, DEPARTEMENTS, [rule], elderly=elderly)
    table = table.set_index("departement")
    assert table.loc["01", "usp_per_100k_75plus"] == pytest.approx(60.0)
    assert table.loc["02", "had_per_100k_75plus"] == pytest.approx(75.0)
    assert national["population_75_plus"] == 80_000 and national["usp_per_100k_75plus"] == pytest.approx(15.0)
    assert table["gap_usp75"].to_dict() == {"01": False, "02": True, "2A": True}
    totals = national_totals(national, table.reset_index()).set_index("service")
    assert totals.loc["HAD", "per_100k_75plus"] == pytest.approx(30 / 80_000 * 1e5)


def test_gap_rules_threshold_and_fraction_of_national():
    table = compute_indicators(HAND, COMMUNES, DEPARTEMENTS, RULES)[0].set_index("departement")
    assert table["gap_usp"].to_dict() == {"01": False, "02": True, "2A": True}
    assert table["gap_emsp"].to_dict() == {"01": False, "02": True, "2A": True}
    # national LISP rate 8/600 per 1000; half of it is 0.00667: only Ain (8/150) is above
    assert table["gap_lisp"].to_dict() == {"01": False, "02": True, "2A": True}


def test_every_departement_gets_a_row_even_without_any_site():
    table, _ = compute_indicators(HAND.iloc[:0], COMMUNES, DEPARTEMENTS, [])
    assert table["departement"].tolist() == ["01", "02", "2A"]
    assert (table.filter(like="_count") == 0).all().all()


def test_unknown_indicator_in_a_rule_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown indicator 'beds'"):
        compute_indicators(HAND, COMMUNES, DEPARTEMENTS, [GapRule("x", "beds", "below", "l", "s", threshold=1)])


def test_national_totals_table():
    table, national = compute_indicators(HAND, COMMUNES, DEPARTEMENTS, RULES)
    totals = national_totals(national, table).set_index("service")
    assert totals.loc["LISP", "capacity"] == 8 and totals.loc["LISP", "sites"] == 2
    assert totals.loc["USP", "departements_without_service"] == 2


facility_rows = st.lists(
    st.tuples(
        st.integers(0, 30).map(lambda i: f"01{i:07d}"),
        st.sampled_from(SERVICES),
        st.integers(0, 500),
        st.sampled_from(["01", "02", "2A"]),
    ),
    max_size=40,
    unique_by=lambda row: (row[0], row[1]),
)


@settings(max_examples=60, deadline=None)
@given(rows=facility_rows, seed=st.integers(0, 2**16))
def test_totals_conserved_rates_consistent_and_order_independent(rows, seed):
    facilities = _facilities([list(r) for r in rows])
    table, national = compute_indicators(facilities, COMMUNES, DEPARTEMENTS, RULES)
    for service in SERVICES:
        s = service.lower()
        expected = facilities.loc[facilities["service"] == service, "capacity"].sum()
        assert table[f"{s}_capacity"].sum() == pytest.approx(expected)
        assert np.allclose(table[f"{s}_per_1000"], table[f"{s}_capacity"] / table["population"] * 1000)
    shuffled = compute_indicators(facilities.sample(frac=1, random_state=seed), COMMUNES, DEPARTEMENTS, RULES)[0]
    pd.testing.assert_frame_equal(table, shuffled)


def test_a_gap_rule_reads_in_words_its_bar_a_french_number_its_code_last():
    national = pd.Series({"lisp_per_1000": 0.1023104, "inhabitants_per_emsp": 160000.0})
    relative = GapRule("lisp", "lisp_per_1000", "below", "LISP pour 1000 habitants inférieurs à la moitié du taux "
                       "national", "texte", fraction_of_national=0.5)  # fmt: skip
    assert rule_text(relative, national) == ("LISP pour 1000 habitants inférieurs à la moitié du taux national (seuil : "
                                             "0,051, la moitié de la valeur nationale, 0,102 ; règle "
                                             "`lisp_per_1000 < 0.0511552`)")  # fmt: skip
    fixed = GapRule("emsp", "inhabitants_per_emsp", "above", "Plus de 200 000 habitants par EMSP", "t", threshold=200000)
    assert rule_text(fixed, national) == ("Plus de 200 000 habitants par EMSP (seuil : 200\u202f000 ; règle "
                                          "`inhabitants_per_emsp > 200000`)")


def test_every_column_the_indicators_table_computes_is_in_the_registry_once():
    """The registry holds every indicator column compute_indicators writes (counts, capacities, rates, supply per
    deaths), with a theme of the picker and a better direction; the people and deaths it counts are not indicators."""
    elderly = pd.DataFrame({"departement": ["01", "02", "2A"], "population_75_plus": [10_000, 30_000, 15_000]})
    deaths = pd.DataFrame({"departement": ["01", "02", "2A"], "deaths": [1000, 3000, 1500],
                           "deaths_75_plus": [700, 2000, 1000], "cancer_deaths": [250, 800, 400],
                           "deaths_year": 2023, "cancer_deaths_year": 2022})  # fmt: skip
    table, _ = compute_indicators(HAND, COMMUNES, DEPARTEMENTS, RULES, None, elderly, deaths)
    counted = {"departement", "nom", "population", "population_75_plus", "deaths", "deaths_75_plus", "deaths_year",
               "cancer_deaths", "cancer_deaths_year"}  # fmt: skip
    columns = {c for c in table.columns if c not in counted and not c.startswith("gap_")}
    assert columns == set(INDICATORS), columns ^ set(INDICATORS)
    assert {i.theme for i in INDICATORS.values()} == {"count", "population", "elderly", "need"}
    assert [name for name, i in INDICATORS.items() if i.better == "low"] == ["inhabitants_per_emsp"]
    assert decimals_of("usp_count") == 0 and decimals_of("emsp_fte") == 2 and decimals_of("population") == 0
    assert decimals_of("usp_beds_per_100k") == 2 and decimals_of("lisp_per_1000") == 3


def test_the_config_lists_indicators_titled_by_the_registry_or_by_the_planner(default_config):
    """A list takes the registry's titles; a mapping is the planner's own titles."""
    from coverage.pipeline.configuration import with_titles

    assert default_config["maps"]["indicators"]["inhabitants_per_emsp"] == INDICATORS["inhabitants_per_emsp"].title
    assert default_config["changes"]["indicators"]["emsp_fte"] == "Personnel salarié des EMSP (ETP)"
    own = with_titles({"maps": {"indicators": {"usp_count": "USP ouvertes"}}, "changes": {"indicators": ["usp_count"]}})
    assert own["maps"]["indicators"] == {"usp_count": "USP ouvertes"}
    assert own["changes"]["indicators"] == {"usp_count": "Établissements avec une USP"}
