"""Write tables with stable formatting: fixed float precision (10 significant digits), codes as text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FLOAT_FORMAT = "%.10g"


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table as UTF-8 CSV; infinite values (no supply) are written as empty cells."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = frame.drop(columns="geometry", errors="ignore").replace([np.inf, -np.inf], np.nan)
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


TEXT_COLUMNS = (
    "finess", "departement", "commune", "code", "id", "phone", "name", "nom", "address", "edition",
    "service", "capacity_unit", "location_source", "file", "reason", "warning",
)  # fmt: skip


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_csv`: codes (FINESS, INSEE) and texts as strings, empty as ``""``."""
    header = pd.read_csv(path, nrows=0).columns
    texts = [c for c in TEXT_COLUMNS if c in header]
    frame = pd.read_csv(path, dtype={c: str for c in texts}, keep_default_na=False, na_values=[""])
    frame[texts] = frame[texts].fillna("")
    return frame
