"""The national map (``maps/index.html``): one département geometry shared by every indicator, one picker grouped
by theme, a ranking beside the map, a search, the indicator's table to download, and the sites in folded overlays.

The page carries the numbers as the tables write them (strings), so that what it draws, ranks and lets a reader
download is the tables' own figures; colours, legends and texts are computed here, once, like the static maps'.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ..france.constants import SERVICES
from ..france.indicators import GapRule, national_values
from ..france.registry import INDICATORS, decimals_of, less_is_better, theme_of
from ._classes import (
    NO_DATA_COLOR,
    NO_TEAM,
    ChangeClasses,
    Classes,
    legend_rows,
    quantile_classes,
    value_text,
)
from .change_report import change_text
from .citations import sources_line
from .maps import service_entries, site_rows
from .page import Page, page_map, topology
from .french import NEED_UNKNOWN, counted, french_number, mco_beds_text
from .report import gap_labels

INSETS = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte"}
"""Départements drawn in an inset beside metropolitan France, with their inset's label."""
SIMPLIFY_DEGREES = 0.002
"""Tolerance of the shared outlines: under 1.5 px at the page's closest zoom (``MAX_ZOOM``) at 46° N."""
CELL_DEGREES = 0.001
"""Coordinates quantized to 0.001°, under a pixel at ``MAX_ZOOM``."""
MAX_ZOOM = 10
THEMES = {
    "population": "Offre pour la population",
    "elderly": "Offre pour les 75 ans et plus",
    "need": "Offre rapportée aux décès (besoin)",
    "count": "Sites et capacité",
    "change": "Évolution entre éditions",
    "time": "Temps d'accès par la route (où il est calculé)",
}
TIME_EDGES = [0.0, 0.5, 0.75, 0.9, 0.95, 1.0]
QUANTILE_METHOD = "Classes : quantiles des départements (effectifs égaux)"
UNKNOWN_SUPPLY = "offre inconnue (service absent du fichier national)"
NATIONAL_UNKNOWN = "inconnu (la donnée manque dans une partie des départements)"
NOT_COMPUTED = "temps d'accès non calculé"


@dataclass
class Indicator:
    """One choice of the picker: the département values as their table writes them, and how to draw them.

    ``raw`` holds one string per département of the page (``""`` where the table has no row), ``csv`` the rows
    the page lets a reader download (``header`` first), ``missing`` says why a département has no value (it is
    left out of the ranking), ``better`` says which end of the ranking comes first.
    """

    id: str
    title: str
    theme: str
    raw: list[str]
    colors: list[str]
    texts: list[str]
    legend: list[tuple[str, str]]
    method: str
    national: float | None
    national_text: str
    csv: list[list[str]]
    sources: str
    missing: str
    better: str = "high"
    gaps: list[bool] = field(default_factory=list)


def shared_outlines(departements: gpd.GeoDataFrame, tips: list[str] | None = None) -> dict:
    """The département polygons as one TopoJSON topology (object ``departements``), simplified together (shared
    borders stay shared) for the page's zoom levels and quantized, with ``i`` (their position), ``code``, ``nom``
    and, when given, each one's tooltip ``tip``."""
    columns = {"i": range(len(departements)), "code": departements["code"].to_numpy(),
               "nom": departements["nom"].to_numpy(), **({"tip": tips} if tips is not None else {})}  # fmt: skip
    shapes = gpd.GeoDataFrame(columns, geometry=departements.geometry.to_numpy(), crs=departements.crs)
    return topology({"departements": shapes}, tolerance=SIMPLIFY_DEGREES, cell=CELL_DEGREES)


def _texts(indicator: str, values: pd.Series) -> list[str]:
    """French text of each value."""
    return [value_text(indicator, v) for v in values.astype(float)]


def _csv_rows(raw: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    """A table's rows as its file writes them, header first."""
    return [columns, *raw[columns].to_numpy().tolist()]


def supply_indicator(
    indicator: str, title: str, table: pd.DataFrame, raw: pd.DataFrame, rules: list[GapRule], national: pd.Series,
    sources: str,
) -> Indicator:  # fmt: skip
    """A column of ``indicators_departement.csv`` (``table`` parsed, ``raw`` as strings, same rows)."""
    values = table[indicator].astype(float)
    classes = quantile_classes(values, indicator)
    rows = legend_rows(classes, indicator)
    if values.isna().any():
        rows.append((NO_DATA_COLOR, NEED_UNKNOWN if theme_of(indicator) == "need" else UNKNOWN_SUPPLY))
    gap_columns = [f"gap_{r.id}" for r in rules if r.indicator == indicator]
    gaps = table[gap_columns].fillna(False).astype(bool).any(axis=1) if gap_columns else pd.Series(False, table.index)
    national_value = float(national[indicator])
    return Indicator(
        id=indicator, title=title, theme=theme_of(indicator),
        raw=raw[indicator].tolist(), colors=[classes.color_of(v) for v in values], texts=_texts(indicator, values),
        legend=rows, method=QUANTILE_METHOD, national=national_value if np.isfinite(national_value) else None,
        national_text=f"France : {value_text(indicator, national_value)}" if np.isfinite(national_value)
        else f"France : {NATIONAL_UNKNOWN}",
        csv=_csv_rows(raw, ["departement", "nom", indicator]), sources=sources,
        missing=NO_TEAM if less_is_better(indicator) else NEED_UNKNOWN if theme_of(indicator) == "need"
        else UNKNOWN_SUPPLY,
        better=INDICATORS[indicator].better,
        gaps=gaps.tolist(),
    )  # fmt: skip


def change_indicator(change: pd.DataFrame, raw: pd.DataFrame, national: pd.DataFrame, codes: list[str]) -> Indicator:
    """The change of one indicator between two editions: rows of ``change_departement.csv`` (``change`` parsed,
    ``raw`` as strings), ``national`` its row of ``change_national.csv``."""
    first = change.iloc[0]
    places = decimals_of(first["indicator"])
    values = change.set_index("departement").reindex(codes)
    classes = ChangeClasses.of(values["change"], places)
    texts = [
        change_text(a, b, d, places)
        for a, b, d in zip(values["value_from"], values["value_to"], values["change"], strict=True)
    ]
    france = national.iloc[0]
    columns = ["departement", "nom", "indicator", "edition_from", "edition_to", "value_from", "value_to", "change"]
    return Indicator(
        id=f"change_{first['indicator']}", title=f"{first['label']} : évolution {first['edition_from']} → "
        f"{first['edition_to']}", theme="change",
        raw=raw.set_index("departement")["change"].reindex(codes).fillna("").tolist(),
        colors=[classes.color_of(v) for v in values["change"].astype(float)], texts=texts,
        legend=classes.legend_rows(), method="Classes : hausse ou baisse, « forte » au-delà de la médiane des "
        "évolutions non nulles ; la ligne du classement marque l'absence d'évolution", national=0.0,
        national_text="France : " + change_text(france["value_from"], france["value_to"], france["change"], places),
        csv=_csv_rows(raw, columns), sources=sources_line(str(first["sources"])),
        missing="donnée absente d'une édition",
    )  # fmt: skip


def time_indicator(service: str, rows: pd.DataFrame, raw: pd.DataFrame, codes: list[str], minutes: float) -> Indicator:
    """The share of a département's population within ``minutes`` by road of a ``service`` site, where the run
    computed drive times (rows of ``coverage_departement.csv`` for that service and threshold)."""
    values = rows.set_index("departement")["share_within"].reindex(codes).astype(float)
    classes = Classes(edges=TIME_EDGES, colors=quantile_classes(pd.Series(TIME_EDGES), "share").colors)
    legend = [
        (color, f"{french_number(100 * lo)} – {french_number(100 * hi)} %")
        for color, lo, hi in zip(classes.colors, TIME_EDGES[:-1], TIME_EDGES[1:], strict=True)
    ] + [(NO_DATA_COLOR, NOT_COMPUTED)]
    national = float(rows["population_within"].sum() / rows["population"].sum())
    columns = ["departement", "service", "threshold_min", "population", "population_within", "share_within"]
    return Indicator(
        id=f"time_{service.lower()}", title=f"Part de la population à moins de {minutes:g} min par la route d'un "
        f"site {service}", theme="time",
        raw=raw.set_index("departement")["share_within"].reindex(codes).fillna("").tolist(),
        colors=[classes.color_of(v) for v in values], texts=[_percent(v) for v in values], legend=legend,
        method="Classes : seuils fixes", national=national,
        national_text=f"Départements calculés : {_percent(national)}", csv=_csv_rows(raw, columns),
        sources=sources_line(str(rows["sources"].iloc[0])), missing=NOT_COMPUTED,
    )  # fmt: skip


def _percent(share: float) -> str:
    """``87,4 %``; "non calculé" where unknown."""
    return f"{french_number(100 * share, 1)} %" if np.isfinite(share) else "non calculé"


def departement_tooltip(row: pd.Series, rules: list[GapRule]) -> str:
    """HTML tooltip of a département: population, supply of each service and the gaps."""
    supply = [
        f"USP : {french_number(row['usp_count'])} ({counted(row['usp_capacity'], 'lit')})",
        f"EMSP : {counted(row['emsp_count'], 'équipe')}",
        f"LISP : {counted(row['lisp_capacity'], 'lit')} dans {counted(row['lisp_count'], 'établissement')} "
        f"(en MCO : {mco_beds_text(float(row['lisp_mco_capacity']))})",
        f"HAD : {counted(row['had_capacity'], 'place')}",
        f"MSP : {french_number(row['msp_count'])}",
    ]
    gaps = gap_labels(row, rules)
    gap_html = "<br>".join(f"⚠ {html.escape(g)}" for g in gaps) if gaps else "aucun écart aux règles"
    return (
        f"<b>{html.escape(str(row['nom']))} ({row['departement']})</b><br>"
        f"Population : {french_number(row['population'])}<br>{'<br>'.join(supply)}<br><b>Écarts :</b><br>{gap_html}"
    )


def _area_links(area_links: dict[str, str]) -> str:
    """Links to each area's drive-time map and directory."""
    return " · ".join(
        f'{html.escape(label)} : <a href="{html.escape(href)}">temps d\'accès</a>, '
        f'<a href="annuaire-{html.escape(href)}">annuaire</a>'
        for href, label in area_links.items()
    )


def build_national_map(
    outlines: dict, indicators: list[Indicator], sites: list[list], area_links: dict[str, str]
) -> folium.Map:
    """The national page.

    Parameters
    ----------
    outlines
        The shared département topology (:func:`shared_outlines`).
    indicators
        The picker's choices, the first shown at opening.
    sites
        The located sites (:func:`coverage.outputs.maps.site_rows`), in overlays folded in the layer control.
    area_links
        Area map file -> French label: links to the drive-time maps and their directories.
    """
    fmap = page_map(location=(46.6, 2.4), zoom_start=6, minZoom=4, maxZoom=MAX_ZOOM)
    data = {
        "topology": outlines,
        "themes": [{"id": k, "label": v} for k, v in THEMES.items() if any(i.theme == k for i in indicators)],
        "indicators": [asdict(indicator) for indicator in indicators],
        "insets": [{"code": code, "label": label} for code, label in INSETS.items()],
        "services": service_entries(),
        "sites": sites,
    }
    Page("coverageExplorer", "Soins palliatifs : l'offre par département", data, links=_area_links(area_links),
         search=("Département", "nom ou numéro"), download=True, panel=True).add_to(fmap)
    return fmap


def oldest_changes(changes: pd.DataFrame, layers: list[str]) -> pd.DataFrame:
    """The change of the ``layers`` indicators from the oldest edition to the run's, in the layers' order."""
    oldest = changes["edition_from"].iloc[0] if len(changes) else ""
    drawn = changes[changes["indicator"].isin(layers) & (changes["edition_from"] == oldest)]
    return drawn.sort_values("indicator", key=lambda column: column.map(layers.index), kind="stable")


def national_indicators(
    table: pd.DataFrame, raw: pd.DataFrame, layers: dict[str, str], rules: list[GapRule], sources: str,
    changes: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
    coverage: tuple[pd.DataFrame, pd.DataFrame] | None = None, drive_time_min: float = 30,
) -> list[Indicator]:  # fmt: skip
    """The picker's choices, by theme: the ``layers`` columns of the indicators table (``table`` parsed, ``raw``
    as strings), the change of each indicator of ``changes`` (by département parsed and as strings, national),
    and the share within ``drive_time_min`` of each service of ``coverage`` (parsed and as strings)."""
    national = national_values(table)
    supply = [supply_indicator(c, title, table, raw, rules, national, sources) for c, title in layers.items()]
    codes = table["departement"].tolist()
    chosen = [ind for theme in ("population", "elderly", "need", "count") for ind in supply if ind.theme == theme]
    if changes is not None:
        by_departement, by_departement_raw, france = changes
        for indicator, rows in by_departement.groupby("indicator", sort=False):
            strings = by_departement_raw.loc[rows.index]
            same = (france["indicator"] == indicator) & (france["edition_from"] == rows["edition_from"].iloc[0])
            chosen.append(change_indicator(rows, strings, france[same], codes))
    if coverage is not None:
        parsed, strings = coverage
        at = parsed["threshold_min"].astype(float) == float(drive_time_min)
        for service in [s for s in SERVICES if s in set(parsed.loc[at, "service"])]:
            rows = at & (parsed["service"] == service)
            chosen.append(time_indicator(service, parsed[rows], strings[rows], codes, drive_time_min))
    return chosen


def national_page(
    table: pd.DataFrame, departements: gpd.GeoDataFrame, facilities: pd.DataFrame, indicators: list[Indicator],
    rules: list[GapRule], area_links: dict[str, str],
) -> folium.Map:  # fmt: skip
    """The national page of the indicators table: its départements' outlines with their tooltips, the
    ``indicators`` to pick from, the located sites with their contact popups; opened as ``#lat,lon[,zoom]``,
    it is centred there."""
    ordered = departements.set_index("code").loc[table["departement"]].reset_index()
    outlines = shared_outlines(ordered, [departement_tooltip(row, rules) for _, row in table.iterrows()])
    return build_national_map(outlines, indicators, site_rows(facilities), area_links)
