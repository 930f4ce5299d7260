"""Markdown tables for policy writers (French labels, editions stated, numbers from the tables)."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import numpy as np
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


def _share(value: float) -> str:
    """A share as a French percentage."""
    return f"{french_number(100 * value, 1)} %"


def _weighted_quantiles(values: pd.Series, weights: pd.Series, quantiles: tuple[float, ...]) -> list[float]:
    """Population-weighted quantiles (the value below which that share of inhabitants lives)."""
    order = np.argsort(values.to_numpy())
    cumulative = np.cumsum(weights.to_numpy()[order]) / weights.sum()
    return [float(values.to_numpy()[order][np.searchsorted(cumulative, q)]) for q in quantiles]


def area_report_markdown(
    label: str, indicators: pd.DataFrame, rules: list[GapRule], national: pd.Series, coverage: pd.DataFrame,
    access: pd.DataFrame, scores: pd.DataFrame, siting: dict[str, pd.DataFrame], pictures: dict[str, str],
    editions: list[str], method: dict,
) -> str:  # fmt: skip
    """The report of a study area for policy writers, in French; every number comes from the tables."""
    lines = [f"# Soins palliatifs et d'accompagnement : {label}", "", "Sources : " + " ; ".join(editions) + ".", ""]
    lines += ["## Offre par département", ""]
    rows = [
        [_cell(c, row[c]) for c in DEPARTEMENT_COLUMNS] + ["; ".join(gap_labels(row, rules)) or "–"]
        for _, row in indicators.iterrows()
    ]
    lines += _table([*DEPARTEMENT_COLUMNS.values(), "Écarts"], rows)
    thresholds = sorted(coverage["threshold_min"].unique())
    lines += ["", "## Population éloignée des services (temps de trajet par la route)", ""]
    lines += ["Habitants au-delà de chaque seuil, et leur part dans la population du département.", ""]
    header = ["Département", "Service"] + [f"Au-delà de {t:g} min" for t in thresholds if t >= 30]
    rows = []
    for (departement, service), group in coverage.groupby(["departement", "service"], sort=False):
        population = int(access.loc[access["departement"] == departement, "population"].sum())
        cells = [
            f"{french_number(population - r.population_within)} ({_share(1 - r.share_within)})"
            for r in group.sort_values("threshold_min").itertuples()
            if r.threshold_min >= 30
        ]
        rows.append([departement, service, *cells])
    lines += _table(header, rows)
    lines += ["", "## Accessibilité tenant compte des capacités (E2SFCA)", ""]
    lines += [
        "Capacité accessible pour 1000 habitants, pondérée par le temps de trajet et par la population qui se "
        f"partage chaque site ({method['e2sfca']}). Répartition des habitants de chaque département : valeur en "
        "dessous de laquelle vit 10 %, 50 % (médiane) et 90 % de la population.",
        "",
    ]
    merged = scores.merge(access[["commune", "population"]], on="commune")
    rows = []
    for departement, group in merged.groupby("departement"):
        for column in [c for c in scores.columns if c.endswith("_access")]:
            valid = group[group[column].notna()]
            low, median, high = _weighted_quantiles(valid[column], valid["population"], (0.1, 0.5, 0.9))
            rows.append(
                [
                    departement,
                    column.removesuffix("_access").upper(),
                    *(french_number(v, 4) for v in (low, median, high)),
                ]
            )
    lines += _table(["Département", "Service", "10 %", "Médiane", "90 %"], rows)
    lines += ["", "## Propositions d'implantation", ""]
    lines += [
        (
            "Sites ajoutés un à un dans chaque département, chacun amenant le plus d'habitants du département à "
            f"moins de {method['siting']}."
        ),
        "",
    ]
    for service, table in siting.items():
        lines += [f"### {SERVICE_NAMES[service]} ({service})", ""]
        if table.empty:
            lines += ["Aucun candidat n'améliore la couverture.", ""]
            continue
        lines += _table(
            ["Rang", "Établissement", "FINESS", "Département", "Habitants gagnés", "Part couverte après"],
            [
                [
                    str(r.rank),
                    str(r.name),
                    r.finess,
                    r.departement,
                    french_number(r.population_gain),
                    _share(r.share_covered_after),
                ]
                for r in table.itertuples()
            ],
        )
        lines.append("")
    lines += ["## Cartes", ""]
    lines += [f"![{caption}]({path})" + "\n" for caption, path in pictures.items()]
    lines += ["## Sources, normes et méthode", ""]
    lines += [f"- {edition}" for edition in editions]
    lines += ["", "Règles d'écart :", ""]
    lines += [f"- {rule.describe(national)}. Source : {rule.source}" for rule in rules]
    lines += ["", "Méthode :", ""] + [f"- {text}" for text in method["notes"]]
    return "\n".join(lines) + "\n"


def markdown_to_html(text: str, title: str, folder: Path) -> str:
    """A self-contained HTML page from the report's Markdown: tables styled, images embedded."""
    import base64

    import markdown

    def embed(match: re.Match) -> str:
        path = (folder / match.group(1)).resolve()
        return f'src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}"'

    body = re.sub(r'src="([^"]+\.png)"', embed, markdown.markdown(text, extensions=["tables"]))
    return REPORT_PAGE.format(title=html.escape(title), body=body)


REPORT_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{font: 15px/1.5 sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222;}}
table {{border-collapse: collapse; margin: 1em 0; font-size: 13px;}}
th, td {{border: 1px solid #bbb; padding: 3px 8px; text-align: right;}}
th {{background: #eef;}} td:first-child, td:nth-child(2) {{text-align: left;}}
img {{max-width: 100%; border: 1px solid #ddd; margin: 1em 0;}}
</style></head>
<body>
{body}
</body></html>
"""


def method_notes(settings: dict) -> dict:
    """French sentences describing the method, from the configuration (for the report)."""
    access, e2sfca, siting = settings["access"], settings["e2sfca"], settings["siting"]
    steps = ", ".join(f"{french_number(s['weight'], 2)} jusqu'à {s['max_min']:g} min" for s in e2sfca["steps"])
    directions = ", ".join(f"{service} : {'patient vers le site' if d == 'to_site' else 'équipe vers le patient'}"
                           for service, d in access["directions"].items())  # fmt: skip
    return {
        "e2sfca": f"pondération {steps}, nulle au-delà",
        "siting": f"{siting['minutes']:g} minutes ({siting['count']} sites au plus par service et par département)",
        "notes": [
            "Temps de trajet par la route : vitesse OSM (maxspeed) ou, à défaut, limite légale française par classe "
            "de route ; plus court chemin sur le réseau routier réel.",
            f"Calcul département par département, sur le réseau routier du département prolongé de "
            f"{settings['networks']['buffer_km']:g} km au-delà de ses limites : les trajets qui traversent une "
            "frontière départementale sont comptés.",
            f"Sens du trajet : {directions}.",
            "Population de chaque commune placée au nœud routier de la commune le plus proche de son point "
            f"représentatif ; accès hors route en ligne droite à {access['offroad_kph']:g} km/h.",
            f"Accessibilité E2SFCA (Luo et Qi, 2009) : {steps}.",
            f"Implantation : glouton, chaque site ajouté maximise la population nouvellement à moins de "
            f"{siting['minutes']:g} minutes ; candidats : établissements FINESS des catégories "
            f"{', '.join(siting['candidate_categories'])} n'offrant pas encore le service, et MSP.",
        ],
    }
