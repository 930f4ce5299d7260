"""Drivable road networks: load (GraphML, OSM extract, download), edge speeds, compact arrays on disk."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pyproj
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .errors import InputError, Problem

WGS84 = "EPSG:4326"
SOURCES = ("graphml", "osm", "download")
TEXT_FIELDS = ("crs", "extent")
EDGE_FIELDS = ("source", "target", "length_m", "sinuosity", "maxspeed_kph", "highway", "travel_time_s",
               "alternative_time_s")  # fmt: skip
NEARBY_RADIUS_M = 300.0  # radius of the junction count that tells built-up areas (``RoadNetwork.nearby_junctions``)
MAXSPEED_WORDS = {"FR:urban": 50.0, "FR:rural": 80.0, "FR:zone30": 30.0, "FR:motorway": 130.0, "FR:walk": 6.0}
MPH = 1.609344


@dataclass(frozen=True)
class SpeedModel:
    """How long it takes to drive each road segment.

    Speed starts from the class of the road, is capped by (or replaced with) its ``maxspeed`` tag,
    reduced for bends and in built-up areas; a delay is added at each junction entered::

        v = class_kph[highway]                       (``default`` for other classes)
        v = min(v, maxspeed)  or  maxspeed when tagged (``maxspeed`` = ``cap`` or ``target``)
        v = v / (1 + bend_coefficient * (min(sinuosity, max_sinuosity) - 1))
        v = min(v, built_up_kph)                     where the segment starts in a built-up area
        t = length / v + junction_delay_s            when the segment ends at a junction

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
    source: str = ""

    @classmethod
    def from_config(cls, name: str, settings: dict) -> SpeedModel:
        """Build the model called ``name`` from its section of the config's ``speeds.models``."""
        return cls(name=name, **settings)

    def edge_speed_kph(self, network: RoadNetwork) -> np.ndarray:
        """Speed on every edge (km/h), before the junction delay."""
        classes, position = np.unique(network.highway, return_inverse=True)
        default = self.class_kph["default"]
        speed = np.array([self.class_kph.get(h, default) for h in classes.tolist()], dtype=float)[position]
        tagged = np.isfinite(network.maxspeed_kph)
        if self.maxspeed == "target":
            speed = np.where(tagged, network.maxspeed_kph, speed)
        else:
            speed = np.where(tagged, np.minimum(speed, network.maxspeed_kph), speed)
        bends = np.clip(network.sinuosity, 1.0, self.max_sinuosity) - 1.0
        speed = speed / (1.0 + self.bend_coefficient * bends)
        if self.built_up_kph is not None:
            built_up = network.nearby_junctions[network.source] >= self.built_up_min_junctions
            speed = np.where(built_up, np.minimum(speed, self.built_up_kph), speed)
        return speed

    def edge_seconds(self, network: RoadNetwork) -> np.ndarray:
        """Seconds to drive every edge of a network."""
        junction = network.neighbours[network.target] >= 3
        return network.length_m / (self.edge_speed_kph(network) / 3.6) + self.junction_delay_s * junction

    def as_config(self) -> dict:
        """The model's parameters as its section of ``speeds.models`` (floats rounded for reading)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "name"}
        fields["class_kph"] = {k: round(float(v), 2) for k, v in sorted(self.class_kph.items())}
        for name in ("bend_coefficient", "max_sinuosity", "junction_delay_s"):
            fields[name] = round(float(fields[name]), 3)
        if fields["built_up_kph"] is not None:
            fields["built_up_kph"] = round(float(fields["built_up_kph"]), 2)
        return fields


def speed_models(settings: dict) -> tuple[SpeedModel, SpeedModel]:
    """The run's speed model and its alternative, from the config's ``speeds`` section."""
    models = settings["models"]
    return tuple(SpeedModel.from_config(settings[key], models[settings[key]]) for key in ("model", "alternative"))


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

    ``sinuosity``, ``maxspeed_kph``, ``alternative_time_s``, ``neighbours`` and ``nearby_junctions`` may
    be left out: computed from the arrays (straight edges between the nodes), no tags, one model.
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

    def __post_init__(self):
        defaults = {
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


def _graph_from_pbf(path: Path) -> nx.MultiDiGraph:
    """Read an ``.osm.pbf`` extract: osmium writes its ways and nodes as OSM XML, osmnx reads that."""
    import osmium

    with tempfile.TemporaryDirectory() as folder:
        xml = Path(folder) / "extract.osm"
        with osmium.SimpleWriter(str(xml)) as writer:
            for entity in osmium.FileProcessor(str(path)):
                writer.add(entity)
        return ox.graph_from_xml(xml, simplify=True, retain_all=False)


def _drivable(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Keep the edges of drivable highway classes (osmnx's ``drive`` filter) and their largest component."""
    excluded = {"abandoned", "bridleway", "bus_guideway", "construction", "corridor", "cycleway", "elevator",
                "escalator", "footway", "no", "path", "pedestrian", "planned", "platform", "proposed", "raceway",
                "razed", "service", "steps", "track"}  # fmt: skip
    drop = [(u, v, k) for u, v, k, h in graph.edges(keys=True, data="highway") if _first(h) in excluded or h is None]
    graph.remove_edges_from(drop)
    return ox.truncate.largest_component(graph, strongly=True)


def load_graph(kind: str, path: str | Path | None = None, polygon=None) -> nx.MultiDiGraph:
    """Load a drivable graph.

    Parameters
    ----------
    kind
        ``graphml`` (an osmnx GraphML file), ``osm`` (an ``.osm`` XML or ``.osm.pbf`` extract) or
        ``download`` (osmnx downloads the ``drive`` network inside ``polygon``; needs internet).
    path
        The file, for ``graphml`` and ``osm``.
    polygon
        WGS84 (multi)polygon, for ``download``.
    """
    if kind == "graphml":
        return ox.load_graphml(_existing(path))
    if kind == "osm":
        path = _existing(path)
        if path.name.endswith(".pbf"):
            return _drivable(_graph_from_pbf(path))
        return _drivable(ox.graph_from_xml(path, simplify=True, retain_all=False))
    if kind == "download":
        try:
            return ox.graph_from_polygon(polygon, network_type="drive", simplify=True, retain_all=False)
        except Exception as error:  # osmnx raises requests and its own errors
            raise InputError(
                "OpenStreetMap download",
                Problem(
                    f"a reachable Overpass server ({type(error).__name__}); offline, use a local GraphML or OSM extract"
                ),
            ) from None
    raise InputError("config", Problem(f"a network source among {', '.join(SOURCES)}", value=kind))


def clip(graph: nx.MultiDiGraph, polygon) -> tuple[nx.MultiDiGraph, set[int]]:
    """The part of a graph whose nodes lie inside a WGS84 (multi)polygon (osmnx ``truncate_graph_polygon``).

    Also returns the kept nodes that lost a road in the cut: trips through them may continue outside.
    """
    inside = ox.truncate.truncate_graph_polygon(graph, polygon, truncate_by_edge=False)
    return inside, {node for node in inside if inside.degree(node) != graph.degree(node)}


def _existing(path: str | Path | None) -> Path:
    """The path, or an InputError when it does not exist."""
    if path is None or not Path(path).is_file():
        raise InputError(path or "network", Problem("an existing road network file"))
    return Path(path)


def _first(value: object) -> str:
    """A simplified edge may carry a list of highway classes: use the first."""
    return str(value[0] if isinstance(value, list) else value)


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


def keep_main_component(graph: nx.MultiDiGraph) -> tuple[nx.MultiDiGraph, list[tuple[int, float, float]]]:
    """Keep the largest strongly connected component, as osmnx does for its downloads.

    Returns the kept graph and, for each weakly connected piece of what was dropped (an island
    without a bridge, a fragment cut off by one-way streets), its node count and mean WGS84 point.
    Points nearest such a piece snap to the main network instead, or are flagged off the network
    when it is further than ``max_snap_m``.
    """
    kept = ox.truncate.largest_component(graph, strongly=True)
    dropped = graph.subgraph(set(graph.nodes) - set(kept.nodes))
    pieces = []
    for nodes in sorted(nx.weakly_connected_components(dropped), key=lambda c: (-len(c), min(c))):
        xs = [float(graph.nodes[n]["x"]) for n in nodes]
        ys = [float(graph.nodes[n]["y"]) for n in nodes]
        pieces.append((len(nodes), sum(xs) / len(xs), sum(ys) / len(ys)))
    return kept, pieces


def to_arrays(graph: nx.MultiDiGraph, crs: str, extent: str = "", converter_defaults_kph: dict | None = None
              ) -> RoadNetwork:  # fmt: skip
    """Convert a graph to a :class:`RoadNetwork` with what the speed model reads; drive times are zero until
    :meth:`RoadNetwork.with_times`.

    ``extent`` is the WKT the graph was cut to. ``converter_defaults_kph``: ``maxspeed`` values the
    network's converter wrote where OSM had no tag, per class; an edge carrying its class's value is
    treated as untagged. Road features stored on the graph by :func:`annotate_road_features` (measured
    before a cut) are used; otherwise they are measured on this graph.
    """
    converter_defaults_kph = converter_defaults_kph or {}
    nodes = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    position = {node: i for i, node in enumerate(nodes.tolist())}
    edges = list(graph.edges(data=True))
    highway = np.array([_first(d.get("highway")) for _, _, d in edges], dtype="U32")
    maxspeed = np.array([parse_maxspeed(d.get("maxspeed")) for _, _, d in edges], dtype=float)
    converter = np.array([converter_defaults_kph.get(h, np.nan) for h in highway.tolist()], dtype=float)
    stored = all("sinuosity" in d for _, _, d in edges) and all("neighbours" in d for _, d in graph.nodes(data=True))
    node_data = [graph.nodes[n] for n in nodes.tolist()]
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
        extent=extent,
        maxspeed_kph=np.where(maxspeed == converter, np.nan, maxspeed),
        sinuosity=np.array([d["sinuosity"] for _, _, d in edges], dtype=float) if stored else None,
        neighbours=np.array([d["neighbours"] for d in node_data], dtype=np.int32) if stored else None,
        nearby_junctions=np.array([d["nearby_junctions"] for d in node_data], dtype=np.int32) if stored else None,
    )


def annotate_road_features(graph: nx.MultiDiGraph, crs: str) -> None:
    """Store on a graph's nodes and edges the road features the speed model reads, measured on the whole graph.

    Measured before the graph is cut to an area, they do not depend on where the cut falls: a
    junction at the edge of a département's network keeps its roads, a stretch its bends.
    """
    arrays = to_arrays(graph, crs)
    for node, neighbours, junctions in zip(arrays.node_id.tolist(), arrays.neighbours.tolist(),
                                           arrays.nearby_junctions.tolist(), strict=True):  # fmt: skip
        graph.nodes[node].update(neighbours=neighbours, nearby_junctions=junctions)
    for (_, _, data), sinuosity in zip(graph.edges(data=True), arrays.sinuosity.tolist(), strict=True):
        data["sinuosity"] = sinuosity


def only_roads_between(network: RoadNetwork, keep: np.ndarray) -> RoadNetwork:
    """The network with only the edges joining two ``keep`` nodes; every node stays, for snapping.

    A point whose nearest node was left without roads is then on the network but unreachable,
    rather than snapped to a further node that kept its roads.
    """
    edges = keep[network.source] & keep[network.target]
    fields = {name: getattr(network, name) for name in network.__dataclass_fields__}
    fields.update({name: fields[name][edges] for name in EDGE_FIELDS})
    return RoadNetwork(**fields)


def area_crs(departements: gpd.GeoDataFrame) -> str:
    """A metric CRS for an area: Lambert-93 in metropolitan France, the local UTM zone overseas."""
    if departements["code"].str.startswith("97").any():
        return departements.estimate_utm_crs().to_string()
    return "EPSG:2154"
