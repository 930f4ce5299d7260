"""Capacity-aware accessibility per commune: the enhanced two-step floating catchment area (E2SFCA)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .access import AccessModel, Router, service_sites, site_commune_seconds, with_geometry_of
from .checks import known_values
from .columns import Columns


@dataclass(frozen=True)
class DecaySteps:
    """Distance decay as steps: weight ``weights[k]`` up to ``upper_min[k]`` minutes (inclusive), 0 beyond."""

    upper_min: tuple[float, ...]
    weights: tuple[float, ...]

    @classmethod
    def from_config(cls, steps: list[dict]) -> DecaySteps:
        """Build from the config's ``e2sfca.steps`` (``max_min``, ``weight``), sorted by minutes."""
        ordered = sorted(steps, key=lambda step: step["max_min"])
        return cls(tuple(float(s["max_min"]) for s in ordered), tuple(float(s["weight"]) for s in ordered))

    @property
    def catchment_min(self) -> float:
        """The largest catchment, beyond which the weight is 0."""
        return self.upper_min[-1]

    def weight(self, minutes: np.ndarray) -> np.ndarray:
        """Weight of each travel time."""
        index = np.searchsorted(np.asarray(self.upper_min), np.asarray(minutes, dtype=float), side="left")
        return np.asarray(self.weights + (0.0,))[index]


def travel_pairs(
    router: Router, communes: pd.DataFrame, facilities: pd.DataFrame, model: AccessModel, *, limit_min: float,
    columns: Columns,
) -> pd.DataFrame:  # fmt: skip
    """Minutes between every commune and every site of each service within ``limit_min``.

    One bounded search per site (not an all-pairs matrix), in each service's direction, plus the
    off-road time at both ends. Communes and sites off the network have no pair.

    Returns
    -------
    pandas.DataFrame
        ``commune_id``, the site's ``site_id``, ``service``, ``minutes``, sorted.
    """
    site_id, commune_id = columns.site, columns.commune
    frames = []
    paired = site_commune_seconds(router, communes, facilities, model, limit_min=limit_min, columns=columns)
    for service, sites, seconds in paired:
        site_index, commune_index = np.nonzero(seconds <= limit_min * 60)
        frames.append(
            pd.DataFrame(
                {
                    commune_id: communes[commune_id].to_numpy()[commune_index],
                    site_id: sites[site_id].to_numpy()[site_index],
                    "service": service,
                    "minutes": seconds[site_index, commune_index] / 60,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(["service", commune_id, site_id], ignore_index=True)


def e2sfca(
    pairs: pd.DataFrame, population: pd.Series, supply: pd.Series, steps: DecaySteps, *, columns: Columns,
) -> pd.Series:
    """E2SFCA access of each commune: weighted supply per 1000 weighted inhabitants within reach.

    Step 1, each site j: R_j = S_j / sum_i P_i W(t_ij). Step 2, each commune i:
    A_i = 1000 * sum_j R_j W(t_ij). A site with nobody within its catchment has R_j = 0.

    Parameters
    ----------
    pairs
        ``commune_id``, ``site_id``, ``minutes`` of one service.
    population
        Commune code -> population (the demand).
    supply
        Site -> capacity (beds, places, FTE...).
    steps
        The distance decay.
    """
    site_id, commune_id = columns.site, columns.commune
    pairs = pairs.assign(weight=steps.weight(pairs["minutes"].to_numpy()))
    pairs = pairs[pairs["weight"] > 0]
    demand = (pairs[commune_id].map(population) * pairs["weight"]).groupby(pairs[site_id]).sum()
    ratio = (supply.reindex(demand.index).fillna(0.0) / demand).where(demand > 0, 0.0)
    access = (pairs[site_id].map(ratio) * pairs["weight"]).groupby(pairs[commune_id]).sum() * 1000
    return access.reindex(population.index, fill_value=0.0)


def e2sfca_scores(
    pairs: pd.DataFrame, communes: pd.DataFrame, facilities: pd.DataFrame, supply: dict[str, str], steps: DecaySteps,
    *, columns: Columns,
) -> pd.DataFrame:  # fmt: skip
    """E2SFCA score of every commune for each service of ``supply``.

    Parameters
    ----------
    pairs
        ``commune_id``, ``site_id``, ``service``, ``minutes`` (:func:`travel_pairs`) of the whole study area,
        so that each site's demand counts every commune within its catchment.
    communes
        ``commune_id``, the ``area``, ``population``, ``on_network``.
    facilities
        The sites (``site_id``, ``service``, ``lon``, ``lat`` and the supply columns).
    supply
        Service -> column of ``facilities`` giving its supply (beds, places, FTE...); empty counts as 0.

    Returns
    -------
    pandas.DataFrame
        ``commune_id``, the ``area`` and ``<service>_access`` per service (empty off the network); a GeoDataFrame
        with the communes' geometry and CRS when ``communes`` is one.

    Raises
    ------
    ArgumentError
        A commune without population.
    """
    site_id, area, commune_id, population = columns.site, columns.area, columns.commune, columns.population
    known_values(communes, population, "communes", "a number of inhabitants for every commune (0 for none)")
    people = communes.set_index(commune_id)[population]
    table = pd.DataFrame(communes[[commune_id, area]]).reset_index(drop=True)
    for service, column in supply.items():
        offered = service_sites(facilities, service, columns=columns).set_index(site_id)[column]
        scores = e2sfca(pairs[pairs["service"] == service], people, offered.fillna(0.0), steps, columns=columns)
        table[f"{service.lower()}_access"] = table[commune_id].map(scores).where(communes["on_network"].to_numpy())
    return with_geometry_of(table, communes)
