"""Communes under their current codes: population, polygon (COG 2018 merged to today) and a point."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from .sources.rejects import warnings_frame

WGS84 = "EPSG:4326"


def current_code_map(communes: pd.DataFrame) -> dict[str, str]:
    """Map every former commune code (``former_codes``) and every current code to the current code.

    A current code always maps to itself, even where it is also listed as a former code of another
    commune (a commune restored after a merger).
    """
    pairs = zip(communes["code"], communes["former_codes"], strict=True)
    mapping = {old: code for code, olds in pairs for old in olds.split(";") if old}
    mapping.update({code: code for code in communes["code"]})
    return mapping


def code_of_points(lon: pd.Series, lat: pd.Series, polygons: gpd.GeoDataFrame) -> pd.Series:
    """``code`` of the polygon holding each WGS84 point, ``""`` when none does (index of ``lon`` kept)."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), index=lon.index, crs=WGS84)
    shapes = polygons.dropna(subset=["geometry"])[["code", "geometry"]]
    joined = gpd.sjoin(points, shapes, how="left", predicate="within")
    return joined[~joined.index.duplicated(keep="first")]["code"].fillna("").astype(str)


def nearest_code_of_points(lon: pd.Series, lat: pd.Series, polygons: gpd.GeoDataFrame, crs: str) -> pd.Series:
    """``code`` of the polygon holding each WGS84 point, or of the nearest one (in ``crs``) for points outside all.

    Road nodes on a causeway, a bridge or a coast beyond the simplified outlines still get a polygon.
    """
    codes = code_of_points(lon, lat, polygons)
    outside = codes == ""
    if outside.any():
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[outside], lat[outside]), index=lon.index[outside],
                                  crs=WGS84).to_crs(crs)  # fmt: skip
        nearest = gpd.sjoin_nearest(points, polygons[["code", "geometry"]].to_crs(crs), how="left")
        codes[outside] = nearest[~nearest.index.duplicated(keep="first")]["code"].astype(str)
    return codes


def _merge_polygons(polygons: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """One geometry per current code: single polygons as they are, merged communes unioned."""
    counts = polygons["current"].map(polygons["current"].value_counts())
    single = polygons.loc[counts == 1].set_index("current").geometry
    merged = polygons.loc[counts > 1].dissolve(by="current").geometry
    return pd.concat([single, merged]).sort_index()


def build_communes(
    communes: pd.DataFrame, polygons: gpd.GeoDataFrame, polygons_source: str | Path
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Join populations to polygons through the code history and add each commune's point.

    The point (``lon``, ``lat``) is the polygon's representative point: always inside the commune,
    unlike a centroid (coastal and crescent-shaped communes).

    Returns
    -------
    communes
        ``code``, ``nom``, ``departement``, ``population``, ``former_codes``, ``lon``, ``lat``,
        ``geometry``; a
        commune created after the polygons' edition has no geometry and no point.
    warnings
        Polygons whose code is unknown today and communes without a polygon.
    """
    mapping = current_code_map(communes)
    polygons = polygons.assign(current=polygons["code"].map(mapping))
    unknown = polygons[polygons["current"].isna()]
    geometry = _merge_polygons(polygons.dropna(subset=["current"]))
    out = gpd.GeoDataFrame(
        communes,
        geometry=communes["code"].map(geometry).values,
        crs=WGS84,
    )
    points = out.geometry.representative_point()
    out["lon"] = points.x.round(6)
    out["lat"] = points.y.round(6)
    missing = out[out.geometry.isna()]
    warnings = warnings_frame(
        polygons_source,
        [(None, code, "polygon of a commune code unknown today: not used") for code in unknown["code"]]
        + [
            (None, code, "current commune without a polygon: no point, counted in its département")
            for code in missing["code"]
        ],
    )
    return out[["code", "nom", "departement", "population", "former_codes", "lon", "lat", "geometry"]], warnings
