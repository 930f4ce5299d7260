"""The change between SAE editions in words and tables: the Markdown document, the report's section, the
``before → after (change)`` text of the maps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..france.registry import decimals_of
from .citations import sources_line
from .french import french_number
from .report import markdown_table

METHOD = (
    "Valeurs de chaque édition des fichiers nationaux (sans les listes propres des ARS), à population constante "
    "(celle de la dernière édition) ; les MSP, issues de l'unique édition FINESS, ne sont pas comparées."
)


def signed(value: float, decimals: int) -> str:
    """A change in French number format with its sign (``+3``, ``-1,5``; ``0`` when it rounds to nothing)."""
    text = french_number(value, decimals)
    if not text.strip("-0,"):
        return text.lstrip("-")
    return "+" + text if value > 0 else text


def change_text(value_from: float, value_to: float, change: float, decimals: int) -> str:
    """``before → after (signed change)`` in French number format."""
    return f"{french_number(value_from, decimals)} → {french_number(value_to, decimals)} ({signed(change, decimals)})"


def change_markdown(by_departement: pd.DataFrame, national: pd.DataFrame, shown: list[str], editions: list[str]) -> str:
    """The change between editions as a Markdown document: every indicator nationally, then the ``shown``
    ones by département (``before → after (change)``)."""
    lines = [
        "# Évolution de l'offre entre éditions de la SAE",
        "",
        sources_line(editions, "."),
        "",
        METHOD,
        "",
        "## France entière",
        "",
    ]
    rows = []
    for r in national.itertuples():
        places = decimals_of(r.indicator)
        percent = signed(r.change_pct, 1) + " %" if np.isfinite(r.change_pct) else "–"
        rows.append([r.label, r.edition_from, french_number(r.value_from, places), r.edition_to,
                     french_number(r.value_to, places), signed(r.change, places), percent])  # fmt: skip
    lines += markdown_table(
        ["Indicateur", "Édition", "Valeur", "Édition", "Valeur", "Évolution", "Évolution (%)"], rows
    )
    lines += ["", "## Par département", ""]
    subset = by_departement[by_departement["indicator"].isin(shown)].set_index("indicator")
    labels = subset["label"].groupby(level=0).first()
    rows = []
    for (code, name, before, after), group in subset.groupby(["departement", "nom", "edition_from", "edition_to"]):
        cells = [
            change_text(r.value_from, r.value_to, r.change, decimals_of(i))
            for i, r in ((i, group.loc[i]) for i in shown)
        ]
        rows.append([code, name, f"{before} → {after}", *cells])
    lines += markdown_table(["Code", "Département", "Éditions", *(labels[i] for i in shown)], rows)
    return "\n".join(lines) + "\n"


def change_section(by_departement: pd.DataFrame, departements: list[str], caveats: list[str] = ()) -> list[str]:
    """Markdown lines of a report's section on the change between editions in ``departements``, with the data to
    read with care (``caveats``) before the table."""
    lines = ["## Évolution entre éditions de la SAE", "", METHOD, "", *(line for c in caveats for line in (c, ""))]
    rows = []
    for r in by_departement[by_departement["departement"].isin(departements)].itertuples():
        places = decimals_of(r.indicator)
        rows.append([r.departement, r.label, f"{r.edition_from} → {r.edition_to}", french_number(r.value_from, places),
                     french_number(r.value_to, places), signed(r.change, places)])  # fmt: skip
    return lines + markdown_table(["Département", "Indicateur", "Éditions", "Avant", "Après", "Évolution"], rows)
