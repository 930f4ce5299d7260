"""Siting scenarios: add sites one after another, each bringing the most people within reach."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .access import AccessModel, Router, point_commune_seconds


@dataclass(frozen=True)
class Proposal:
    """One proposed site: its rank, FINESS, the population it newly brings within reach, the share after."""

    rank: int
    finess: str
    population_gain: int
    share_covered_after: float


def coverage_sets(
    router: Router, lon: np.ndarray, lat: np.ndarray, communes: pd.DataFrame, model: AccessModel, direction: str,
    minutes: float,
) -> np.ndarray:  # fmt: skip
    """Boolean matrix (points x communes): commune within ``minutes`` of each point (off-road legs included)."""
    return point_commune_seconds(router, lon, lat, communes, model, direction, minutes) <= minutes * 60


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
        FINESS of each candidate; ties go to the smallest.

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


def candidate_sites(
    finess: pd.DataFrame, facilities: pd.DataFrame, service: str, categories: list[str], departements: list[str]
) -> pd.DataFrame:
    """Establishments of the given FINESS categories (and MSP) in the area not offering ``service`` yet."""
    offering = set(facilities.loc[facilities["service"] == service, "finess"])
    msp = facilities.loc[facilities["service"] == "MSP", ["finess", "name", "departement", "lon", "lat"]]
    hospitals = finess.loc[finess["category"].isin(categories), ["finess", "name", "departement", "lon", "lat"]]
    candidates = pd.concat([hospitals, msp], ignore_index=True).drop_duplicates("finess")
    keep = (
        candidates["departement"].isin(departements) & ~candidates["finess"].isin(offering) & candidates["lon"].notna()
    )
    return candidates[keep].sort_values("finess", ignore_index=True)


def newly_covered(
    existing: np.ndarray, candidates: np.ndarray, proposals: list[Proposal], codes: list[str], communes: pd.DataFrame
) -> pd.DataFrame:
    """``commune``, ``rank``, ``finess``: the communes each proposal brings within reach first."""
    covered = existing.copy()
    rows = []
    for proposal in proposals:
        cover = candidates[codes.index(proposal.finess)]
        new = cover & ~covered
        rows += [
            {"commune": c, "rank": proposal.rank, "finess": proposal.finess}
            for c in communes["commune"].to_numpy()[new]
        ]
        covered |= cover
    return pd.DataFrame(rows, columns=["commune", "rank", "finess"])
