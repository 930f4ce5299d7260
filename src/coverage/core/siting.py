"""Siting scenarios: add sites one after another, each bringing the most people within reach."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .access import AccessModel, Router, point_commune_seconds, with_geometry_of
from .columns import Columns

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Proposal:
    """One proposed site: its rank, identifier, the population it newly brings within reach, the share after."""

    rank: int
    site: str
    population_gain: int
    share_covered_after: float


def coverage_sets(
    router: Router, lon: np.ndarray, lat: np.ndarray, communes: pd.DataFrame, model: AccessModel, *, direction: str,
    minutes: float,
) -> np.ndarray:  # fmt: skip
    """Boolean matrix (points x communes): commune within ``minutes`` of each point (off-road legs included)."""
    seconds = point_commune_seconds(router, lon, lat, communes, model, direction=direction, limit_min=minutes)
    return seconds <= minutes * 60


def greedy(
    existing: np.ndarray, candidates: np.ndarray, population: np.ndarray, count: int, codes: list[str]
) -> list[Proposal]:
    """Choose up to ``count`` candidates one after another, each maximising the newly covered population.

    Parameters
    ----------
    existing
        Communes already covered by the current sites (boolean, one per commune).
    candidates
        Boolean matrix (candidates x communes) of the communes each candidate would cover.
    population
        Population of each commune.
    codes
        Identifier of each candidate; ties go to the smallest.

    Stops early when no candidate adds anyone.
    """
    covered = existing.copy()
    available = np.ones(len(codes), dtype=bool)
    proposals = []
    for rank in range(1, count + 1):
        gains = np.where(available, (candidates & ~covered).astype(np.int64) @ population, -1)
        if len(gains) == 0 or gains.max() <= 0:
            break
        index = min(np.flatnonzero(gains == gains.max()), key=lambda i: codes[i])
        available[index] = False
        covered |= candidates[index]
        share = float(population[covered].sum() / population.sum())
        proposals.append(Proposal(rank, codes[index], int(gains[index]), share))
    return proposals


def newly_covered(
    existing: np.ndarray, candidates: np.ndarray, proposals: list[Proposal], codes: list[str], communes: pd.DataFrame,
    *, columns: Columns,
) -> pd.DataFrame:  # fmt: skip
    """``commune_id``, ``rank``, ``site_id``: the communes each proposal brings within reach first."""
    site_id, commune_id = columns.site, columns.commune
    covered = existing.copy()
    rows = []
    for proposal in proposals:
        cover = candidates[codes.index(proposal.site)]
        new = cover & ~covered
        rows += [{commune_id: c, "rank": proposal.rank, site_id: proposal.site} for c in communes[commune_id][new]]
        covered |= cover
    return pd.DataFrame(rows, columns=[commune_id, "rank", site_id])


def scenario_columns(columns: Columns) -> list[str]:
    """The columns of a siting scenario's proposals."""
    site_id, area = columns.site, columns.area
    return ["rank", site_id, "name", area, "lon", "lat", "population_gain", "share_covered_after"]


def greedy_scenario(
    router: Router, communes: pd.DataFrame, existing: pd.DataFrame, candidates: pd.DataFrame, model: AccessModel,
    *, direction: str, minutes: float, count: int, columns: Columns,
) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Add up to ``count`` of the ``candidates`` one after another, each bringing the most people within
    ``minutes`` of a site (``existing`` ones included), in ``direction``.

    Parameters
    ----------
    communes
        ``commune_id``, ``population``, ``lon``, ``lat`` (where their trips start).
    existing, candidates
        Sites with ``site_id``, ``lon``, ``lat``; candidates also ``name`` and the ``area``.

    Returns
    -------
    proposals, newly_covered
        :func:`scenario_columns` per proposal (a GeoDataFrame with the candidates' geometry and CRS when they are
        one); ``commune_id``, ``rank``, ``site_id``: the communes each proposal brings within reach first.
    """
    site_id, area, population = columns.site, columns.area, columns.population
    logger.info("%d sites and %d candidates: the communes each covers within %g min", len(existing), len(candidates),
                minutes)  # fmt: skip
    covered_now = coverage_sets(
        router, existing["lon"].to_numpy(), existing["lat"].to_numpy(), communes, model, direction=direction,
        minutes=minutes,
    ).any(axis=0)
    cover = coverage_sets(
        router, candidates["lon"].to_numpy(), candidates["lat"].to_numpy(), communes, model, direction=direction,
        minutes=minutes,
    )
    codes = candidates[site_id].tolist()
    proposals = greedy(covered_now, cover, communes[population].to_numpy(), count, codes)
    picked = candidates.set_index(site_id, drop=False).loc[[p.site for p in proposals]]
    table = picked[[site_id, "name", area, "lon", "lat"]].reset_index(drop=True).assign(
        rank=[p.rank for p in proposals],
        population_gain=[p.population_gain for p in proposals],
        share_covered_after=[p.share_covered_after for p in proposals],
    )
    chosen = newly_covered(covered_now, cover, proposals, codes, communes, columns=columns)
    return with_geometry_of(pd.DataFrame(table[scenario_columns(columns)]), picked), chosen
