"""The network every trip of an area runs on: its roads within the horizon of the area (:func:`horizon_network`),
so that results per area equal those of one network of the whole country."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import shapely

from .network import RoadNetwork, cut_to, main_component, only_roads_between
from .routing import travel_matrix, within_time
from .speed_model import SpeedModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HorizonNetwork:
    """Result of :func:`horizon_network`.

    Attributes
    ----------
    network
        The roads within the horizon of the area, with travel times.
    pieces
        (nodes, lon, lat) of each piece dropped as not strongly connected to the main network.
    truncated
        Nodes within the horizon where the cut removed roads: trips through them may be longer than on
        the whole network.
    """

    network: RoadNetwork
    pieces: list[tuple[int, float, float]]
    truncated: int

    def warnings(self, area: list[str], *, horizon_min: float, buffer_km: float) -> list[tuple[None, str, str]]:
        """Row-log entries (line, id, text) for the pieces dropped, the nodes the cut of ``buffer_km`` around
        ``area`` (its codes) truncated, and a network whose roads carry no ``maxspeed`` at all."""
        text = "{} nodes around ({:.4f}, {:.4f}) not strongly connected to the main network [rule connected]: dropped"
        rows = [(None, f"piece-{i + 1}", text.format(*piece)) for i, piece in enumerate(self.pieces)]
        if self.truncated:
            rows.append((None, "horizon", (
                f"{self.truncated} nodes within {horizon_min:g} minutes of {', '.join(area)} lie where the "
                f"{buffer_km:g} km cut removed roads [rule horizon-inside-buffer]: trips through them may be longer "
                "than on the whole network; raise networks.buffer_km"
            )))  # fmt: skip
        if len(self.network.source) and not np.isfinite(self.network.maxspeed_kph).any():
            rows.append((None, "maxspeed", (
                f"no road within {horizon_min:g} minutes of {', '.join(area)} carries a maxspeed tag [rule "
                "maxspeed-tags]: the speed model's maxspeed rule changes nothing, every road runs at its class speed "
                "(a network written without that tag, or with only its converter's defaults: "
                "networks.sources[].converter_default_maxspeeds)"
            )))  # fmt: skip
        return rows


def horizon_network(
    source: RoadNetwork, cut: shapely.Geometry, area: shapely.Geometry, model: SpeedModel,
    alternative: SpeedModel | None = None, *, horizon_min: float,
) -> HorizonNetwork:  # fmt: skip
    """The network every trip of at most ``horizon_min`` starting or ending in ``area`` runs on.

    ``source`` is cut to ``cut`` (the area plus a buffer, WGS84) and its largest strongly connected
    component kept, driven at ``model`` (and ``alternative``) times; then only the roads within
    ``horizon_min`` of the nodes inside ``area``, either way and under the faster of the two models,
    keep their edges. Results per area then equal those of one network of the whole country.
    """
    logger.info("cutting %d nodes to the area and its buffer", source.n_nodes)
    arrays, pieces = main_component(cut_to(source, cut))
    logger.info("%d nodes kept (%d pieces dropped): keeping the roads within %g min", arrays.n_nodes, len(pieces),
                horizon_min)  # fmt: skip
    arrays = arrays.with_times(model, alternative)
    fastest = np.minimum(arrays.travel_time_s, arrays.alternative_time_s)
    forward = travel_matrix(arrays.source, arrays.target, fastest, arrays.n_nodes)
    inside = np.flatnonzero(shapely.contains_xy(area, arrays.lon, arrays.lat))
    keep = within_time(forward, forward.T.tocsr(), inside, horizon_min * 60)
    return HorizonNetwork(only_roads_between(arrays, keep), pieces, int((arrays.cut & keep).sum()))
