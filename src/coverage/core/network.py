"""The road network as flat arrays (:class:`RoadNetwork`): its nodes and edges, the road features a speed model
reads, its ``.npz`` file, and the cuts that keep part of it (an area, a component, the roads between some nodes)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ..errors import InputError, Problem
from .geometry import WGS84

if TYPE_CHECKING:
    from .speed_model import SpeedModel

TEXT_FIELDS = ("crs", "extent")
NODE_FIELDS = ("node_id", "lon", "lat", "neighbours", "nearby_junctions", "cut")
EDGE_FIELDS = ("source", "target", "length_m", "sinuosity", "maxspeed_kph", "highway", "travel_time_s",
               "alternative_time_s", "shape_first", "shape_last")  # fmt: skip
SHAPE_FIELDS = ("shape_lon", "shape_lat")
NEARBY_RADIUS_M = 300.0  # radius of the junction count that tells built-up areas (``RoadNetwork.nearby_junctions``)


@dataclass(frozen=True)
class RoadNetwork:
    """A directed road network as flat arrays: nodes (ids, WGS84 coordinates) and edges (index pairs).

    Nodes carry ``neighbours`` (distinct nodes joined by a road: 3 or more is a junction) and
    ``nearby_junctions`` (junctions within 300 m: the density that tells built-up areas; junctions,
    unlike shape points, do not depend on how the network was simplified). Edges carry what
    the speed model reads (``length_m`` along the road, ``sinuosity`` of the stretch between junctions,
    ``maxspeed_kph`` — NaN when untagged — and ``highway``), the drive time of the run's model
    (``travel_time_s``) and of its alternative (``alternative_time_s``, for the sensitivity).
    ``extent`` is the WKT (WGS84) of the polygon the network was cut to, empty when it was not cut:
    places outside it are not on this network, however close to its edge.

    Each edge's shape is the run of points ``shape_first`` to ``shape_last`` (either way, both ends
    included) of ``shape_lon``/``shape_lat``: the road's real geometry between its two nodes, for
    isochrones and maps. The two directions of a road share one run. ``cut`` marks the nodes that
    lost a road where the network was cut (at the border of its extract or of an area): trips through
    them may continue outside.

    ``sinuosity``, ``maxspeed_kph``, ``alternative_time_s``, ``neighbours``, ``nearby_junctions`` and the
    shapes may be left out: computed from the arrays (straight edges between the nodes), no tags, one model.
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    source: np.ndarray
    target: np.ndarray
    length_m: np.ndarray
    travel_time_s: np.ndarray
    highway: np.ndarray
    crs: str
    extent: str = ""
    sinuosity: np.ndarray | None = None
    maxspeed_kph: np.ndarray | None = None
    alternative_time_s: np.ndarray | None = None
    neighbours: np.ndarray | None = None
    nearby_junctions: np.ndarray | None = None
    shape_lon: np.ndarray | None = None
    shape_lat: np.ndarray | None = None
    shape_first: np.ndarray | None = None
    shape_last: np.ndarray | None = None
    cut: np.ndarray | None = None

    def __post_init__(self):
        if self.shape_first is None:
            ends = np.column_stack([self.source, self.target])
            object.__setattr__(self, "shape_lon", np.asarray(self.lon, dtype=float)[ends].ravel())
            object.__setattr__(self, "shape_lat", np.asarray(self.lat, dtype=float)[ends].ravel())
            object.__setattr__(self, "shape_first", 2 * np.arange(len(self.source), dtype=np.int64))
            object.__setattr__(self, "shape_last", 2 * np.arange(len(self.source), dtype=np.int64) + 1)
        defaults = {
            "cut": lambda: np.zeros(len(self.node_id), dtype=bool),
            "maxspeed_kph": lambda: np.full(len(self.source), np.nan),
            "alternative_time_s": lambda: np.asarray(self.travel_time_s, dtype=float),
            "neighbours": lambda: neighbour_counts(self.source, self.target, len(self.node_id)),
            "sinuosity": lambda: stretch_sinuosity(
                self.source, self.target, self.length_m, self.projected_xy(), self.neighbours
            ),
            "nearby_junctions": lambda: nearby_junction_counts(self.projected_xy(), self.neighbours),
        }
        for name, default in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, default())
        object.__setattr__(self, "highway", narrowest(self.highway))

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_id)

    def projected_xy(self) -> np.ndarray:
        """Node coordinates in the network's projected CRS (metres), shape (n, 2)."""
        return project(self.lon, self.lat, self.crs)

    def with_times(self, model: SpeedModel, alternative: SpeedModel | None = None) -> RoadNetwork:
        """The network with drive times from ``model`` (and ``alternative``, else the same)."""
        seconds = model.edge_seconds(self)
        other = seconds if alternative is None else alternative.edge_seconds(self)
        return replace(self, travel_time_s=seconds, alternative_time_s=other)

    def under_alternative(self) -> RoadNetwork:
        """The same network driven at the alternative model's times."""
        return replace(self, travel_time_s=self.alternative_time_s)

    def edge_points(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The shape points of some edges (indices), in driving order: (point indices, edge position of each)."""
        first, last = self.shape_first[edges], self.shape_last[edges]
        counts = np.abs(last - first) + 1
        owner = np.repeat(np.arange(len(edges)), counts)
        rank = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return first[owner] + np.sign(last - first)[owner] * rank, owner

    def save(self, path: str | Path) -> None:
        """Write the arrays to an uncompressed ``.npz`` (loads in milliseconds)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in TEXT_FIELDS}
        with open(path, "wb") as handle:
            np.savez(handle, **{name: np.array(getattr(self, name)) for name in TEXT_FIELDS}, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> RoadNetwork:
        """Read arrays written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as data:
            texts = {name: str(data[name]) for name in TEXT_FIELDS}
            return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name not in TEXT_FIELDS}, **texts)


def narrowest(texts: np.ndarray) -> np.ndarray:
    """Unicode strings in the narrowest width that holds them (4 bytes per character per string: a
    fixed ``U32`` would weigh 128 bytes per edge, 600 MB for a département of 5 million edges)."""
    texts = np.asarray(texts, dtype=str)
    width = int(np.char.str_len(texts).max()) if texts.size else 1
    return texts.astype(f"U{max(width, 1)}")


def neighbour_counts(source: np.ndarray, target: np.ndarray, n_nodes: int) -> np.ndarray:
    """Number of distinct nodes each node shares a road with, whatever the direction."""
    pairs = np.unique(np.concatenate([np.column_stack([source, target]), np.column_stack([target, source])]), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.bincount(pairs[:, 0], minlength=n_nodes).astype(np.int32)


def stretch_sinuosity(
    source: np.ndarray, target: np.ndarray, length_m: np.ndarray, xy: np.ndarray, neighbours: np.ndarray
) -> np.ndarray:
    """Sinuosity of the stretch of road each edge belongs to: its length over the chord between its ends.

    A stretch runs between two nodes that are not mere shape points (junctions and dead ends: any
    node without exactly two neighbours), through the shape points in between. Measured on the
    stretch rather than on the edge, bends count the same whether a network keeps shape points as
    nodes (an unsimplified OSM graph, a MATSim network) or not (an osmnx simplified graph). A stretch
    that comes back to where it started has a chord near zero: the model caps its sinuosity.
    """
    n = len(neighbours)
    shape = neighbours == 2
    inner = shape[source] & shape[target]
    links = sp.coo_matrix((np.ones(inner.sum()), (source[inner], target[inner])), shape=(n, n))
    _, label = connected_components(links, directed=False)
    # An edge belongs to the stretch of its shape-point end; an edge between two ends is a stretch alone.
    stretch = np.where(shape[source], label[source], np.where(shape[target], label[target], n + np.arange(len(source))))
    pair_low, pair_high = np.minimum(source, target), np.maximum(source, target)
    once = np.unique(np.column_stack([stretch, pair_low, pair_high]), axis=0, return_index=True)[1]
    ids, position = np.unique(stretch, return_inverse=True)
    total = np.bincount(position[once], weights=length_m[once], minlength=len(ids))
    ends = np.concatenate([np.column_stack([position, source]), np.column_stack([position, target])])
    ends = ends[~shape[ends[:, 1]]]
    first, last = np.full(len(ids), n), np.full(len(ids), -1)
    np.minimum.at(first, ends[:, 0], ends[:, 1])
    np.maximum.at(last, ends[:, 0], ends[:, 1])
    has_ends = last >= 0
    chord = np.where(has_ends, np.hypot(*(xy[np.where(has_ends, first, 0)] - xy[np.maximum(last, 0)]).T), 0.0)
    return (total / np.maximum(chord, 1.0))[position]


def nearby_junction_counts(xy: np.ndarray, neighbours: np.ndarray, radius_m: float = NEARBY_RADIUS_M) -> np.ndarray:
    """Number of junctions (nodes joining 3 roads or more) within ``radius_m`` of each node, itself excluded."""
    junctions = xy[neighbours >= 3]
    if len(junctions) == 0:
        return np.zeros(len(xy), dtype=np.int32)
    counts = cKDTree(junctions).query_ball_point(xy, radius_m, return_length=True)
    return (counts - (neighbours >= 3)).astype(np.int32)


def project(lon: np.ndarray, lat: np.ndarray, crs: str) -> np.ndarray:
    """WGS84 longitudes/latitudes to (x, y) metres in ``crs``."""
    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def whole(network: RoadNetwork) -> RoadNetwork:
    """A network kept whole: its extent the convex hull of its nodes (with a metre's margin: every node inside)."""
    hull = shapely.MultiPoint(np.column_stack([network.lon, network.lat])).convex_hull.buffer(1e-5)
    return replace(network, extent=shapely.to_wkt(hull, rounding_precision=6))


def has_roads(network: RoadNetwork, path: str | Path, area: str) -> RoadNetwork:
    """``network``, unless it has no road: then an :class:`InputError` naming the source and the ``area``."""
    if len(network.source) == 0:
        raise InputError(path, Problem(f"drivable roads within {area}", value="no road there"))
    return network


def only_roads_between(network: RoadNetwork, keep: np.ndarray) -> RoadNetwork:
    """The network with only the edges joining two ``keep`` nodes; every node stays, for snapping.

    A point whose nearest node was left without roads is then on the network but unreachable,
    rather than snapped to a further node that kept its roads.
    """
    return RoadNetwork(**_fields_with_edges_between(network, keep))


def _fields_with_edges_between(network: RoadNetwork, keep: np.ndarray) -> dict:
    """The network's fields with only the edges joining two ``keep`` nodes (nodes and shapes untouched)."""
    edges = keep[network.source] & keep[network.target]
    fields = {name: getattr(network, name) for name in network.__dataclass_fields__}
    fields.update({name: fields[name][edges] for name in EDGE_FIELDS})
    return fields


def subnetwork(network: RoadNetwork, keep: np.ndarray) -> RoadNetwork:
    """The nodes ``keep`` (boolean mask) and the edges between them, renumbered; road features and shapes kept.

    Only the shape points of kept edges are stored, so a département's slice of a région's network
    carries only its own geometry.
    """
    renumber = np.cumsum(keep) - 1
    fields = _fields_with_edges_between(network, keep)
    fields.update({name: fields[name][keep] for name in NODE_FIELDS})
    fields["source"], fields["target"] = renumber[fields["source"]], renumber[fields["target"]]
    ends = np.column_stack([fields["shape_first"], fields["shape_last"]])
    covered = np.zeros(len(network.shape_lon) + 1, dtype=np.int64)  # +1 where a run starts, -1 after it ends
    np.add.at(covered, ends.min(axis=1), 1)
    np.add.at(covered, ends.max(axis=1) + 1, -1)
    point_kept = np.cumsum(covered)[:-1] > 0
    moved = np.cumsum(point_kept) - 1
    fields.update({name: fields[name][point_kept] for name in SHAPE_FIELDS})
    fields["shape_first"], fields["shape_last"] = moved[fields["shape_first"]], moved[fields["shape_last"]]
    return RoadNetwork(**fields)


def cut_to(network: RoadNetwork, polygon) -> RoadNetwork:
    """The part of a network whose nodes lie inside a WGS84 (multi)polygon; ``extent`` becomes the polygon,
    within the network's own extent if it had one.

    Kept nodes that lose a road in the cut join those marked ``cut``.
    """
    inside = shapely.contains_xy(polygon, network.lon, network.lat)
    crossing = inside[network.source] != inside[network.target]
    cut = network.cut.copy()
    cut[network.source[crossing]] = True
    cut[network.target[crossing]] = True
    piece = subnetwork(replace(network, cut=cut), inside)
    if network.extent:
        polygon = shapely.intersection(polygon, shapely.from_wkt(network.extent))
    return replace(piece, extent=shapely.to_wkt(polygon, rounding_precision=6))


def main_component(network: RoadNetwork) -> tuple[RoadNetwork, list[tuple[int, float, float]]]:
    """Keep the largest strongly connected component, as osmnx does for its downloads.

    Returns the kept network and, for each weakly connected piece of what was dropped (an island
    without a bridge, a fragment cut off by one-way streets), its node count and mean WGS84 point,
    largest first. Points nearest such a piece snap to the main network instead, or are flagged off
    the network when it is further than ``max_snap_m``.
    """
    n = network.n_nodes
    links = sp.coo_matrix((np.ones(len(network.source)), (network.source, network.target)), shape=(n, n)).tocsr()
    _, strong = connected_components(links, directed=True, connection="strong")
    keep = strong == np.argmax(np.bincount(strong)) if n else np.zeros(0, dtype=bool)
    dropped = np.flatnonzero(~keep)
    pieces = []
    if len(dropped):
        _, weak = connected_components(links[dropped][:, dropped], directed=True, connection="weak")
        counts = np.bincount(weak)
        lon = np.bincount(weak, weights=network.lon[dropped]) / counts
        lat = np.bincount(weak, weights=network.lat[dropped]) / counts
        first = np.full(len(counts), np.iinfo(np.int64).max)
        np.minimum.at(first, weak, network.node_id[dropped])
        order = np.lexsort((first, -counts))
        pieces = [(int(counts[i]), float(lon[i]), float(lat[i])) for i in order]
    return subnetwork(network, keep), pieces
