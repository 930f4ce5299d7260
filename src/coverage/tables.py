"""Write tables with stable formatting: fixed float precision (10 significant digits), codes as text."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

FLOAT_FORMAT = "%.10g"


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table as UTF-8 CSV; infinite values (no supply) are written as empty cells."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = frame.drop(columns="geometry", errors="ignore").replace([np.inf, -np.inf], np.nan)
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


FIXED_GPKG_DATE = "2000-01-01T00:00:00.000Z"


def write_gpkg(frame: gpd.GeoDataFrame, path: str | Path, layer: str) -> None:
    """Write one GeoPackage layer with a fixed ``last_change`` date, so that equal data give equal bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_GPKG_DATE})
    frame.to_file(path, driver="GPKG", layer=layer)


SOURCES = "sources"


def with_sources(frame: pd.DataFrame, editions: list[str]) -> pd.DataFrame:
    """The table with a last column ``sources`` naming the editions it was built from (cited with its numbers)."""
    return frame.assign(**{SOURCES: " ; ".join(editions)})


def sources_of(frame: pd.DataFrame) -> list[str]:
    """The editions named in the ``sources`` column of a table written by this package."""
    return frame[SOURCES].iloc[0].split(" ; ") if len(frame) else []


TEXT_COLUMNS = (
    "finess", "departement", "commune", "code", "id", "phone", "name", "nom", "address", "edition",
    "service", "capacity_unit", "location_source", "file", "reason", "warning", SOURCES,
)  # fmt: skip


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_csv`: codes (FINESS, INSEE) and texts as strings, empty as ``""``.

    The nearest site of each service (``<service>_nearest``) is a FINESS number too: read as a number, a
    mainland one would lose its leading zero (``010000024``), or become a float beside an empty cell.
    """
    header = pd.read_csv(path, nrows=0).columns
    texts = [c for c in TEXT_COLUMNS if c in header] + [c for c in header if c.endswith("_nearest")]
    frame = pd.read_csv(path, dtype={c: str for c in texts}, keep_default_na=False, na_values=[""])
    frame[texts] = frame[texts].fillna("")
    return frame


def read_strings(path: str | Path) -> pd.DataFrame:
    """Read a table's cells as the file writes them (strings, empty as ``""``), to hand its figures on unchanged."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)
