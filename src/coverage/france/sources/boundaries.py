"""Load IGN département and commune boundaries (GeoJSON with ``code`` and ``nom``, WGS84)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ...errors import ConfigError, InputError, Problem
from ..codes import pad_code
from ..constants import WGS84


def _read_boundaries(path: Path, width: int) -> gpd.GeoDataFrame:
    """Read a boundary file, check its ``code``/``nom`` fields, and return it in WGS84."""
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as error:  # pyogrio raises several GDAL error types
        raise InputError(path, Problem(f"a readable vector file ({error})")) from None
    missing = [c for c in ("code", "nom") if c not in frame.columns]
    if missing:
        raise InputError(path, [Problem("a property with the INSEE code or the name", column=c) for c in missing])
    frame["code"] = pad_code(frame["code"], width).astype(str)
    frame["nom"] = frame["nom"].astype(str)
    frame = frame.set_crs(WGS84) if frame.crs is None else frame.to_crs(WGS84)
    return frame[["code", "nom", "geometry"]]


def load_departements(path: str | Path) -> gpd.GeoDataFrame:
    """Load the département polygons: ``code``, ``nom``, ``geometry``; codes must be unique."""
    path = Path(path)
    frame = _read_boundaries(path, width=2)
    duplicated = frame["code"][frame["code"].duplicated()]
    if len(duplicated):
        raise InputError(path, [Problem("each département once", column="code", value=v) for v in duplicated])
    return frame.sort_values("code", ignore_index=True)


def load_commune_polygons(folder: str | Path) -> gpd.GeoDataFrame:
    """Load every ``communes-*.geojson`` of a folder into one frame (``code``, ``nom``, ``geometry``)."""
    folder = Path(folder)
    files = sorted(folder.glob("communes-*.geojson"))
    if not files:
        raise InputError(folder, Problem("files named communes-<département>.geojson"))
    return gpd.GeoDataFrame(pd.concat([_read_boundaries(f, width=5) for f in files], ignore_index=True), crs=WGS84)


def load_area_departements(path: str | Path, codes: list[str]) -> gpd.GeoDataFrame:
    """The polygons of an area's départements, read from ``path``; a code it lacks is a configuration error."""
    shapes = load_departements(path)
    unknown = sorted(set(codes) - set(shapes["code"]))
    if unknown:
        raise ConfigError(f"area départements not in {path}: {', '.join(unknown)}")
    return shapes[shapes["code"].isin(codes)]
