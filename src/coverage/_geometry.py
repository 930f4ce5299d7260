"""Geometry helpers shared by isochrones and maps."""

from __future__ import annotations

import numpy as np
import shapely


def polygonal(geometries: np.ndarray | shapely.Geometry) -> np.ndarray:
    """Valid (Multi)Polygons: repair each geometry and keep only its polygonal parts.

    ``make_valid`` after a difference or a simplification may return a GeometryCollection mixing
    polygons with lines or points; those lower-dimensional slivers carry no area.
    """
    result = []
    for geometry in np.atleast_1d(shapely.make_valid(geometries)):
        parts = [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
        result.append(shapely.union_all(parts) if parts else shapely.MultiPolygon())
    return np.array(result, dtype=object)
