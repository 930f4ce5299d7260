"""Geometry helpers shared by isochrones and maps."""

from __future__ import annotations

import numpy as np
import shapely


def polygonal(geometries: np.ndarray | shapely.Geometry) -> np.ndarray:
    """Valid (Multi)Polygons: repair each geometry and keep only its polygonal parts.

    Rings are repaired by their structure (shells united, holes cut out: GEOS's ``structure`` method),
    dropping what collapses to lines or points: those slivers carry no area. Valid (Multi)Polygons are
    kept as they are.
    """
    return np.array([_polygonal(geometry) for geometry in np.atleast_1d(geometries)], dtype=object)


def _polygonal(geometry: shapely.Geometry | None) -> shapely.Geometry:
    """One geometry as a valid (Multi)Polygon."""
    if isinstance(geometry, shapely.Polygon | shapely.MultiPolygon) and shapely.is_valid(geometry):
        return geometry
    repaired = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    if isinstance(repaired, shapely.Polygon | shapely.MultiPolygon):
        return repaired
    parts = [p for p in shapely.get_parts(repaired) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()
