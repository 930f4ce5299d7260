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
