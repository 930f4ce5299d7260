"""Drivable road networks as arrays: load (GraphML, OSM extract, download), cut to an area, edge speeds, on disk."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ..constants import WGS84, metric_crs
from ..errors import ArgumentError, ArgumentTypeError, InputError, Problem
from .checks import projected_crs, wgs84_polygon
from .routing import travel_matrix, within_time

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # osmnx and networkx (with the matplotlib osmnx loads) only for GraphML and downloads
    import networkx as nx

SOURCES = ("graphml", "graph", "osm", "download")
TEXT_FIELDS = ("crs", "extent")
NODE_FIELDS = ("node_id", "lon", "lat", "neighbours", "nearby_junctions", "cut")
EDGE_FIELDS = ("source", "target", "length_m", "sinuosity", "maxspeed_kph", "highway", "travel_time_s",
               "alternative_time_s", "shape_first", "shape_last")  # fmt: skip
SHAPE_FIELDS = ("shape_lon", "shape_lat")
NEARBY_RADIUS_M = 300.0  # radius of the junction count that tells built-up areas (``RoadNetwork.nearby_junctions``)
MAXSPEED_WORDS = {"FR:urban": 50.0, "FR:rural": 80.0, "FR:zone30": 30.0, "FR:motorway": 130.0, "FR:walk": 6.0}
MPH = 1.609344
CLASS_ORDER = ("motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link", "primary_link",
               "secondary_link", "tertiary_link", "unclassified", "residential", "living_street", "road")  # fmt: skip


@dataclass(frozen=True)
class SpeedModel:
    """How long it takes to drive each road segment.

    Speed starts from the class of the road, is capped by (or replaced with) its ``maxspeed`` tag,
    reduced for bends and in built-up areas; a delay is added at each junction entered::

        v = class_kph[highway]                       (``default`` for other classes)
        v = min(v, maxspeed)  or  maxspeed when tagged (``maxspeed`` = ``cap`` or ``target``)
        v = v / (1 + bend_coefficient * (min(sinuosity, max_sinuosity) - 1))   but on free-flow classes
        v = min(v, built_up_kph)                     where the segment starts in a built-up area, but on
                                                     free-flow classes
        t = length / v + junction_delay_s            when the segment ends at a junction, but on priority
                                                     classes

    sinuosity = length along the road / straight-line chord between the junctions it runs between
    (:func:`stretch_sinuosity`: whatever shape points the network keeps as nodes); a built-up area is a
    node with at least ``built_up_min_junctions`` junctions within 300 m; a junction is a node joining
    three roads or more.

    Parameters
    ----------
    name
        The model's name, cited in reports (``calibrated``, ``legal_limits``).
    class_kph
        Speed per OSM ``highway`` class; key ``default`` for any other class.
    maxspeed
        ``cap``: a tag is an upper bound (a limit is not a driving speed); ``target``: a tag is the speed.
    bend_coefficient, max_sinuosity
        Speed reduction per unit of sinuosity above 1 (0: none), and the sinuosity beyond which
        it stops growing (loops have a chord near zero).
    built_up_kph, built_up_min_junctions
        Highest speed in built-up areas (``None``: no such cap) and the count of junctions within 300 m
        that makes one.
    junction_delay_s
        Seconds lost at each junction entered.
    priority_classes
        Classes whose drivers lose no time at the junctions they pass: main roads have the right of way over the
        side roads joining them (a route nationale through Corsica meets a side road every 400 m).
    free_flow_classes
        Classes driven at their speed whatever their bends and the junctions around them: grade-separated roads
        (motorways, expressways) are built for their speed (large curve radii, no crossing traffic), and a
        divided road's stretch between interchanges is no measure of its bends (its two carriageways may meet
        at a shape point: a U whose chord is near zero).
    source
        Where the parameters come from, cited in reports.
    """

    name: str
    class_kph: dict[str, float]
    maxspeed: str = "cap"
    bend_coefficient: float = 0.0
    max_sinuosity: float = 3.0
    built_up_kph: float | None = None
    built_up_min_junctions: int = 8
    junction_delay_s: float = 0.0
    priority_classes: tuple[str, ...] = ()
    free_flow_classes: tuple[str, ...] = ()
    source: str = ""

    @classmethod
    def from_config(cls, name: str, settings: dict) -> SpeedModel:
        """Build the model called ``name`` from its section of the config's ``speeds.models``."""
        listed = {key: tuple(settings.get(key, ())) for key in ("priority_classes", "free_flow_classes")}
        return cls(name=name, **{**settings, **listed})

    def edge_speed_kph(self, network: RoadNetwork) -> np.ndarray:
        """Speed on every edge (km/h), before the junction delay."""
        return self.speed_kph(EdgeFeatures.of(network))

    def edge_seconds(self, network: RoadNetwork) -> np.ndarray:
        """Seconds to drive every edge of a network."""
        return self.seconds(EdgeFeatures.of(network))

    def speed_kph(self, edges: EdgeFeatures) -> np.ndarray:
        """Speed on some edges (km/h), before the junction delay, from their features."""
        default = self.class_kph["default"]
        speed = np.array([self.class_kph.get(h, default) for h in edges.classes.tolist()], dtype=float)[edges.kind]
        tagged = np.isfinite(edges.maxspeed_kph)
        if self.maxspeed == "target":
            speed = np.where(tagged, edges.maxspeed_kph, speed)
        else:
            speed = np.where(tagged, np.minimum(speed, edges.maxspeed_kph), speed)
        slowed = ~np.isin(edges.classes, self.free_flow_classes)[edges.kind]
        bends = np.clip(edges.sinuosity, 1.0, self.max_sinuosity) - 1.0
        speed = np.where(slowed, speed / (1.0 + self.bend_coefficient * bends), speed)
        if self.built_up_kph is not None:
            built_up = slowed & (edges.nearby_junctions >= self.built_up_min_junctions)
            speed = np.where(built_up, np.minimum(speed, self.built_up_kph), speed)
        return speed

    def seconds(self, edges: EdgeFeatures) -> np.ndarray:
        """Seconds to drive some edges, from their features."""
        delayed = edges.enters_junction & ~np.isin(edges.classes, self.priority_classes)[edges.kind]
        return edges.length_m / (self.speed_kph(edges) / 3.6) + self.junction_delay_s * delayed

    def as_config(self) -> dict:
        """The model's parameters as its section of ``speeds.models`` (floats rounded for reading)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "name"}
        fields["class_kph"] = {k: round(float(v), 2) for k, v in sorted(self.class_kph.items())}
        for name in ("bend_coefficient", "max_sinuosity", "junction_delay_s"):
            fields[name] = round(float(fields[name]), 3)
        if fields["built_up_kph"] is not None:
            fields["built_up_kph"] = round(float(fields["built_up_kph"]), 2)
        fields["priority_classes"] = list(self.priority_classes)
        fields["free_flow_classes"] = list(self.free_flow_classes)
        return fields


def speed_models(settings: dict) -> tuple[SpeedModel, SpeedModel | None]:
    """The run's speed model and its alternative (None when ``alternative`` is null), from the config's ``speeds``
    section."""
    models, alternative = settings["models"], settings["alternative"]
    return (SpeedModel.from_config(settings["model"], models[settings["model"]]),
            None if alternative is None else SpeedModel.from_config(alternative, models[alternative]))  # fmt: skip


@dataclass(frozen=True)
class EdgeFeatures:
    """What a speed model reads of some edges, gathered once so that many models can be evaluated on them.

    ``classes`` holds the distinct ``highway`` classes and ``kind`` each edge's position among them;
    ``nearby_junctions`` is counted at the edge's start (built-up areas), ``enters_junction`` tells an edge that
    ends at a junction.
    """

    classes: np.ndarray
    kind: np.ndarray
    length_m: np.ndarray
    maxspeed_kph: np.ndarray
    sinuosity: np.ndarray
    nearby_junctions: np.ndarray
    enters_junction: np.ndarray

    @classmethod
    def of(cls, network: RoadNetwork, edges: np.ndarray | None = None) -> EdgeFeatures:
        """The features of a network's edges (``edges``: some of them, by index)."""
        pick = slice(None) if edges is None else edges
        classes, kind = np.unique(network.highway[pick], return_inverse=True)
        return cls(
            classes=classes, kind=kind, length_m=network.length_m[pick], maxspeed_kph=network.maxspeed_kph[pick],
            sinuosity=network.sinuosity[pick], nearby_junctions=network.nearby_junctions[network.source[pick]],
            enters_junction=network.neighbours[network.target[pick]] >= 3,
        )  # fmt: skip

    def subset(self, edges: np.ndarray) -> EdgeFeatures:
        """The features of some of these edges (by position)."""
        return replace(self, kind=self.kind[edges], length_m=self.length_m[edges],
                       maxspeed_kph=self.maxspeed_kph[edges], sinuosity=self.sinuosity[edges],
                       nearby_junctions=self.nearby_junctions[edges], enters_junction=self.enters_junction[edges])


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


def parse_maxspeed(value: object) -> float:
    """An OSM ``maxspeed`` as km/h: numbers, ``mph``, French words (``FR:urban``…); lists give their mean.

    NaN when there is no usable limit (``none``, ``signals``, empty).
    """
    if isinstance(value, (list, tuple)):
        speeds = [parse_maxspeed(v) for v in value]
        speeds = [s for s in speeds if np.isfinite(s)]
        return float(np.mean(speeds)) if speeds else np.nan
    if value is None:
        return np.nan
    text = str(value).strip()
    if text in MAXSPEED_WORDS:
        return MAXSPEED_WORDS[text]
    if ";" in text:
        return parse_maxspeed(text.split(";"))
    factor = MPH if text.endswith("mph") else 1.0
    try:
        speed = float(text.removesuffix("mph").removesuffix("km/h").strip()) * factor
    except ValueError:
        return np.nan
    return speed if speed > 0 else np.nan


def project(lon: np.ndarray, lat: np.ndarray, crs: str) -> np.ndarray:
    """WGS84 longitudes/latitudes to (x, y) metres in ``crs``."""
    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def load_network(
    kind: str, source: str | Path | nx.MultiDiGraph | None, polygon, crs: str, *,
    converter_defaults_kph: dict | None = None, overpass_url: str = "", area: str = "the area asked for",
) -> RoadNetwork:  # fmt: skip
    """Load the drivable network of a source inside a WGS84 (multi)polygon, as arrays with road features.

    Drive times are zero until :meth:`RoadNetwork.with_times`: ``.with_times(coverage.speeds.CALIBRATED)`` drives
    at the pipeline's shipped speeds.

    Parameters
    ----------
    kind
        ``graphml`` (an osmnx GraphML file), ``graph`` (an osmnx ``MultiDiGraph`` in memory, unprojected),
        ``osm`` (an ``.osm.pbf`` or ``.osm`` extract, read in one streaming pass by :func:`coverage.osm.read_osm`)
        or ``download`` (osmnx downloads the ``drive`` network inside ``polygon``; needs an Overpass server).
    source
        The file, for ``graphml`` and ``osm``; the graph, for ``graph``.
    polygon
        The area to keep (WGS84); the network's ``extent``. ``None`` with ``graphml`` or ``graph``: the whole
        graph, its extent the convex hull of its nodes.
    crs
        The metric CRS of the area (:func:`area_crs` picks one).
    converter_defaults_kph
        ``maxspeed`` values the network's converter wrote where OSM had no tag, per class: an edge carrying its
        class's value is treated as untagged. Needed for graphs converted by eqasim/pt2matsim (the project's
        Corsica and Paris-Saclay GraphML files): ``coverage.speeds.EQASIM_CONVERTER_DEFAULTS``; left out, their
        residential streets are driven at 15 km/h. None (the default): every tag is OSM's own.
    overpass_url
        The Overpass server a download asks (a local instance, a mirror); empty: osmnx's default.
    area
        What ``polygon`` is, in words: a source without a road inside it is an :class:`InputError` saying so.

    Raises
    ------
    ArgumentError
        A ``crs`` that is not projected in metres, a ``polygon`` that is not in WGS84 degrees, a projected graph.
    """
    if kind not in SOURCES:
        raise ArgumentError("kind", kind, f"a network source among {', '.join(SOURCES)}")
    projected_crs(crs)
    if polygon is not None or kind not in ("graphml", "graph"):
        wgs84_polygon(polygon)
    if kind == "osm":
        from .osm import read_osm

        return read_osm(_existing(source), crs, polygon, area=area)
    if kind == "graphml":
        import osmnx as ox

        logger.info("reading the GraphML file %s", Path(source).name)
        graph = ox.load_graphml(_existing(source))
        check_graph(graph, source)
    elif kind == "graph":
        graph = unprojected_graph(source)
        check_graph(graph, "graph")
    else:
        graph = _download(polygon, overpass_url)
    network = to_arrays(graph, crs, converter_defaults_kph=converter_defaults_kph)
    if converter_defaults_kph is None:
        warn_converter_defaults(network, source if kind == "graphml" else kind)
    network = cut_to(network, polygon) if polygon is not None else whole(network)
    label = "graph" if kind == "graph" else source or overpass_url or "Overpass"
    return has_roads(network, label, area)


def whole(network: RoadNetwork) -> RoadNetwork:
    """A network kept whole: its extent the convex hull of its nodes (with a metre's margin: every node inside)."""
    hull = shapely.MultiPoint(np.column_stack([network.lon, network.lat])).convex_hull.buffer(1e-5)
    return replace(network, extent=shapely.to_wkt(hull, rounding_precision=6))


def converter_fingerprint(network: RoadNetwork, min_edges: int = 50, share: float = 0.9) -> dict[str, float]:
    """Road classes (with at least ``min_edges`` edges) whose edges carry one ``maxspeed`` value at ``share`` of them
    or more, and that value: what a converter writes where OSM had no tag (OSM's own tags vary within a class)."""
    frame = pd.DataFrame({"highway": network.highway, "maxspeed": network.maxspeed_kph})
    found = {}
    for road, speeds in frame.groupby("highway")["maxspeed"]:
        counts = speeds.value_counts()
        if len(speeds) >= min_edges and len(counts) and counts.iloc[0] >= share * len(speeds):
            found[str(road)] = float(counts.index[0])
    return found


def warn_converter_defaults(network: RoadNetwork, source: object) -> None:
    """Warn when three classes or more carry one maxspeed each on nearly every edge, and no converter defaults were
    given: that maxspeed is a converter's default, and would be driven as a limit (residential streets at 15)."""
    found = converter_fingerprint(network)
    if len(found) >= 3:
        warnings.warn(f"{source}: nearly every edge of {', '.join(f'{k} ({v:g} km/h)' for k, v in found.items())} "
                      "carries one maxspeed: a network converter's default where OSM had no tag? Pass it as "
                      "converter_defaults_kph (coverage.speeds.EQASIM_CONVERTER_DEFAULTS for the eqasim/pt2matsim "
                      "graphs) so that these roads count as untagged", stacklevel=3)  # fmt: skip


def unprojected_graph(graph: object) -> nx.MultiDiGraph:
    """An osmnx graph in WGS84 longitudes and latitudes (as osmnx builds it), else an :class:`ArgumentError`."""
    import networkx as nx

    if not isinstance(graph, nx.MultiDiGraph):
        raise ArgumentTypeError("source", type(graph).__name__, "an osmnx MultiDiGraph with kind='graph'")
    graph_crs = graph.graph.get("crs")
    if graph_crs is not None and not pyproj.CRS.from_user_input(graph_crs).is_geographic:
        raise ArgumentError("source.graph['crs']", str(graph_crs), "an unprojected osmnx graph (longitudes and "
                            "latitudes): ox.project_graph(G, to_latlong=True)")  # fmt: skip
    return graph


def has_roads(network: RoadNetwork, path: str | Path, area: str) -> RoadNetwork:
    """``network``, unless it has no road: then an :class:`InputError` naming the source and the ``area``."""
    if len(network.source) == 0:
        raise InputError(path, Problem(f"drivable roads within {area}", value="no road there"))
    return network


def _download(polygon, overpass_url: str = "") -> nx.MultiDiGraph:
    """The ``drive`` network inside a polygon, from ``overpass_url`` or the Overpass server osmnx is set to."""
    import osmnx as ox

    default = ox.settings.overpass_url
    ox.settings.overpass_url = overpass_url or default
    try:
        return ox.graph_from_polygon(polygon, network_type="drive", simplify=True, retain_all=True)
    except Exception as error:  # osmnx raises requests and its own errors
        raise InputError(
            "OpenStreetMap download",
            Problem(
                f"a reachable Overpass server at {ox.settings.overpass_url} ({type(error).__name__}); offline, use "
                "a local GraphML or OSM extract"
            ),
        ) from None
    finally:
        ox.settings.overpass_url = default


def _existing(path: str | Path | None) -> Path:
    """The path, or an InputError when it does not exist."""
    if path is None or not Path(path).is_file():
        raise InputError(path or "network", Problem("an existing road network file"))
    return Path(path)


def _as_float(value: object) -> float | None:
    """A ``maxspeed`` value as a number of km/h, or None when it is not a plain number."""
    try:
        return float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError):
        return None


def check_graph(graph: nx.MultiDiGraph, path: str | Path) -> None:
    """Raise one InputError listing every node without usable coordinates and every edge without a length."""
    problems = []
    for node, data in graph.nodes(data=True):
        x, y = _as_float(data.get("x")), _as_float(data.get("y"))
        if x is None or y is None or not (-180 <= x <= 180 and -90 <= y <= 90):
            value = (data.get("x"), data.get("y"))
            problems.append(
                Problem("a node with WGS84 x and y", column=f"node {node}", value=value, rule="node-coordinates")
            )
    for u, v, data in graph.edges(data=True):
        length = _as_float(data.get("length"))
        if length is None or length < 0:
            problems.append(
                Problem("an edge length in metres, not negative", column=f"edge {u}->{v}", value=data.get("length"),
                        rule="edge-length")
            )  # fmt: skip
    if problems:
        raise InputError(path, problems)


def to_arrays(graph: nx.MultiDiGraph, crs: str, converter_defaults_kph: dict | None = None) -> RoadNetwork:
    """Convert an osmnx graph to a :class:`RoadNetwork`; road features are measured on the whole graph and
    drive times are zero until :meth:`RoadNetwork.with_times`.

    ``converter_defaults_kph``: ``maxspeed`` values the
    network's converter wrote where OSM had no tag, per class; an edge carrying its class's value is
    treated as untagged. An edge merged from several classes by osmnx's simplification takes the most
    important one (:func:`main_class`), whatever order osmnx listed them in. Edges with a ``geometry``
    keep it as their shape.
    """
    converter_defaults_kph = converter_defaults_kph or {}
    nodes = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    position = {node: i for i, node in enumerate(nodes.tolist())}
    edges = list(graph.edges(data=True))
    highway = np.array([main_class(d.get("highway")) for _, _, d in edges], dtype="U32")
    maxspeed = np.array([parse_maxspeed(d.get("maxspeed")) for _, _, d in edges], dtype=float)
    converter = np.array([converter_defaults_kph.get(h, np.nan) for h in highway.tolist()], dtype=float)
    node_data = [graph.nodes[n] for n in nodes.tolist()]
    shapes = [_shape(graph, u, v, d) for u, v, d in edges]
    counts = np.array([len(shape) for shape in shapes], dtype=np.int64)
    points = np.concatenate(shapes) if shapes else np.zeros((0, 2))
    return RoadNetwork(
        node_id=nodes,
        lon=np.array([d["x"] for d in node_data], dtype=float),
        lat=np.array([d["y"] for d in node_data], dtype=float),
        source=np.array([position[u] for u, _, _ in edges], dtype=np.int32),
        target=np.array([position[v] for _, v, _ in edges], dtype=np.int32),
        length_m=np.array([d["length"] for _, _, d in edges], dtype=float),
        travel_time_s=np.zeros(len(edges)),
        highway=highway,
        crs=crs,
        maxspeed_kph=np.where(maxspeed == converter, np.nan, maxspeed),
        shape_lon=points[:, 0].astype(float),
        shape_lat=points[:, 1].astype(float),
        shape_first=np.cumsum(counts) - counts,
        shape_last=np.cumsum(counts) - 1,
    )


def _shape(graph: nx.MultiDiGraph, u: int, v: int, data: dict) -> np.ndarray:
    """An edge's points (lon, lat): its ``geometry`` when osmnx kept one, else its two nodes."""
    if data.get("geometry") is not None:
        return np.asarray(data["geometry"].coords, dtype=float)[:, :2]
    return np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in (u, v)], dtype=float)


def main_class(value: object) -> str:
    """One OSM ``highway`` class: of a list (an osmnx edge merged from several ways), the most important."""
    if not isinstance(value, (list, tuple)):
        return str(value).split(";")[0]
    rank = {h: i for i, h in enumerate(CLASS_ORDER)}
    return min((str(v) for v in value), key=lambda h: (rank.get(h, len(rank)), h))


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


def area_crs(departements: gpd.GeoDataFrame) -> str:
    """The metric CRS of some départements (:func:`coverage.constants.metric_crs`)."""
    return metric_crs(departements["code"], departements.union_all())
