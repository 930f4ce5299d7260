"""Communes under their current codes: population, polygon (COG 2018 merged to today) and a point."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core.geometry import utm_crs
from ..errors import InputError, Problem
from .constants import WGS84
from .sources.rejects import warnings_frame


def current_code_map(communes: pd.DataFrame) -> dict[str, str]:
    """Map every former commune code (``former_codes``) and every current code to the current code.

    A current code always maps to itself, even where it is also listed as a former code of another
    commune (a commune restored after a merger).
    """
    pairs = zip(communes["code"], communes["former_codes"], strict=True)
    mapping = {old: code for code, olds in pairs for old in olds.split(";") if old}
    mapping.update({code: code for code in communes["code"]})
    return mapping


def distance_to_departement_km(
    lon: pd.Series, lat: pd.Series, departement: pd.Series, departements: gpd.GeoDataFrame
) -> pd.Series:
    """Distance in km from each point to the polygon of its own département (0 inside; NaN without a point
    or with a département the polygons lack), measured in the département's UTM zone."""
    distances = pd.Series(np.nan, index=lon.index)
    located = lon.notna() & lat.notna()
    for code, index in lon[located].groupby(departement[located]).groups.items():
        polygon = departements.loc[departements["code"] == code, "geometry"]
        if polygon.empty:
            continue
        crs = utm_crs(polygon.iloc[0])
        points = gpd.GeoSeries(gpd.points_from_xy(lon[index], lat[index]), index=index, crs=WGS84)
        distances.loc[index] = points.to_crs(crs).distance(polygon.to_crs(crs).iloc[0]).to_numpy() / 1000
    return distances


def _merge_polygons(polygons: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """One geometry per current code: single polygons as they are, merged communes unioned."""
    counts = polygons["current"].map(polygons["current"].value_counts())
    single = polygons.loc[counts == 1].set_index("current").geometry
    merged = polygons.loc[counts > 1].dissolve(by="current").geometry
    return pd.concat([single, merged]).sort_index()


def build_communes(
    communes: pd.DataFrame, polygons: gpd.GeoDataFrame, polygons_source: str | Path,
    chefs_lieux: pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:  # fmt: skip
    """Join populations to polygons through the code history and add each commune's points.

    The point (``lon``, ``lat``) is the polygon's representative point: always inside the commune,
    unlike a centroid (coastal and crescent-shaped communes). ``chefs_lieux`` (``code``, ``lon``, ``lat``:
    :func:`coverage.france.sources.chefs_lieux.load_chefs_lieux`) gives each commune's chef-lieu, where
    official road times start (``chef_lieu_lon``, ``chef_lieu_lat``; empty for a commune it does not give).

    Returns
    -------
    communes
        ``code``, ``nom``, ``departement``, ``population``, ``former_codes``, ``lon``, ``lat``,
        ``chef_lieu_lon``, ``chef_lieu_lat``, ``geometry``; a commune created after the polygons' edition has no
        geometry and no point.
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
    if chefs_lieux is None:
        chefs_lieux = pd.DataFrame({"code": pd.Series(dtype=str), "lon": np.nan, "lat": np.nan})
    chef_lieu = chefs_lieux.set_index("code")
    out["chef_lieu_lon"] = out["code"].map(chef_lieu["lon"]).astype(float)
    out["chef_lieu_lat"] = out["code"].map(chef_lieu["lat"]).astype(float)
    missing = out[out.geometry.isna()]
    _check_every_departement_drawn(out, polygons_source)
    warnings = warnings_frame(
        polygons_source,
        [(None, code, "polygon of a commune code unknown today: not used") for code in unknown["code"]]
        + [
            (None, code, "current commune without a polygon: no point, counted in its département")
            for code in missing["code"]
        ],
    )
    points = ["lon", "lat", "chef_lieu_lon", "chef_lieu_lat"]
    return out[["code", "nom", "departement", "population", "former_codes", *points, "geometry"]], warnings


def _check_every_departement_drawn(communes: gpd.GeoDataFrame, polygons_source: str | Path) -> None:
    """Raise when no commune of a département has a polygon: its file is missing from the folder, or empty."""
    drawn = communes.geometry.notna().groupby(communes["departement"]).any()
    undrawn = sorted(drawn.index[~drawn])
    if undrawn:
        raise InputError(polygons_source, Problem(
            "commune polygons for every département of the population file (communes-<département>.geojson)",
            column="departement", value=", ".join(undrawn), rule="whole-territory",
        ))  # fmt: skip


def unknown_access_warnings(coverage: pd.DataFrame, access: pd.DataFrame, max_unknown_share: float) -> list[tuple]:
    """One warning row per département with people off the network: how many, where, and what the table does."""
    rows = []
    for departement, group in coverage.drop_duplicates("departement").set_index("departement").iterrows():
        if not group["population_unknown"]:
            continue
        off = access[(access["departement"] == departement) & ~access["on_network"].astype(bool)]
        share = group["share_unknown"]
        outcome = (
            "their shares and minutes are left empty (unknown)"
            if share > max_unknown_share
            else "shares within each threshold are lower bounds by that much"
        )
        rows.append((None, departement, (
            f"{group['population_unknown']} inhabitants ({100 * share:.1f} %) in {len(off)} communes of département "
            f"{departement} are off the road network (no polygon, or farther than access.max_snap_m from a road, "
            f"e.g. {', '.join(off.sort_values('population', ascending=False)['commune'].head(3))}) "
            f"[rule network-covers-area]: their access is unknown; with access.max_unknown_share "
            f"{max_unknown_share:g}, {outcome}"
        )))  # fmt: skip
    return rows
