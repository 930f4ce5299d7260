"""Geometry helpers of the engine: valid polygons, and the polygon holding (or nearest to) each point."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import SHARED

from coverage.core.geometry import buffered_area, code_of_points, nearest_code_of_points, polygonal, utm_crs
from coverage.france.sources.boundaries import load_departements

CRS = "EPSG:2154"
SQUARES = gpd.GeoDataFrame(
    {"code": ["A", "B"]}, geometry=[shapely.box(2.0, 45.0, 2.1, 45.1), shapely.box(2.3, 45.0, 2.4, 45.1)], crs=4326
)


def test_a_valid_polygon_is_kept_a_bow_tie_becomes_its_two_triangles_and_a_collapsed_ring_nothing():
    square = shapely.box(0, 0, 1, 1)
    bow_tie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # crosses itself at (1, 1)
    line_like = shapely.Polygon([(0, 0), (1, 1), (2, 2)])
    kept, repaired, collapsed = polygonal(np.array([square, bow_tie, line_like], dtype=object))
    assert kept is square
    assert repaired.is_valid and repaired.area == pytest.approx(2.0)  # two triangles of area 1 (hand-computed)
    assert collapsed.is_empty


def test_points_get_the_code_of_the_polygon_holding_them_or_nothing():
    lon = pd.Series([2.05, 2.35, 2.2, 2.01], index=[10, 11, 12, 13])
    lat = pd.Series([45.05, 45.05, 45.05, 45.09], index=[10, 11, 12, 13])
    codes = code_of_points(lon, lat, SQUARES, "code")
    assert codes.to_dict() == {10: "A", 11: "B", 12: "", 13: "A"}


def test_points_outside_every_polygon_get_the_nearest_one():
    lon, lat = pd.Series([2.05, 2.18, 2.28, 2.5]), pd.Series([45.05, 45.05, 45.05, 45.2])
    assert nearest_code_of_points(lon, lat, SQUARES, "code", CRS).tolist() == ["A", "A", "B", "B"]


def test_points_at_sea_belong_to_the_departement_at_the_least_distance():
    """Random points off the coasts of Corsica and Provence: the département chosen is one at the least
    distance (geopandas' distance to each outline)."""
    departements = load_departements(SHARED / "admin/departements.geojson")
    rng = np.random.default_rng(3)
    lon, lat = pd.Series(rng.uniform(5.5, 10.0, 400)), pd.Series(rng.uniform(41.2, 43.4, 400))
    codes = nearest_code_of_points(lon, lat, departements, "code", CRS)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(CRS)
    outlines = departements.to_crs(CRS).set_index("code").geometry
    for code, point in zip(codes, points, strict=True):
        assert outlines[code].distance(point) == pytest.approx(outlines.distance(point).min(), abs=1e-6)


def test_a_buffered_area_is_the_square_plus_its_band_and_rounded_corners():
    """A 10 km square plus 2 km: 10² + 4 × 10 × 2 + π × 2² km² (hand-computed), back in WGS84."""
    square = gpd.GeoDataFrame(geometry=[shapely.box(700_000, 6_600_000, 710_000, 6_610_000)], crs=CRS)
    area = gpd.GeoSeries([buffered_area(square, CRS, 2.0)], crs=4326).to_crs(CRS).area.iloc[0] / 1e6
    assert area == pytest.approx(100 + 80 + np.pi * 4, rel=2e-3)


def test_a_band_geos_cannot_order_is_repaired_with_its_area():
    """An exact isochrone band of Haute-Corse (48 polygons, 2,043 points, near-coincident edges) on which GEOS's
    make_valid, set_precision and union all stop with a side location conflict: repaired whole, area kept."""
    band = shapely.from_wkb((Path(__file__).parent / "data/isochrone-side-location-conflict.wkb").read_bytes())
    with pytest.raises(shapely.errors.GEOSException):
        shapely.make_valid(band, method="structure", keep_collapsed=False)
    repaired = polygonal(band)[0]
    assert repaired.is_valid and repaired.geom_type in ("Polygon", "MultiPolygon")
    assert repaired.area == pytest.approx(sum(part.area for part in shapely.get_parts(band)), rel=1e-4)


@pytest.mark.parametrize("bounds", [(8.5, 41.3, 9.6, 43.0), (-61.8, 15.8, -61.0, 16.5), (55.2, -21.4, 55.8, -20.9),
                                    (45.0, -13.0, 45.3, -12.6), (-5.2, 42.3, 8.3, 51.1), (179.5, -1.0, 179.9, 1.0)])
def test_the_utm_zone_is_the_one_geopandas_estimates(bounds):
    """Corsica, Guadeloupe, La Réunion, Mayotte, mainland France, the antimeridian's side of the equator."""
    area = shapely.box(*bounds)
    assert utm_crs(area) == gpd.GeoSeries([area], crs="EPSG:4326").estimate_utm_crs().to_string()
