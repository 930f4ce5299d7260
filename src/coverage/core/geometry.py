"""Geometry helpers: valid polygons, the polygon holding (or nearest to) each of many points, a UTM zone."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

WGS84 = "EPSG:4326"
"""Longitude and latitude: the coordinates every table of the engine reads and writes."""


def utm_crs(area: shapely.Geometry) -> str:
    """The WGS84 UTM zone of a WGS84 geometry's bounds' centre (``EPSG:326zz`` north, ``EPSG:327zz`` south).

    What geopandas' ``estimate_utm_crs`` picks, by the zone's formula rather than a query of the CRS database (a
    sixth of a second each: 16 s for the 101 départements of a facilities job)."""
    west, south, east, north = area.bounds
    zone = min(int(np.floor(((west + east) / 2 + 180) / 6)) + 1, 60)
    return f"EPSG:{(32600 if (south + north) / 2 >= 0 else 32700) + zone}"



def polygonal(geometries: np.ndarray | shapely.Geometry) -> np.ndarray:
    """Valid (Multi)Polygons: repair each geometry and keep only its polygonal parts.

    Rings are repaired by their structure (shells united, holes cut out: GEOS's ``structure`` method),
    dropping what collapses to lines or points: those slivers carry no area. Valid (Multi)Polygons are
    kept as they are. Where GEOS cannot order the rings (a "side location conflict" between nearly
    coincident edges: an isochrone band of Haute-Corse met one), the geometry is rebuilt by a zero buffer.
    """
    return np.array([_polygonal(geometry) for geometry in np.atleast_1d(geometries)], dtype=object)


def _polygonal(geometry: shapely.Geometry | None) -> shapely.Geometry:
    """One geometry as a valid (Multi)Polygon."""
    if isinstance(geometry, shapely.Polygon | shapely.MultiPolygon) and shapely.is_valid(geometry):
        return geometry
    try:
        repaired = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    except shapely.errors.GEOSException:
        repaired = shapely.buffer(geometry, 0)
    if isinstance(repaired, shapely.Polygon | shapely.MultiPolygon):
        return repaired
    parts = [p for p in shapely.get_parts(repaired) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def code_of_points(lon: pd.Series, lat: pd.Series, polygons: gpd.GeoDataFrame, id_column: str) -> pd.Series:
    """The id (``id_column``) of the polygon holding each WGS84 point, ``""`` when none does (index of ``lon``
    kept).

    Each polygon, prepared, is asked which points of a tree it contains: no frame of points is built
    (millions of road nodes).
    """
    shapes = polygons.dropna(subset=["geometry"])
    points = shapely.points(lon.to_numpy(dtype=float), lat.to_numpy(dtype=float))
    polygon, point = shapely.STRtree(points).query(shapes.geometry.to_numpy(), predicate="contains")
    order = np.lexsort((polygon, point))
    point, first = np.unique(point[order], return_index=True)
    polygon = polygon[order]
    codes = np.full(len(points), "", dtype=object)
    codes[point] = shapes[id_column].to_numpy()[polygon[first]]
    return pd.Series(codes, index=lon.index).astype(str)


def nearest_code_of_points(
    lon: pd.Series, lat: pd.Series, polygons: gpd.GeoDataFrame, id_column: str, crs: str
) -> pd.Series:
    """The id (``id_column``) of the polygon holding each WGS84 point, or of the nearest one (in ``crs``) for points
    outside all.

    Road nodes on a causeway, a bridge or a coast beyond the simplified outlines still get a polygon.
    The nearest polygon is the one with the nearest outline segment: a tree of two-point segments
    answers in microseconds where a distance to whole outlines (thousands of points each) takes
    milliseconds per point.
    """
    codes = code_of_points(lon, lat, polygons, id_column)
    outside = (codes == "").to_numpy()
    if outside.any():
        points = gpd.GeoSeries(gpd.points_from_xy(lon[outside], lat[outside]), crs=WGS84).to_crs(crs).to_numpy()
        shapes = _within_reach(polygons.dropna(subset=["geometry"]).to_crs(crs), points)
        start, end, owner = _outline_segments(shapes.geometry.to_numpy())
        tree = shapely.STRtree(shapely.linestrings(np.stack([start, end], axis=1)))
        point, segment = tree.query_nearest(points, all_matches=False)
        nearest = np.empty(outside.sum(), dtype=object)
        nearest[point] = shapes[id_column].to_numpy()[owner[segment]]
        codes[outside] = nearest.astype(str)
    return codes


def _within_reach(shapes: gpd.GeoDataFrame, points: np.ndarray) -> gpd.GeoDataFrame:
    """The polygons that may be nearest to some of the ``points``: those within the largest distance from a
    point to its nearest outline vertex (no point's nearest polygon is farther) of the points' bounds."""
    xy = shapely.get_coordinates(points)
    reach = cKDTree(shapely.get_coordinates(shapes.geometry.to_numpy())).query(xy)[0].max()
    bounds = shapely.box(*xy.min(axis=0), *xy.max(axis=0))
    return shapes[shapely.dwithin(shapely.envelope(shapes.geometry.to_numpy()), bounds, reach)]


def _outline_segments(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every segment of the polygons' rings: its two ends and the polygon it belongs to."""
    parts, part_owner = shapely.get_parts(geometries, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coordinates, ring = shapely.get_coordinates(rings, return_index=True)
    follows = np.flatnonzero(ring[1:] == ring[:-1])
    return coordinates[follows], coordinates[follows + 1], part_owner[ring_part[ring[follows]]]


def buffered_area(shapes: gpd.GeoDataFrame, crs: str, buffer_km: float) -> shapely.Geometry:
    """Some polygons plus ``buffer_km`` (measured in the metric ``crs``), as one WGS84 (multi)polygon."""
    polygon = shapes.to_crs(crs).buffer(buffer_km * 1000).union_all()
    return gpd.GeoSeries([polygon], crs=crs).to_crs(WGS84).iloc[0]
