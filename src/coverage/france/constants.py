"""What the French layer and the outputs share: the five services and their capacity units, the coordinate systems
of France, the one rule choosing a metric CRS, and the names of the columns of the tables the French sources build
(:data:`COLUMNS`, what the engine is given)."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import shapely

from ..core.columns import Columns
from ..core.geometry import WGS84, utm_crs

SERVICES = ("MSP", "HAD", "EMSP", "USP", "LISP")
"""The five kinds of service, in the order of every table: maisons de santé pluriprofessionnelles, hospitalisation à
domicile, équipes mobiles, unités and lits identifiés de soins palliatifs."""
UNITS = {"MSP": "structure", "HAD": "places", "EMSP": "team", "USP": "beds", "LISP": "beds"}
"""The unit of each service's capacity (``capacity_unit`` of ``facilities.csv``)."""
LAMBERT_93 = "EPSG:2154"
"""The metric CRS of metropolitan France (:func:`metric_crs`)."""
COLUMNS = Columns(commune="code", site="finess", area="departement", population="population", name="nom")
"""The columns of the tables the French sources build (:func:`~coverage.france.geography.build_communes`,
:func:`~coverage.france.facilities.build_facilities`), as the engine is told them: a commune's INSEE ``code`` and
``nom``, a site's ``finess`` number, the ``departement`` either lies in, a commune's ``population``."""
RUN_COLUMNS = Columns(commune="commune", site="finess", area="departement", population="population", name="nom")
"""The same, in the pipeline's access tables, which name a commune's code ``commune``."""


def metric_crs(departements: Iterable[str], area: shapely.Geometry) -> str:
    """The metric CRS of an area: Lambert-93 in metropolitan France, the area's UTM zone overseas (97x).

    ``area`` is in WGS84; one rule for every distance, area and network of the package.
    """
    if not any(str(code).startswith("97") for code in departements):
        return LAMBERT_93
    return utm_crs(area)


def area_crs(departements: gpd.GeoDataFrame) -> str:
    """The metric CRS of some départements (their ``code`` and outlines: :func:`metric_crs`)."""
    return metric_crs(departements["code"], departements.union_all())
