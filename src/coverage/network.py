"""Drivable road networks: load (GraphML, OSM extract, download), edge speeds, compact arrays on disk."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pyproj

from .errors import InputError, Problem

WGS84 = "EPSG:4326"
SOURCES = ("graphml", "osm", "download")
TEXT_FIELDS = ("crs", "extent")
EDGE_FIELDS = ("source", "target", "length_m", "travel_time_s", "highway")


@dataclass(frozen=True)
class SpeedModel:
    """How edge speeds are set.

    Parameters
    ----------
    defaults_kph
        Speed per OSM ``highway`` class for edges without a usable ``maxspeed``; key ``default`` for
        any other class.
    factors
        Multiplier per ``highway`` class applied after (calibration); 1.0 when absent.
    converter_defaults_kph
        ``maxspeed`` values that the network's converter wrote where OSM had no tag, per class: an
        edge whose ``maxspeed`` equals its class's value here is treated as untagged.
    """

    defaults_kph: dict[str, float]
    factors: dict[str, float]
    converter_defaults_kph: dict[str, float]


@dataclass(frozen=True)
class RoadNetwork:
    """A directed road network as flat arrays: nodes (ids, WGS84 coordinates) and edges (index pairs).

    ``extent`` is the WKT (WGS84) of the polygon the network was cut to, empty when it was not cut:
    places outside it are not on this network, however close to its edge.
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

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_id)

    def projected_xy(self) -> np.ndarray:
        """Node coordinates in the network's projected CRS (metres), shape (n, 2)."""
        return project(self.lon, self.lat, self.crs)

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


def apply_speeds(graph: nx.MultiDiGraph, model: SpeedModel) -> nx.MultiDiGraph:
    """Set ``speed_kph`` and ``travel_time`` (seconds) on every edge.

    Speed = the edge's ``maxspeed`` (converter defaults treated as missing), else the class default
    (osmnx ``add_edge_speeds``), times the class factor; travel time = length / speed.
    """
    for _, _, data in graph.edges(data=True):
        converter_default = model.converter_defaults_kph.get(_first(data.get("highway")))
        if converter_default is not None and _as_float(data.get("maxspeed")) == converter_default:
            del data["maxspeed"]
    class_speeds = {k: v for k, v in model.defaults_kph.items() if k != "default"}
    ox.add_edge_speeds(graph, hwy_speeds=class_speeds, fallback=model.defaults_kph["default"])
    for _, _, data in graph.edges(data=True):
        highway = _first(data.get("highway"))
        if "maxspeed" not in data and highway not in class_speeds:
            data["speed_kph"] = model.defaults_kph["default"]
        data["speed_kph"] = float(data["speed_kph"]) * model.factors.get(highway, 1.0)
    return ox.add_edge_travel_times(graph)


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


def to_arrays(graph: nx.MultiDiGraph, crs: str, extent: str = "") -> RoadNetwork:
    """Convert a graph with ``travel_time`` on its edges to a :class:`RoadNetwork` (``extent``: WKT it was cut to)."""
    nodes = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    position = {node: i for i, node in enumerate(nodes.tolist())}
    edges = list(graph.edges(data=True))
    return RoadNetwork(
        node_id=nodes,
        lon=np.array([graph.nodes[n]["x"] for n in nodes.tolist()], dtype=float),
        lat=np.array([graph.nodes[n]["y"] for n in nodes.tolist()], dtype=float),
        source=np.array([position[u] for u, _, _ in edges], dtype=np.int32),
        target=np.array([position[v] for _, v, _ in edges], dtype=np.int32),
        length_m=np.array([d["length"] for _, _, d in edges], dtype=float),
        travel_time_s=np.array([d["travel_time"] for _, _, d in edges], dtype=float),
        highway=np.array([_first(d.get("highway")) for _, _, d in edges], dtype="U32"),
        crs=crs,
        extent=extent,
    )


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
