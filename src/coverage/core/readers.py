"""Road networks read from their sources into :class:`~coverage.core.network.RoadNetwork` arrays: an osmnx GraphML
file or graph in memory, an Overpass download, an OSM extract (:mod:`coverage.core.osm`), through
:func:`load_network`."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyproj

from ..errors import ArgumentError, ArgumentTypeError, InputError, Problem
from .checks import projected_crs, wgs84_polygon
from .network import RoadNetwork, cut_to, has_roads, whole
from .osm import read_osm
from .tags import main_class, parse_maxspeed

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # osmnx and networkx (with the matplotlib osmnx loads) only for GraphML and downloads
    import networkx as nx

SOURCES = ("graphml", "graph", "osm", "download")


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
