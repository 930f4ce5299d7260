"""Markdown tables for policy writers (French labels, editions stated, numbers from the tables)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .indicators import GapRule

SERVICE_NAMES = {
    "MSP": "Maisons de santé pluriprofessionnelles",
    "HAD": "Hospitalisation à domicile",
    "EMSP": "Équipes mobiles de soins palliatifs",
    "USP": "Unités de soins palliatifs",
    "LISP": "Lits identifiés de soins palliatifs",
}
UNIT_NAMES = {"structure": "structures", "places": "places", "team": "équipes", "beds": "lits"}
DEPARTEMENT_COLUMNS = {
    "departement": "Code",
    "nom": "Département",
    "population": "Population",
    "usp_count": "USP",
    "usp_capacity": "Lits USP",
    "usp_beds_per_100k": "Lits USP / 100 000 hab.",
    "emsp_count": "EMSP",
    "inhabitants_per_emsp": "Hab. / EMSP",
    "lisp_capacity": "LISP",
    "lisp_per_1000": "LISP / 1000 hab.",
    "had_capacity": "Places HAD",
    "had_per_1000": "HAD / 1000 hab.",
    "msp_count": "MSP",
}


def french_number(value: float, decimals: int = 0) -> str:
    """Format a number the French way: narrow no-break space for thousands, comma for decimals."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def _cell(column: str, value: object) -> str:
    """Format one cell of the département table."""
    if column in ("departement", "nom"):
        return str(value)
    decimals = 3 if column.endswith("_per_1000") else 2 if column.endswith("_per_100k") else 0
    return french_number(float(value), decimals)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Render a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def gap_labels(row: pd.Series, rules: list[GapRule]) -> list[str]:
    """Labels of the gap rules a département fails."""
    return [rule.label for rule in rules if bool(row[f"gap_{rule.id}"])]


def indicators_markdown(
    table: pd.DataFrame, totals: pd.DataFrame, national: pd.Series, rules: list[GapRule], editions: list[str]
) -> str:
    """The indicators by département as a Markdown document, with national totals, rules and editions."""
    lines = [
        "# Offre de soins palliatifs et d'accompagnement par département",
        "",
        "Sources : " + " ; ".join(editions) + ".",
        "",
        "## Totaux nationaux",
        "",
    ]
    lines += _table(
        ["Service", "Sites", "Capacité", "Pour 1000 hab.", "Départements sans ce service"],
        [
            [
                SERVICE_NAMES[r.service],
                french_number(r.sites),
                f"{french_number(r.capacity)} {UNIT_NAMES[r.capacity_unit]}",
                french_number(r.per_1000, 3),
                french_number(r.departements_without_service),
            ]
            for r in totals.itertuples()
        ],  # fmt: skip
    )
    lines += ["", f"Population des {len(table)} départements : {french_number(national['population'])} habitants.", ""]
    lines += ["## Règles d'écart", ""]
    lines += [f"- **{rule.id}** — {rule.describe(national)}. Source : {rule.source}" for rule in rules]
    lines += ["", "## Indicateurs par département", ""]
    rows = [
        [_cell(c, row[c]) for c in DEPARTEMENT_COLUMNS] + ["; ".join(gap_labels(row, rules)) or "–"]
        for _, row in table.iterrows()
    ]
    lines += _table([*DEPARTEMENT_COLUMNS.values(), "Écarts"], rows)
    return "\n".join(lines) + "\n"


def write_text(text: str, path: str | Path) -> None:
    """Write a UTF-8 text file, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
