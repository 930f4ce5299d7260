"""What several steps read the same way: the communes file, an area's access table with its polygons, the router of a
département's network."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ...core.access import AccessModel, Router
from ...core.network import RoadNetwork
from ...france.constants import RUN_COLUMNS
from ...france.sources.boundaries import load_departements
from ...tables import read_csv

ZONE_COLUMNS = replace(RUN_COLUMNS, area="zone")
"""The access tables' columns, counted over a whole study area (a ``zone`` column holding its name)."""


def read_communes(path: Path) -> gpd.GeoDataFrame:
    """Read ``communes.gpkg`` keeping codes as strings and empty former codes as ``""``."""
    frame = gpd.read_file(path, layer="communes")
    return frame.astype({"code": str, "departement": str}).fillna({"former_codes": ""})


def indicators_with_shapes(indicators: Path, departements: Path) -> gpd.GeoDataFrame:
    """The indicators table joined to the département polygons."""
    table = read_csv(indicators)
    shapes = load_departements(departements)
    return gpd.GeoDataFrame(
        table.merge(shapes[["code", "geometry"]], left_on="departement", right_on="code"), crs=shapes.crs
    )


def access_with_polygons(access: Path, communes: Path) -> gpd.GeoDataFrame:
    """The access table of an area joined to its commune polygons."""
    polygons = read_communes(communes)[["code", "geometry"]]
    table = read_csv(access).merge(polygons, left_on="commune", right_on="code")
    return gpd.GeoDataFrame(table, geometry="geometry", crs=polygons.crs)


def service_of(table: Path) -> str:
    """The service of a siting or catchment table, from its name (``siting_usp.csv``, ``catchments_usp.csv``:
    USP)."""
    return table.stem.removeprefix("siting_").removeprefix("catchments_").upper()


def router_and_communes(network: Path, access: Path, settings: dict) -> tuple[Router, pd.DataFrame, AccessModel]:
    """The router of a network, the communes as placed by the access step, and the access model."""
    return Router(RoadNetwork.load(network)), read_csv(access), AccessModel.from_config(settings)
