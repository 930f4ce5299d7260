"""OpenStreetMap extracts (``.osm.pbf``, ``.osm``) read straight to road-network arrays, in one streaming pass.

pyosmium streams the file: every node location goes to its compiled index, only highway ways reach
Python, and buildings, landuse and POIs are skipped in C++. The ways' node lists become flat numpy
arrays; splitting at junctions, lengths, one-way rules and shapes are array operations. No graph
object is built, so memory grows with the roads kept, not with the file.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import shapely
import shapely.geometry

from ..errors import ConfigError, InputError, Problem
from .network import RoadNetwork, has_roads
from .tags import is_drivable, parse_maxspeed, way_direction

logger = logging.getLogger(__name__)

UNDEFINED = 2**31 - 1  # libosmium's coordinate of a node the extract does not hold


@dataclass(frozen=True)
class Ways:
    """The drivable ways of an extract as flat arrays: one row per node reference, in way order.

    ``x``/``y`` are in 1e-7 degrees (``UNDEFINED`` where the extract lacks the node); ``way`` is the
    index of the reference's way; ``highway``, ``direction`` (1 forward only, -1 backward only, 0 both)
    and ``maxspeed_forward``/``maxspeed_backward`` (km/h, NaN untagged) have one row per way.
    """

    ref: np.ndarray
    x: np.ndarray
    y: np.ndarray
    way: np.ndarray
    highway: np.ndarray
    direction: np.ndarray
    maxspeed_forward: np.ndarray
    maxspeed_backward: np.ndarray


def extract_box(path: str | Path) -> shapely.Geometry | None:
    """The area an extract says it covers (its header's bounding box, as osmium extract and Geofabrik write), if any."""
    box = osmium.io.Reader(str(path), osmium.osm.NOTHING).header().box()
    if not box.valid():
        return None
    return shapely.box(box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def read_ways(path: str | Path) -> Ways:
    """Stream an extract once and keep its drivable ways with their node locations."""
    refs, xs, ys, owner = array("q"), array("i"), array("i"), array("i")
    highway, direction, forward, backward = [], array("b"), array("d"), array("d")
    speeds: dict[str | None, float] = {}

    def speed(value: str | None) -> float:
        if value not in speeds:
            speeds[value] = parse_maxspeed(value)
        return speeds[value]

    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for way in processor:
        tags = way.tags
        if not is_drivable(tags):
            continue
        index = len(highway)
        for node in way.nodes:
            refs.append(node.ref)
            xs.append(node.x)
            ys.append(node.y)
            owner.append(index)
        highway.append(tags["highway"].split(";")[0])
        direction.append(way_direction(tags))
        both = speed(tags.get("maxspeed"))
        forward.append(speed(tags["maxspeed:forward"]) if "maxspeed:forward" in tags else both)
        backward.append(speed(tags["maxspeed:backward"]) if "maxspeed:backward" in tags else both)
    return Ways(
        ref=np.frombuffer(refs, dtype=np.int64),
        x=np.frombuffer(xs, dtype=np.int32),
        y=np.frombuffer(ys, dtype=np.int32),
        way=np.frombuffer(owner, dtype=np.int32),
        highway=np.array(highway, dtype="U32"),
        direction=np.frombuffer(direction, dtype=np.int8),
        maxspeed_forward=np.frombuffer(forward, dtype=float),
        maxspeed_backward=np.frombuffer(backward, dtype=float),
    )


def road_network(ways: Ways, crs: str, polygon=None) -> RoadNetwork:
    """Split the ways at their junctions into the edges of a :class:`RoadNetwork`.

    Nodes are the junctions (a location shared by two ways, or met twice by one) and the ends of
    ways; the shape points in between become the edge's shape. A way that leaves the extract (nodes
    it does not hold) or the ``polygon`` (WGS84) is cut where it leaves: its pieces inside remain.
    Lengths run along the shape (great circle, as osmnx). Nodes where a way was cut are marked ``cut``.
    """
    from osmnx.distance import great_circle  # osmnx (and the matplotlib it loads) only when reading extracts

    distinct = np.concatenate([[True], (ways.way[1:] != ways.way[:-1]) | (ways.ref[1:] != ways.ref[:-1])])
    ref, way = ways.ref[distinct], ways.way[distinct]  # a node listed twice in a row is one point
    lon, lat = ways.x[distinct] * 1e-7, ways.y[distinct] * 1e-7
    held = ways.x[distinct] != UNDEFINED
    if polygon is not None:
        held &= _inside(polygon, lon, lat)
    same_way = way[1:] == way[:-1]
    segment = same_way & held[1:] & held[:-1]  # joins point i to i + 1
    before, after = np.concatenate([[False], segment]), np.concatenate([segment, [False]])
    on_road = before | after
    _, index, counts = np.unique(np.where(on_road, ref, -1), return_inverse=True, return_counts=True)
    node = on_road & (~before | ~after | (counts[index] > 1))
    went_on = (np.concatenate([[False], same_way]) & ~before) | (np.concatenate([same_way, [False]]) & ~after)
    # Segments run in order; an edge starts at each segment that leaves a node and runs to the next such one.
    seg_from = np.flatnonzero(segment)
    if len(seg_from) == 0:  # no road inside: no node, no edge
        node[:] = False
    starts = np.flatnonzero(node[seg_from])
    seg_length = great_circle(lat[seg_from], lon[seg_from], lat[seg_from + 1], lon[seg_from + 1])
    length = np.add.reduceat(seg_length, starts) if len(starts) else np.zeros(0)
    first = seg_from[starts]
    last = seg_from[np.append(starts[1:], len(seg_from)) - 1] + 1 if len(starts) else first
    node_ids, node_index = np.unique(ref[node], return_index=True)
    node_points = np.flatnonzero(node)[node_index]
    cut = np.isin(node_ids, ref[held & went_on])  # the way went on, outside
    source, target = np.searchsorted(node_ids, ref[first]), np.searchsorted(node_ids, ref[last])
    edge_way = way[first]
    ahead, back = ways.direction[edge_way] >= 0, ways.direction[edge_way] <= 0
    point = np.cumsum(on_road) - 1  # shape points: those of some edge, renumbered
    return RoadNetwork(
        node_id=node_ids,
        lon=lon[node_points],
        lat=lat[node_points],
        source=np.concatenate([source[ahead], target[back]]).astype(np.int32),
        target=np.concatenate([target[ahead], source[back]]).astype(np.int32),
        length_m=np.concatenate([length[ahead], length[back]]),
        travel_time_s=np.zeros(int(ahead.sum() + back.sum())),
        highway=np.concatenate([ways.highway[edge_way[ahead]], ways.highway[edge_way[back]]]),
        crs=crs,
        extent=shapely.to_wkt(polygon, rounding_precision=6) if polygon is not None else "",
        maxspeed_kph=np.concatenate([ways.maxspeed_forward[edge_way[ahead]], ways.maxspeed_backward[edge_way[back]]]),
        shape_lon=lon[on_road],
        shape_lat=lat[on_road],
        shape_first=np.concatenate([point[first[ahead]], point[last[back]]]),
        shape_last=np.concatenate([point[last[ahead]], point[first[back]]]),
        cut=cut,
    )


def _inside(polygon, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Which points lie inside a polygon, testing only those inside its bounding box."""
    west, south, east, north = polygon.bounds
    box = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    inside = np.zeros(len(lon), dtype=bool)
    shapely.prepare(polygon)
    inside[box] = shapely.contains_xy(polygon, lon[box], lat[box])
    return inside


def read_osm(path: str | Path, crs: str, polygon=None, *, area: str = "the area asked for") -> RoadNetwork:
    """The drivable network of an OpenStreetMap extract (``.osm.pbf`` or ``.osm``) inside ``polygon``.

    The network's extent is the polygon, within the box the extract's header says it covers: a
    place beyond the extract's border is off the network, not snapped to the last road before it.
    An unreadable file is an :class:`InputError` naming it; an extract without drivable roads in
    the area too (``area`` says which, in the message).
    """
    logger.info("reading the drivable ways of %s", Path(path).name)
    try:
        ways, box = read_ways(path), extract_box(path)
    except RuntimeError as error:  # libosmium's parse and format errors
        expected = f"an OpenStreetMap extract (.osm.pbf or .osm) that osmium reads ({error})"
        raise InputError(path, Problem(expected)) from None
    if box is not None:
        polygon = box if polygon is None else shapely.intersection(polygon, box)
    logger.info("%d drivable ways read: splitting them at their junctions", len(ways.highway))
    network = road_network(ways, crs, polygon)
    logger.info("network of %d nodes and %d edges", network.n_nodes, len(network.source))
    return has_roads(network, path, area)


def split_extract(
    source: str | Path, areas: dict[str, shapely.Geometry], out: str | Path, *, pieces_per_pass: int | None = None
) -> list[Path]:  # fmt: skip
    """Cut an extract into one piece per area (name -> WGS84 polygon) with osmium-tool, ``pieces_per_pass`` pieces
    in each pass over the source (all in one pass when None).

    Ways are kept whole (``complete_ways``): the reader cuts them at the area's edge. osmium keeps the ids of
    each piece's nodes and ways while it reads, so its memory grows with the pieces of a pass: passes of fewer
    pieces trade reading the source again for memory. Writes ``<out>/<name>.osm.pbf`` and returns those paths.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if shutil.which("osmium") is None:
        raise ConfigError("splitting an extract needs osmium-tool (Debian package osmium-tool: `make osmium`)")
    names = list(areas)
    size = pieces_per_pass or len(names)
    for start in range(0, len(names), size):
        logger.info("pass %d of %d over the extract: %d pieces", start // size + 1, -(-len(names) // size),
                    len(names[start : start + size]))  # fmt: skip
        extracts = []
        for name in names[start : start + size]:
            shape = out / f"{name}.geojson"
            feature = {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(areas[name])}
            shape.write_text(json.dumps(feature))
            extracts.append({"output": f"{name}.osm.pbf", "polygon": {"file_name": shape.name, "file_type": "geojson"}})
        settings = out / "extracts.json"
        settings.write_text(json.dumps({"directory": str(out), "extracts": extracts}, indent=1))
        command = ["osmium", "extract", "--config", str(settings), "--strategy", "complete_ways", "--overwrite",
                   str(source)]  # fmt: skip
        run = subprocess.run(command, cwd=out, capture_output=True, text=True, check=False)
        if run.returncode != 0:
            raise InputError(source, Problem(f"an OpenStreetMap extract osmium-tool can split ({run.stderr.strip()})"))
    return [out / f"{name}.osm.pbf" for name in names]
