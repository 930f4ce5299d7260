"""Isochrone bands built from the road segments reached within each threshold (not hulls of nodes)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ._geometry import polygonal
from .network import RoadNetwork, project

SIMPLIFY_M = 25.0


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


def service_isochrones(
    network: RoadNetwork,
    shapes: EdgeShapes,
    seconds: np.ndarray,
    thresholds_min: list[float],
    direction: str,
    buffer_m: float,
) -> list[shapely.Geometry]:
    """Cumulative polygons (one per threshold): reached parts of the ``shapes``' edges buffered by ``buffer_m``
    and unioned.

    Each polygon is unioned with the previous one after simplification, so that they stay nested.
    """
    polygons: list[shapely.Geometry] = []
    for minutes in thresholds_min:
        lines = reached_segments(network, shapes, seconds, minutes * 60, direction)
        area = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=2)) if len(lines) else shapely.Polygon()
        area = polygonal(shapely.simplify(area, SIMPLIFY_M))[0]
        polygons.append(polygonal(shapely.union(area, polygons[-1]))[0] if polygons else area)
    return polygons


def bands(polygons: list[shapely.Geometry], thresholds_min: list[float]) -> pd.DataFrame:
    """Bands between consecutive thresholds: ``min_from``, ``min_to`` and the band's geometry."""
    rows, previous, lower = [], shapely.Polygon(), 0.0
    for polygon, upper in zip(polygons, thresholds_min, strict=True):
        rows.append(
            {"min_from": lower, "min_to": upper, "geometry": polygonal(shapely.difference(polygon, previous))[0]}
        )
        previous, lower = polygon, upper
    return pd.DataFrame(rows)


def band_population(access: pd.DataFrame, service: str, lower: float, upper: float) -> int:
    """Population of the communes whose time to the service is in (lower, upper] (0 included in the first band)."""
    minutes = access[f"{service.lower()}_minutes"]
    inside = (minutes <= upper) & ((minutes > lower) | (lower == 0))
    return int(access.loc[inside, "population"].sum())


def isochrone_table(
    network: RoadNetwork, times: dict[str, tuple[np.ndarray, str]], access: pd.DataFrame,
    thresholds_min: list[float], buffer_m: float, edges: np.ndarray,
) -> gpd.GeoDataFrame:  # fmt: skip
    """Isochrone bands of every service with their population and area, in WGS84.

    ``times`` maps each service to its node times (seconds) and direction; only the ``edges`` selected (those
    leaving a node of the départements at hand) are drawn, so that the bands of neighbouring
    départements, computed on overlapping networks, meet without overlapping.
    """
    frames = []
    shapes = EdgeShapes.of(network, edges)
    for service, (seconds, direction) in times.items():
        polygons = service_isochrones(network, shapes, seconds, thresholds_min, direction, buffer_m)
        frames.append(_with_population(bands(polygons, thresholds_min), service, access))
    result = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=network.crs)
    return with_area(result.to_crs("EPSG:4326"))


def _with_population(table: pd.DataFrame, service: str, access: pd.DataFrame) -> pd.DataFrame:
    """Bands of one service with their ``service`` and ``population`` columns."""
    table.insert(0, "service", service)
    table["population"] = [
        band_population(access, service, lo, hi) for lo, hi in zip(table["min_from"], table["min_to"], strict=True)
    ]
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
        thresholds = sorted(group["min_to"].unique())
        polygons = [shapely.union_all(polygonal(group.loc[group["min_to"] <= t, "geometry"].to_numpy()))
                    for t in thresholds]  # fmt: skip
        table = bands([polygonal(p)[0] for p in polygons], thresholds)
        table.insert(0, "service", service)
        table["population"] = group.groupby("min_to")["population"].sum().reindex(thresholds).to_numpy()
        frames.append(table)
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return with_area(merged)
