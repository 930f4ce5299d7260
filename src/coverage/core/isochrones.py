"""Isochrone bands: the land within a buffer of the roads reached within each threshold (not hulls of nodes),
drawn by a contoured distance grid (fast) or by buffering and unioning the roads (exact, the reference)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import contourpy
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import ndimage

from ..errors import ArgumentError
from .columns import Columns
from .geometry import WGS84, nearest_code_of_points, polygonal
from .network import RoadNetwork, project

logger = logging.getLogger(__name__)

SIMPLIFY_PER_BUFFER = 0.04  # outlines simplified to this fraction of the buffer (10 m for 250 m)
STEPS_PER_BUFFER = 2.0  # the contoured grid's step is the buffer width divided by this (125 m for 250 m)
UNREACHED_S = 1e9  # a finite stand-in for unreachable node times


@dataclass(frozen=True)
class EdgeShapes:
    """The shapes of some edges in a projected CRS: points in driving order and their distance along the edge."""

    edges: np.ndarray  # edge indices
    xy: np.ndarray  # (points, 2)
    owner: np.ndarray  # position in ``edges`` of each point
    along: np.ndarray  # metres from the edge's start
    total: np.ndarray  # metres, per edge

    @classmethod
    def of(cls, network: RoadNetwork, edges: np.ndarray) -> EdgeShapes:
        """The shapes of the selected ``edges`` (boolean mask) of a network, in its CRS."""
        chosen = np.flatnonzero(edges)
        points, owner = network.edge_points(chosen)
        xy = project(network.shape_lon[points], network.shape_lat[points], network.crs)
        step = np.hypot(*np.diff(xy, axis=0).T) * (owner[1:] == owner[:-1])
        along = np.concatenate([[0.0], np.cumsum(step)]) if len(xy) else np.zeros(0)
        first = np.searchsorted(owner, np.arange(len(chosen)))
        along = along - along[first][owner]
        total = np.zeros(len(chosen))
        np.maximum.at(total, owner, along)
        return cls(chosen, xy, owner, along, total)


def reached_segments(
    network: RoadNetwork, shapes: EdgeShapes, seconds: np.ndarray, limit_s: float, direction: str
) -> np.ndarray:
    """The parts of the ``shapes``' edges within ``limit_s``, as line geometries along the roads (projected CRS).

    ``from_site``: a team leaving the site reaches the first fraction (limit - t[u]) / tt of edge u->v.
    ``to_site``: a patient reaches the site within the limit from the last fraction (limit - t[v]) / tt
    of the edge. The fraction is taken along the road's shape, not its chord.
    """
    edges = shapes.edges
    u, v, tt = network.source[edges], network.target[edges], network.travel_time_s[edges]
    from_end = direction != "from_site"
    start = v if from_end else u
    with np.errstate(invalid="ignore"):
        fraction = np.clip((limit_s - seconds[start]) / np.maximum(tt, 1e-9), 0.0, 1.0)
    reach = (fraction * shapes.total)[shapes.owner]
    distance = shapes.total[shapes.owner] - shapes.along if from_end else shapes.along
    touched = fraction[shapes.owner] > 0
    within = touched & (distance <= reach)
    same = shapes.owner[1:] == shapes.owner[:-1]
    crossing = np.flatnonzero(same & touched[1:] & (within[1:] != within[:-1]))
    t = (reach[crossing] - distance[crossing]) / (distance[crossing + 1] - distance[crossing])
    between = shapes.xy[crossing] + t[:, None] * (shapes.xy[crossing + 1] - shapes.xy[crossing])
    kept = np.flatnonzero(within)
    owner = np.concatenate([shapes.owner[kept], shapes.owner[crossing]])
    order = np.concatenate([kept, crossing + 0.5])
    xy = np.concatenate([shapes.xy[kept], between])
    rank = np.lexsort((order, owner))
    owner, xy = owner[rank], xy[rank]
    counts = np.bincount(owner, minlength=len(edges))
    drawn = np.repeat(counts >= 2, counts)
    _, line = np.unique(owner[drawn], return_inverse=True)
    return shapely.linestrings(xy[drawn], indices=line) if drawn.any() else np.array([], dtype=object)


class BufferedRoads:
    """The exact construction: reached parts of the roads buffered and unioned, threshold by threshold.

    The reference the grid is checked against; its cost grows with the road length times the number of
    thresholds (minutes per département on large networks).
    """

    def __init__(self, network: RoadNetwork, edges: np.ndarray, buffer_m: float):
        self.network, self.shapes, self.buffer_m = network, EdgeShapes.of(network, edges), buffer_m

    def polygons(self, seconds: np.ndarray, thresholds_min: list[float], direction: str) -> list[shapely.Geometry]:
        """Cumulative polygons, one per threshold (nested)."""
        areas = []
        for minutes in thresholds_min:
            lines = reached_segments(self.network, self.shapes, seconds, minutes * 60, direction)
            buffered = shapely.buffer(lines, self.buffer_m, quad_segs=2)
            areas.append(shapely.union_all(buffered) if len(lines) else shapely.Polygon())
        return nested(areas, self.buffer_m * SIMPLIFY_PER_BUFFER)


@dataclass(frozen=True)
class RoadSegments:
    """The straight segments of the drawn roads' shapes, each kept once whichever way it is driven.

    Each edge driving over a segment is a *directed segment*: its ``edge`` and the fraction of that edge's
    length (in driving order) at the segment's ``start`` and at its ``end``, so that node times give the
    time each end of the segment is reached.
    """

    start: np.ndarray  # (segments, 2), projected
    end: np.ndarray
    segment: np.ndarray  # per directed segment: the segment it drives over
    edge: np.ndarray  # per directed segment: the network edge
    at_start: np.ndarray  # per directed segment: fraction of the edge at the segment's start
    at_end: np.ndarray

    @classmethod
    def of(cls, network: RoadNetwork, shapes: EdgeShapes) -> RoadSegments:
        """The segments between consecutive shape points of the ``shapes``' edges."""
        first = np.flatnonzero(shapes.owner[1:] == shapes.owner[:-1])
        start, end = shapes.xy[first], shapes.xy[first + 1]
        fraction = shapes.along / np.maximum(shapes.total[shapes.owner], 1e-9)
        at_start, at_end = fraction[first], fraction[first + 1]
        unique, segment, flipped = _unique_segments(start, end)
        return cls(
            start=np.where(flipped[unique][:, None], end[unique], start[unique]),
            end=np.where(flipped[unique][:, None], start[unique], end[unique]),
            segment=segment, edge=shapes.edges[shapes.owner[first]],
            at_start=np.where(flipped, at_end, at_start), at_end=np.where(flipped, at_start, at_end),
        )  # fmt: skip

    def directed_times(self, network: RoadNetwork, seconds: np.ndarray, direction: str) -> np.ndarray:
        """Seconds at which each directed segment's start and end are reached: (directed segments, 2).

        ``from_site``: a team reaches the point at fraction f of edge u->v at t[u] + f * tt;
        ``to_site``: from that point a patient reaches the site at t[v] + (1 - f) * tt.
        """
        u, v, tt = network.source[self.edge], network.target[self.edge], network.travel_time_s[self.edge]
        finite = np.minimum(seconds, UNREACHED_S)  # no inf - inf when interpolating
        if direction == "from_site":
            return np.column_stack([finite[u] + tt * self.at_start, finite[u] + tt * self.at_end])
        return np.column_stack([finite[v] + tt * (1 - self.at_start), finite[v] + tt * (1 - self.at_end)])

    def reached_from_ends(self, directed: np.ndarray, limit_s: float) -> np.ndarray:
        """Fraction of each segment reached within ``limit_s`` from its start and from its end: (segments, 2),
        -1 where that end is not reached.

        Each direction reaches the segment from the end it meets first, then along it (time is linear
        along a segment); the two ways of a road may reach it from both ends, leaving a gap between.
        """
        early = directed.argmin(axis=1)
        first, last = directed.min(axis=1), directed.max(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.where(first <= limit_s, np.clip((limit_s - first) / (last - first), 0.0, 1.0), -1.0)
        reached = np.full((len(self.start), 2), -1.0)
        np.maximum.at(reached, (self.segment, early), np.nan_to_num(fraction, nan=1.0))
        return reached

    def distance_to_reached(self, chosen: np.ndarray, x: np.ndarray, y: np.ndarray, reached: np.ndarray) -> np.ndarray:
        """Distance from each point (``x``, ``y``) to the part reached of its ``chosen`` segment
        (``reached``: :meth:`reached_from_ends`); infinite where none is."""
        a = self.start[chosen]
        dx, dy = (self.end[chosen] - a).T
        ox, oy = x - a[:, 0], y - a[:, 1]
        along = (ox * dx + oy * dy) / np.maximum(dx**2 + dy**2, 1e-12)
        from_start, from_end = reached[chosen, 0], reached[chosen, 1]
        distances = []
        for low, high, part in ((0.0, from_start, from_start), (1.0 - from_end, 1.0, from_end)):
            fraction = np.clip(along, low, np.maximum(low, high))
            distances.append(np.where(part >= 0, np.hypot(ox - fraction * dx, oy - fraction * dy), np.inf))
        return np.minimum(*distances)


def _unique_segments(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segments drawn twice (the two directions of a road) found by their ends, to the centimetre.

    Returns the index of one instance of each distinct segment, the distinct segment of each, and whether
    each runs against the orientation kept (its ends in decreasing order).
    """
    a, b = np.round(start * 100).astype(np.int64), np.round(end * 100).astype(np.int64)
    flipped = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    low, high = np.where(flipped[:, None], b, a), np.where(flipped[:, None], a, b)
    _, unique, inverse = np.unique(np.column_stack([low, high]), axis=0, return_index=True, return_inverse=True)
    return unique, inverse.ravel(), flipped


@dataclass(frozen=True)
class Grid:
    """A grid of nodes ``step`` apart, aligned on multiples of ``step`` in the network's CRS, so that the grids
    of neighbouring départements share their nodes."""

    origin: np.ndarray  # coordinates of node (0, 0)
    step: float
    shape: tuple[int, int]  # rows, columns

    @classmethod
    def around(cls, points: np.ndarray, step: float, margin: float) -> Grid:
        """The smallest aligned grid holding the ``points`` and ``margin`` around them."""
        origin = np.floor((points.min(axis=0) - margin) / step) * step
        columns, rows = np.ceil((points.max(axis=0) + margin - origin) / step).astype(np.int64) + 1
        return cls(origin, step, (int(rows), int(columns)))

    @property
    def x(self) -> np.ndarray:
        """Abscissa of each column."""
        return self.origin[0] + self.step * np.arange(self.shape[1])

    @property
    def y(self) -> np.ndarray:
        """Ordinate of each row."""
        return self.origin[1] + self.step * np.arange(self.shape[0])

    def nearest_node(self, points: np.ndarray) -> np.ndarray:
        """Flat (row-major) index of the node nearest each point."""
        column, row = np.round((points - self.origin) / self.step).astype(np.int64).T
        return row * self.shape[1] + column


class ContouredGrid:
    """The fast construction: the distance from a grid of nodes to the roads reached, contoured at the buffer.

    Points every half step along the roads, each with the time it is reached, mark the nodes they fall
    on. For each threshold, a Euclidean distance transform (scipy) finds each node's nearest marked node
    among the points reached; near the band's edge the distance is then measured exactly to the part
    reached of every road segment marking that node (and its neighbours' nearest, for junctions and
    bends). Contouring this field at the buffer distance (contourpy, linear interpolation between nodes)
    draws the band: across a straight road the distance is linear, so the edge falls where the exact
    buffer's does. The grid step is ``buffer_m / STEPS_PER_BUFFER``.
    """

    def __init__(self, network: RoadNetwork, edges: np.ndarray, buffer_m: float):
        self.network, self.buffer_m = network, buffer_m
        self.segments = RoadSegments.of(network, EdgeShapes.of(network, edges))
        step = buffer_m / STEPS_PER_BUFFER
        start, end = self.segments.start, self.segments.end
        parts = np.maximum(np.ceil(np.hypot(*(end - start).T) / (step / 2)), 1).astype(np.int64)
        self.point_segment = np.repeat(np.arange(len(start)), parts)
        rank = np.arange(parts.sum()) - np.repeat(np.cumsum(parts) - parts, parts)
        self.point_at = (rank + 0.5) / parts[self.point_segment]
        points = start[self.point_segment] + self.point_at[:, None] * (end - start)[self.point_segment]
        self.reach = buffer_m + step
        corners = np.vstack([start, end]) if len(start) else np.zeros((1, 2))
        self.grid = Grid.around(corners, step, self.reach)
        self.point_node = self.grid.nearest_node(points)
        first = np.searchsorted(self.point_segment, np.arange(len(start)))
        self.directed_points = _runs(first[self.segments.segment], parts[self.segments.segment])
        keys = np.unique(self.point_node * max(len(start), 1) + self.point_segment)
        node = keys // max(len(start), 1)
        self.on_shared_node = np.isin(self.point_node, node[1:][node[1:] == node[:-1]])  # points of junction nodes

    def polygons(self, seconds: np.ndarray, thresholds_min: list[float], direction: str) -> list[shapely.Geometry]:
        """Cumulative polygons, one per threshold (nested)."""
        directed = self.segments.directed_times(self.network, seconds, direction)
        point_s = self._point_seconds(directed)
        fields, previous = [], np.full(self.grid.shape, self.reach, dtype=np.float32)
        for minutes in thresholds_min:
            reached = self.segments.reached_from_ends(directed, minutes * 60)
            previous = np.minimum(previous, self._distance_field(point_s <= minutes * 60, reached))
            fields.append(previous)
        outlines = [contour_polygon(self.grid.x, self.grid.y, field, self.buffer_m) for field in fields]
        return nested(outlines, self.buffer_m * SIMPLIFY_PER_BUFFER)

    def _point_seconds(self, directed: np.ndarray) -> np.ndarray:
        """Seconds at which each point is reached, by the quickest direction over its segment."""
        point, owner = self.directed_points
        at = self.point_at[point]
        seconds = np.full(len(self.point_at), np.inf)
        np.minimum.at(seconds, point, directed[owner, 0] + at * (directed[owner, 1] - directed[owner, 0]))
        return seconds

    def _distance_field(self, marked_points: np.ndarray, reached: np.ndarray) -> np.ndarray:
        """Distance from each node to the roads reached (``marked_points``: per point; ``reached``: per
        segment), capped at ``reach``: exact within two steps of the buffer distance, to the nearest marked
        node elsewhere. The transform runs on the window of the marked nodes plus the reach.

        Near the buffer distance a node is measured against the segment marking its nearest marked node and
        those of its four neighbours (junctions and bends). Where roads meet, several segments mark one node:
        each of them counts there (:meth:`_shared_nodes`), or the round end of a short road beside them is lost."""
        field = np.full(self.grid.shape, self.reach, dtype=np.float32)
        if not marked_points.any():
            return field
        rows, columns = np.divmod(self.point_node[marked_points], self.grid.shape[1])
        margin = int(np.ceil(self.reach / self.grid.step)) + 1
        window = (slice(max(rows.min() - margin, 0), rows.max() + margin + 1),
                  slice(max(columns.min() - margin, 0), columns.max() + margin + 1))  # fmt: skip
        marked = np.full(self.grid.shape, -1, dtype=np.int64)
        marked[rows, columns] = self.point_segment[marked_points]
        marked = marked[window]
        distance, nearest = ndimage.distance_transform_edt(marked < 0, sampling=self.grid.step, return_indices=True)
        segment = marked[nearest[0], nearest[1]]
        part = np.minimum(distance, self.reach).astype(np.float32)
        row, column = np.nonzero(np.abs(distance - self.buffer_m) <= 2 * self.grid.step)
        x, y = self.grid.x[window[1]][column], self.grid.y[window[0]][row]
        own = segment[row, column]
        exact = self.segments.distance_to_reached(own, x, y, reached)
        for d_row, d_column in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            other = segment[np.clip(row + d_row, 0, part.shape[0] - 1), np.clip(column + d_column, 0, part.shape[1] - 1)]
            differ = np.flatnonzero(other != own)
            measured = self.segments.distance_to_reached(other[differ], x[differ], y[differ], reached)
            exact[differ] = np.minimum(exact[differ], measured)
        self._shared_nodes(marked_points, window, nearest, row, column, reached, exact)
        part[row, column] = np.minimum(exact, self.reach)
        field[window] = part
        return field

    def _shared_nodes(
        self, marked_points: np.ndarray, window: tuple[slice, slice], nearest: np.ndarray, row: np.ndarray,
        column: np.ndarray, reached: np.ndarray, exact: np.ndarray,
    ) -> None:  # fmt: skip
        """Lower ``exact`` (the distances of the window's nodes ``row``, ``column``) to every segment marking a
        node that several segments mark, where that node is the nearest marked node of the node or of one of its
        four neighbours (``nearest``: the distance transform's indices).

        Only nodes measured at ``buffer_m`` less a step or more are looked at: ``exact`` never falls short of
        the true distance, which changes by at most a step between neighbours, so a node measured closer lies
        inside with all its neighbours, and the contour does not pass by it (in dense networks, most nodes)."""
        width, count = self.grid.shape[1], len(self.segments.start)
        points = np.flatnonzero(marked_points & self.on_shared_node)
        edge = np.flatnonzero(exact >= self.buffer_m - self.grid.step)
        if not len(points) or not len(edge):
            return
        row, column = row[edge], column[edge]
        keys = np.unique(self.point_node[points] * count + self.point_segment[points])
        pair_node, pair_segment = np.divmod(keys, count)  # sorted by node
        shared = np.unique(pair_node)
        top, left = window[0].start, window[1].start
        is_shared = np.zeros(nearest.shape[1:], dtype=bool)
        is_shared[shared // width - top, shared % width - left] = True
        limits = (nearest.shape[1] - 1, nearest.shape[2] - 1)
        queries, nodes = [], []
        for d_row, d_column in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)):
            at_row, at_column = np.clip(row + d_row, 0, limits[0]), np.clip(column + d_column, 0, limits[1])
            near_row, near_column = nearest[0][at_row, at_column], nearest[1][at_row, at_column]
            hit = np.flatnonzero(is_shared[near_row, near_column])
            queries.append(hit)
            nodes.append((near_row[hit] + top) * width + near_column[hit] + left)
        query, node = np.concatenate(queries), np.concatenate(nodes)
        first = np.searchsorted(pair_node, node, side="left")
        pair, owner = _runs(first, np.searchsorted(pair_node, node, side="right") - first)
        at = query[owner]
        x, y = self.grid.x[window[1]][column[at]], self.grid.y[window[0]][row[at]]
        np.minimum.at(exact, edge[at], self.segments.distance_to_reached(pair_segment[pair], x, y, reached))


def _runs(first: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The indices ``first[i]`` to ``first[i] + counts[i] - 1`` of every run ``i``, with the run of each."""
    owner = np.repeat(np.arange(len(first)), counts)
    return first[owner] + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts), owner


def contour_polygon(x: np.ndarray, y: np.ndarray, field: np.ndarray, level: float) -> shapely.Geometry:
    """The land where ``field`` (rows along ``y``, columns along ``x``) is below ``level``, as a polygon."""
    generator = contourpy.contour_generator(x, y, field, fill_type=contourpy.FillType.ChunkCombinedOffsetOffset)
    (points,), (rings,), (outers,) = generator.filled(-1.0, level)
    if points is None:
        return shapely.Polygon()
    ring_of_point = np.repeat(np.arange(len(rings) - 1), np.diff(rings))
    polygon_of_ring = np.repeat(np.arange(len(outers) - 1), np.diff(outers))
    linear_rings = shapely.linearrings(points, indices=ring_of_point)
    return shapely.multipolygons(shapely.polygons(linear_rings, indices=polygon_of_ring))


def nested(areas: list[shapely.Geometry], tolerance_m: float) -> list[shapely.Geometry]:
    """Cumulative polygons from each threshold's area: simplified (Douglas-Peucker, ``tolerance_m``; topology is
    repaired after, faster than kept during), made valid and unioned with the previous one, so that they
    stay nested."""
    polygons: list[shapely.Geometry] = []
    for area in areas:
        area = polygonal(shapely.simplify(area, tolerance_m, preserve_topology=False))[0]
        polygons.append(polygonal(shapely.union(area, polygons[-1]))[0] if polygons else area)
    return polygons


METHODS = {"grid": ContouredGrid, "exact": BufferedRoads}


def fidelity(
    lines: np.ndarray, polygon: shapely.Geometry, reference: shapely.Geometry, buffer_m: float,
    samples: int = 20_000, seed: int = 0,
) -> dict[str, float]:  # fmt: skip
    """How faithfully ``polygon`` draws the land within ``buffer_m`` of the reached road ``lines``, and how its
    area compares with a ``reference`` drawing of the same band (one projected CRS).

    ``road_inside``: share of the lines' length inside the polygon; ``beyond_buffer``: share of the
    polygon's area farther than ``buffer_m`` + 1 m from every line (each from ``samples`` random points,
    uniform along the lines and over the polygon); ``area_difference``: polygon area / reference area - 1.
    """
    length = shapely.length(lines) if len(lines) else np.zeros(0)
    if not length.sum() or polygon.is_empty:
        return {"road_inside": float("nan"), "beyond_buffer": float("nan"), "area_difference": float("nan")}
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(lines), size=samples, p=length / length.sum())
    on_roads = shapely.line_interpolate_point(lines[chosen], rng.uniform(0.0, 1.0, samples), normalized=True)
    shapely.prepare(polygon)
    in_polygon = shapely.points(_random_points_in(polygon, samples, rng))
    _, distance = shapely.STRtree(lines).query_nearest(in_polygon, all_matches=False, return_distance=True)
    return {
        "road_inside": float(np.mean(shapely.contains(polygon, on_roads))),
        "beyond_buffer": float(np.mean(distance > buffer_m + 1.0)),
        "area_difference": float(polygon.area / reference.area - 1.0) if reference.area else float("nan"),
    }


def _random_points_in(polygon: shapely.Geometry, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` points drawn uniformly in a polygon (drawn in its bounds, those outside dropped)."""
    west, south, east, north = polygon.bounds
    found: list[np.ndarray] = []
    while sum(map(len, found)) < count:
        candidates = rng.uniform((west, south), (east, north), size=(4 * count, 2))
        found.append(candidates[shapely.contains_xy(polygon, *candidates.T)])
    return np.concatenate(found)[:count]


def bands(polygons: list[shapely.Geometry], thresholds_min: list[float]) -> pd.DataFrame:
    """Bands between consecutive thresholds: ``min_from``, ``min_to`` and the band's geometry."""
    rows, previous, lower = [], shapely.Polygon(), 0.0
    for polygon, upper in zip(polygons, thresholds_min, strict=True):
        rows.append(
            {"min_from": lower, "min_to": upper, "geometry": polygonal(shapely.difference(polygon, previous))[0]}
        )
        previous, lower = polygon, upper
    return pd.DataFrame(rows)


def band_population(
    access: pd.DataFrame, service: str, lower: float, upper: float, *, columns: Columns,
) -> int:  # fmt: skip
    """Population of the communes whose time to the service is in (lower, upper] (0 included in the first band)."""
    minutes = access[f"{service.lower()}_minutes"]
    inside = (minutes <= upper) & ((minutes > lower) | (lower == 0))
    return int(access.loc[inside, columns.population].sum())


def edges_leaving(network: RoadNetwork, areas: gpd.GeoDataFrame, codes: list[str], *, area_id: str) -> np.ndarray:
    """The edges leaving a node of the areas ``codes`` (their ids in the ``area_id`` column of ``areas``; boolean
    mask): those their isochrones draw.

    A node outside every outline (a bridge, a causeway) belongs to the nearest area, so that each road is drawn by
    exactly one of the areas whose networks hold it.

    Raises
    ------
    ArgumentError
        ``codes`` that are not all ids of ``areas``.
    """
    unknown = sorted(set(codes) - set(areas[area_id]))
    if unknown:
        raise ArgumentError("codes", unknown, f"ids of the areas table's {area_id!r} column (it has "
                            f"{sorted(areas[area_id])[:10]}...)")  # fmt: skip
    owner = nearest_code_of_points(pd.Series(network.lon), pd.Series(network.lat), areas, area_id, network.crs)
    return owner.isin(codes).to_numpy()[network.source]


def isochrone_table(
    network: RoadNetwork, times: dict[str, tuple[np.ndarray, str]], access: pd.DataFrame,
    thresholds_min: list[float], *, buffer_m: float, edges: np.ndarray, method: str = "grid", columns: Columns,
) -> gpd.GeoDataFrame:  # fmt: skip
    """Isochrone bands of every service with their population (the ``population`` column of ``access``, summed)
    and area, in WGS84.

    ``times`` maps each service to its node times (seconds) and direction; only the ``edges`` selected (those
    leaving a node of the départements at hand) are drawn, so that the bands of neighbouring
    départements, computed on overlapping networks, meet without overlapping. ``method``: ``grid``
    (:class:`ContouredGrid`) or ``exact`` (:class:`BufferedRoads`). A band's population comes from the communes'
    minutes in ``access``, not from its polygon: with no edge selected (a network covering none of the area) the
    polygons are empty and the people are still counted.
    """
    frames = []
    drawing = METHODS[method](network, edges, buffer_m)
    for number, (service, (seconds, direction)) in enumerate(times.items(), start=1):
        logger.info("%s (%d of %d): drawing %d bands (%s)", service, number, len(times), len(thresholds_min), method)
        polygons = drawing.polygons(seconds, thresholds_min, direction)
        frames.append(_with_population(bands(polygons, thresholds_min), service, access, columns))
    result = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=network.crs)
    return with_area(result.to_crs(WGS84))


def _with_population(table: pd.DataFrame, service: str, access: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """Bands of one service with their ``service`` and ``population`` columns."""
    table.insert(0, "service", service)
    table["population"] = [band_population(access, service, lo, hi, columns=columns)
                           for lo, hi in zip(table["min_from"], table["min_to"], strict=True)]  # fmt: skip
    return table


def with_area(bands_table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The bands (WGS84) with their geodesic ``area_km2``: the same measure wherever they lie, overseas included.

    Geometries are repaired first: reprojection may leave a ring touching itself.
    """
    bands_table = bands_table.set_geometry(polygonal(bands_table.geometry.to_numpy()), crs=bands_table.crs)
    geod = pyproj.Geod(ellps="WGS84")
    areas = [abs(geod.geometry_area_perimeter(g)[0]) / 1e6 for g in bands_table.geometry]
    return bands_table.assign(area_km2=np.round(areas, 3))


def merge_isochrones(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """One set of bands per service from the bands of several départements (WGS84).

    For each threshold the cumulative polygon is the union of every part's bands up to it; bands
    are then cut again between consecutive thresholds. Populations add up, as each part counts the
    communes of its own département only.
    """
    every = pd.concat(parts, ignore_index=True)
    frames = []
    for service, group in every.groupby("service", sort=False):
        logger.info("%s: uniting the bands of %d parts", service, len(parts))
        thresholds = sorted(group["min_to"].unique())
        polygons = [shapely.union_all(polygonal(group.loc[group["min_to"] <= t, "geometry"].to_numpy()))
                    for t in thresholds]  # fmt: skip
        table = bands([polygonal(p)[0] for p in polygons], thresholds)
        table.insert(0, "service", service)
        table["population"] = group.groupby("min_to")["population"].sum().reindex(thresholds).to_numpy()
        frames.append(table)
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WGS84)
    return with_area(merged)
