"""Greedy siting against brute force on small cases."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.core.siting import greedy, newly_covered
from coverage.france.candidates import CandidateRule, candidate_sites
from coverage.france.constants import RUN_COLUMNS


def covered_population(existing, candidates, population, chosen) -> int:
    covered = existing | candidates[list(chosen)].any(axis=0) if chosen else existing
    return int(population[covered].sum())


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), count=st.integers(1, 3))
def test_each_pick_is_the_best_addition_and_close_to_the_optimum(seed, count):
    rng = np.random.default_rng(seed)
    n_candidates, n_communes = int(rng.integers(1, 7)), int(rng.integers(1, 12))
    candidates = rng.random((n_candidates, n_communes)) < 0.3
    existing = rng.random(n_communes) < 0.2
    population = rng.integers(1, 1000, n_communes)
    codes = [f"{i:09d}" for i in range(n_candidates)]
    proposals = greedy(existing, candidates, population, count, codes)
    chosen: list[int] = []
    for proposal in proposals:
        before = covered_population(existing, candidates, population, chosen)
        best = max(covered_population(existing, candidates, population, chosen + [i]) for i in range(n_candidates))
        index = codes.index(proposal.site)
        assert covered_population(existing, candidates, population, chosen + [index]) == best
        assert proposal.population_gain == best - before > 0
        chosen.append(index)
        assert (
            proposal.share_covered_after
            == covered_population(existing, candidates, population, chosen) / population.sum()
        )
    optimum = max(
        covered_population(existing, candidates, population, subset)
        for subset in itertools.combinations(range(n_candidates), min(count, n_candidates))
    )
    greedy_total = covered_population(existing, candidates, population, chosen)
    base = covered_population(existing, candidates, population, [])
    assert greedy_total - base >= (1 - 1 / np.e) * (optimum - base) - 1e-9


def test_small_case_equals_brute_force_and_ties_go_to_the_smallest_finess():
    candidates = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 0, 0]], dtype=bool)
    population = np.array([10, 10, 5, 5])
    proposals = greedy(np.zeros(4, dtype=bool), candidates, population, 3, ["000000003", "000000002", "000000001"])
    assert [p.site for p in proposals] == ["000000001", "000000002"], "stops once nobody more is reached"
    assert [p.population_gain for p in proposals] == [20, 10] and proposals[-1].share_covered_after == 1.0
    communes = pd.DataFrame({"commune": ["a", "b", "c", "d"]})
    table = newly_covered(
        np.zeros(4, dtype=bool), candidates, proposals, ["000000003", "000000002", "000000001"], communes,
        columns=RUN_COLUMNS,
    )
    assert table.groupby("rank")["commune"].apply(list).to_dict() == {1: ["a", "b"], 2: ["c", "d"]}


def test_candidates_exclude_sites_offering_the_service_and_other_areas():
    finess = pd.DataFrame(
        {"finess": ["2A1", "2A2", "2B3", "750"], "name": list("wxyz"), "category": ["355", "355", "620", "355"],
         "departement": ["2A", "2A", "2B", "75"], "lon": [9.0] * 4, "lat": [42.0] * 4}
    )  # fmt: skip
    facilities = pd.DataFrame(
        {"finess": ["2A1", "2B9"], "name": ["w", "m"], "service": ["USP", "MSP"], "departement": ["2A", "2B"],
         "lon": [9.0, 9.1], "lat": [42.0, 42.1]}
    )  # fmt: skip
    candidates = candidate_sites(finess, facilities, "USP", CandidateRule(("355",), msp=True), ["2A", "2B"])
    assert candidates["finess"].tolist() == ["2A2", "2B9"]


def test_a_usp_opens_only_where_beds_are_and_an_emsp_may_use_an_msp():
    """A USP (beds) never in an MSP nor in a CH site without beds (an SMUR antenna is FINESS 355 too); an
    establishment with identified palliative beds (LISP) qualifies whatever its category."""
    finess = pd.DataFrame(
        {"finess": ["2B1", "2B2", "2B3", "2B4"], "category": ["355", "355", "109", "603"],
         "name": ["ANTENNE SMUR", "CH AVEC LISP", "SSR", "MSP"], "departement": "2B", "lon": 9.0, "lat": 42.0}
    )  # fmt: skip
    facilities = pd.DataFrame(
        {"finess": ["2B2", "2B4"], "name": ["CH AVEC LISP", "MSP"], "service": ["LISP", "MSP"], "departement": "2B",
         "lon": 9.0, "lat": 42.0}
    )  # fmt: skip
    usp = CandidateRule(categories=("106", "109", "365"), services=("LISP",))
    emsp = CandidateRule(categories=("109", "355"), services=("LISP",), msp=True)
    assert candidate_sites(finess, facilities, "USP", usp, ["2B"])["finess"].tolist() == ["2B2", "2B3"]
    assert candidate_sites(finess, facilities, "EMSP", emsp, ["2B"])["finess"].tolist() == ["2B1", "2B2", "2B3", "2B4"]
    assert "MSP" not in usp.describe() and "maisons de santé" in emsp.describe()
    no_team = CandidateRule(categories=("109", "355"), services=("LISP",), msp=True, excluded_names=("SMUR",))
    assert candidate_sites(finess, facilities, "EMSP", no_team, ["2B"])["finess"].tolist() == ["2B2", "2B3", "2B4"]
    assert no_team.describe().endswith("sauf les sites dont le nom contient SMUR")


def test_excluded_names_match_whole_words_whatever_the_case_and_accents():
    rule = CandidateRule(excluded_names=("SMUR", "hôpital de jour", "HJ"))
    names = pd.Series(["Antenne du smur - Sartène", "HOPITAL  DE JOUR DE PEDO PSY", "CH HJALMAR", "SMURFIT",
                       "Hôpital de Jour", "CH - HJ ADULTES", None, "CH DE CORTE"])  # fmt: skip
    assert rule.excludes(names).tolist() == [True, True, False, False, True, True, False, False]
    assert not CandidateRule().excludes(names).any()
