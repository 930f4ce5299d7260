"""Load INSEE legal populations by commune (``communes.json`` of ``@etalab/decoupage-administratif``)."""

from __future__ import annotations

import bisect
import json
from pathlib import Path

import pandas as pd

from ...errors import InputError, Problem
from .rejects import rejects_frame

CURRENT = "commune-actuelle"
NOT_COUNTED = {
    "arrondissement-municipal": "arrondissement municipal: its population is counted in its commune",
    "commune-deleguee": "commune déléguée: its population is counted in its commune nouvelle",
    "commune-associee": "commune associée: its population is counted in its commune",
}


def _records_with_lines(path: Path) -> list[tuple[int, dict]]:
    """Parse a JSON array, returning each record with the line on which it starts."""
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    position = text.find("[")
    if position < 0:
        raise InputError(path, Problem("a JSON array of commune records", line=1))
    records: list[tuple[int, dict]] = []
    position += 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            return records
        line = bisect.bisect_left(newlines, position) + 1
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise InputError(path, Problem(f"valid JSON ({error.msg})", line=error.lineno)) from None
        records.append((line, record))


def load_population(path: str | Path, departements: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load the current communes of the given départements with their population.

    Returns
    -------
    communes
        ``code``, ``nom``, ``departement``, ``population`` (int), ``former_codes`` (``;``-separated former INSEE codes).
    rejects
        Every record not counted, with its line and the reason (arrondissements municipaux,
        communes déléguées, collectivities outside the départements).
    """
    path = Path(path)
    kept, rejected, problems = [], [], []
    for line, record in _records_with_lines(path):
        kind, code = record.get("type"), str(record.get("code", ""))
        if kind in NOT_COUNTED:
            rejected.append((line, code, NOT_COUNTED[kind]))
        elif kind != CURRENT:
            rejected.append((line, code, f"record type {kind!r} is not a commune"))
        elif str(record.get("departement")) not in departements:
            rejected.append((line, code, "outside the départements of the boundaries file"))
        elif not isinstance(record.get("population"), int) or record["population"] < 0:
            value = record.get("population")
            problems.append(Problem("a non-negative integer population", line=line, column="population", value=value))
        else:
            kept.append(
                {
                    "code": code,
                    "nom": str(record.get("nom", "")),
                    "departement": str(record["departement"]),
                    "population": record["population"],
                    "former_codes": ";".join(str(c) for c in record.get("anciensCodes", [])),
                }
            )
    if problems:
        raise InputError(path, problems)
    absent = sorted(departements - {c["departement"] for c in kept})
    if absent:
        raise InputError(path, Problem(
            "current communes (type 'commune-actuelle') in every département of the boundaries file",
            column="departement", value=", ".join(absent), rule="whole-territory",
        ))  # fmt: skip
    communes = pd.DataFrame(kept).astype({"code": str, "nom": str, "departement": str, "population": "int64"})
    return communes, rejects_frame(path, rejected)


def load_postcodes(path: str | Path) -> pd.Series:
    """Postcodes of each current commune (``codesPostaux``), space-separated, by INSEE code (empty when none)."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return pd.Series(
        {str(r["code"]): " ".join(r.get("codesPostaux") or []) for r in records if r.get("type") == CURRENT},
        name="postcodes",
    )
