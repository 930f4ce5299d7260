"""Row logs: rejects (input rows not used) and warnings (rows used after a recoverable fix)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..._csvio import LINE

REJECT_COLUMNS = ["file", "line", "id", "reason"]
WARNING_COLUMNS = ["file", "line", "id", "warning"]


def _log(path: str | Path, rows: list[tuple[int | None, str, str]], columns: list[str]) -> pd.DataFrame:
    """Build a log from ``(line, id, text)`` tuples of one file; ``line`` may be None."""
    frame = pd.DataFrame(rows, columns=columns[1:])
    frame.insert(0, "file", str(path))
    return frame.astype({"file": str, "line": "Int64", "id": str, columns[-1]: str})[columns]


def rows_of(frame: pd.DataFrame, mask: pd.Series, text: str) -> list[tuple[int | None, str, str]]:
    """``(line, finess, text)`` of every row of ``frame`` selected by ``mask``."""
    rows = frame.loc[mask]
    return [(int(line), finess, text) for line, finess in zip(rows[LINE], rows["finess"], strict=True)]


def rejects_frame(path: str | Path, rows: list[tuple[int | None, str, str]]) -> pd.DataFrame:
    """Rows of ``path`` not used, each with its reason."""
    return _log(path, rows, REJECT_COLUMNS)


def warnings_frame(path: str | Path, rows: list[tuple[int | None, str, str]]) -> pd.DataFrame:
    """Rows of ``path`` used after a recoverable fix, each with what was done."""
    return _log(path, rows, WARNING_COLUMNS)


def merged_log(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Row logs (rejects or warnings) put together and sorted by file and line; a row two parts log alike
    (a FINESS row read for two SAE editions) is listed once."""
    merged = pd.concat([f for f in parts if len(f)] or [pd.DataFrame(columns=columns)], ignore_index=True)
    merged = merged.drop_duplicates(ignore_index=True)
    merged["line"] = merged["line"].astype("Int64")
    return merged[columns].sort_values(columns, kind="stable", ignore_index=True)
