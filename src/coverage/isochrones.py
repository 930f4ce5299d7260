"""Isochrone bands built from the road segments reached within each threshold (not hulls of nodes)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._geometry import polygonal
from .network import RoadNetwork

SIMPLIFY_M = 25.0


def reached_segments(
    network: RoadNetwork, xy: np.ndarray, seconds: np.ndarray, limit_s: float, direction: str
) -> np.ndarray:
    """The parts of edges within ``limit_s``, as line geometries (projected CRS).

    Edges are straight between their nodes. ``from_site``: a team leaving the site reaches the first
    fraction (limit - t[u]) / tt of edge u->v. ``to_site``: a patient reaches the site within the limit
    from the last fraction (limit - t[v]) / tt of the edge.
    """
    u, v, tt = network.source, network.target, network.travel_time_s
    start, end = (u, v) if direction == "from_site" else (v, u)
    with np.errstate(invalid="ignore"):
        fraction = np.clip((limit_s - seconds[start]) / np.maximum(tt, 1e-9), 0.0, 1.0)
    keep = fraction > 0
    near = xy[start[keep]]
    far = near + fraction[keep, None] * (xy[end[keep]] - near)
    return shapely.linestrings(np.stack([near, far], axis=1))


def service_isochrones(
    network: RoadNetwork,
    xy: np.ndarray,
    seconds: np.ndarray,
    thresholds_min: list[float],
    direction: str,
    buffer_m: float,
) -> list[shapely.Geometry]:
    """Cumulative polygons (one per threshold): reached segments buffered by ``buffer_m`` and unioned.

    Each polygon is unioned with the previous one after simplification, so that they stay nested.
    """
    polygons: list[shapely.Geometry] = []
    for minutes in thresholds_min:
        lines = reached_segments(network, xy, seconds, minutes * 60, direction)
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
    network: RoadNetwork, xy: np.ndarray, times: dict[str, tuple[np.ndarray, str]], access: pd.DataFrame,
    thresholds_min: list[float], buffer_m: float, area: str,
) -> gpd.GeoDataFrame:  # fmt: skip
    """Isochrone bands of every service with their population and area, in WGS84.

    ``xy`` holds the node coordinates in the network's CRS (as the router projected them); ``times``
    maps each service to its node times (seconds) and direction.
    """
    frames = []
    for service, (seconds, direction) in times.items():
        table = bands(service_isochrones(network, xy, seconds, thresholds_min, direction, buffer_m), thresholds_min)
        table.insert(0, "service", service)
        table["population"] = [
            band_population(access, service, lo, hi) for lo, hi in zip(table["min_from"], table["min_to"], strict=True)
        ]
        frames.append(table)
    result = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=network.crs)
    result.insert(0, "area", area)
    result["area_km2"] = (result.geometry.area / 1e6).round(3)
    return result.to_crs("EPSG:4326")
