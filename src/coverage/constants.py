"""What every layer shares: the five services and their capacity units, the coordinate systems, and the names
of the columns identifying a site and its area."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import shapely

SERVICES = ("MSP", "HAD", "EMSP", "USP", "LISP")
"""The five kinds of service, in the order of every table: maisons de santé pluriprofessionnelles, hospitalisation à
domicile, équipes mobiles, unités and lits identifiés de soins palliatifs."""
UNITS = {"MSP": "structure", "HAD": "places", "EMSP": "team", "USP": "beds", "LISP": "beds"}
"""The unit of each service's capacity (``capacity_unit`` of ``facilities.csv``)."""
WGS84 = "EPSG:4326"
"""Longitude and latitude: every coordinate the tables write."""
LAMBERT_93 = "EPSG:2154"
"""The metric CRS of metropolitan France (:func:`metric_crs`)."""
# The engine's default names for the columns identifying a commune and a site, for the area a commune or site lies
# in (coverage by area, the area's own sites) and for a commune's inhabitants: those of the tables the French
# sources build (build_communes, build_facilities). Another country's tables name their own.
COMMUNE_ID = "code"
SITE_ID = "finess"
AREA = "departement"
POPULATION = "population"


def metric_crs(departements: Iterable[str], area: shapely.Geometry) -> str:
    """The metric CRS of an area: Lambert-93 in metropolitan France, the area's UTM zone overseas (97x).

    ``area`` is in WGS84; one rule for every distance, area and network of the package.
    """
    if not any(str(code).startswith("97") for code in departements):
        return LAMBERT_93
    return gpd.GeoSeries([area], crs=WGS84).estimate_utm_crs().to_string()
