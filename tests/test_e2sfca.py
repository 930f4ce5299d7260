"""E2SFCA against the PySAL `access` package, on generated cases and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.core.e2sfca import DecaySteps, e2sfca
from coverage.france.constants import RUN_COLUMNS

STEPS = DecaySteps((15.0, 30.0, 45.0), (1.0, 0.68, 0.22))


def pysal_e2sfca(pairs: pd.DataFrame, population: pd.Series, supply: pd.Series, steps: DecaySteps) -> pd.Series:
    """The same measure computed by PySAL `access` (enhanced_two_stage_fca), per 1000 inhabitants."""
    model = Access(
        demand_df=population.rename("pop").rename_axis("commune").reset_index(),
        demand_index="commune",
        demand_value="pop",
        supply_df=supply.rename("capacity").rename_axis("finess").reset_index(),
        supply_index="finess",
        supply_value="capacity",
        cost_df=pairs,
        cost_origin="commune",
        cost_dest="finess",
        cost_name="minutes",
    )
    step = weights.step_fn(dict(zip(steps.upper_min, steps.weights, strict=True)))
    result = model.enhanced_two_stage_fca(name="e2sfca", weight_fn=step, max_cost=steps.catchment_min)
    return result.iloc[:, 0].reindex(population.index).fillna(0.0) * 1000


@settings(max_examples=25, deadline=None)
@given(minutes=st.lists(st.floats(0, 60, allow_nan=False), min_size=1, max_size=60))
def test_decay_steps_match_pysal_step_function(minutes):
    reference = weights.step_fn({15.0: 1.0, 30.0: 0.68, 45.0: 0.22})
    assert STEPS.weight(np.array(minutes)).tolist() == [reference(m) for m in minutes]


def test_hand_computed_case():
    pairs = pd.DataFrame({"commune": ["a", "b", "b"], "finess": ["s", "s", "t"], "minutes": [10.0, 20.0, 50.0]})
    population = pd.Series({"a": 1000, "b": 2000})
    supply = pd.Series({"s": 10.0, "t": 5.0})
    # R_s = 10 / (1000 * 1 + 2000 * 0.68) = 10 / 2360; t is beyond 45 minutes
    scores = e2sfca(pairs, population, supply, STEPS, columns=RUN_COLUMNS)
    assert scores["a"] == pytest.approx(1000 * 10 / 2360)
    assert scores["b"] == pytest.approx(1000 * 0.68 * 10 / 2360)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_equals_pysal_access_on_generated_cases(seed):
    rng = np.random.default_rng(seed)
    communes = [f"c{i}" for i in range(rng.integers(2, 15))]
    sites = [f"s{j}" for j in range(rng.integers(1, 6))]
    pairs = pd.DataFrame(
        [(c, s, float(rng.uniform(0, 45))) for c in communes for s in sites if rng.random() < 0.6],
        columns=["commune", "finess", "minutes"],
    )
    if pairs.empty:
        return
    population = pd.Series(rng.integers(1, 5000, len(communes)), index=communes)
    supply = pd.Series(rng.uniform(1, 30, len(sites)), index=sites)
    ours = e2sfca(pairs, population, supply, STEPS, columns=RUN_COLUMNS)
    theirs = pysal_e2sfca(pairs, population, supply, STEPS)
    assert np.allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-12)
