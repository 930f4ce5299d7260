"""The one-page summary at the head of an area's report: the few figures a policy writer quotes, the area beside
France, each with the source and edition it comes from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..france.constants import SERVICES, UNITS
from ..france.indicators import GapRule, national_values
from ..france.registry import INDICATORS, SERVICE_RATES, decimals_of, title_of
from ._classes import value_text
from .change_report import signed
from .french import MCO_UNKNOWN, SERVICE_NAMES, UNIT_NAMES, counted, french_number, mco_beds_text, need_text
from .report import markdown_table

PAGE_BREAK = '<div style="page-break-after: always"></div>'
ROAD_SOURCE = "Réseau routier"


def source_of(editions: list[str], prefix: str) -> str:
    """The cited edition starting with ``prefix`` (``SAE``, ``FINESS``, ``INSEE, populations``...)."""
    return next((edition for edition in editions if edition.startswith(prefix)), "–")


def _supply_rows(area: pd.Series, france: pd.Series, editions: list[str]) -> list[list[str]]:
    """Sites and capacity of each service, then its rate, in the area and in France."""
    rows = []
    for service in SERVICES:
        s = service.lower()
        column = SERVICE_RATES[service]
        source = source_of(editions, INDICATORS[column].source)
        unit = UNIT_NAMES[UNITS[service]]
        supply = [counted(v[f"{s}_count"], "site") if service == "MSP" else
                  f"{counted(v[f'{s}_capacity'], unit)} ({counted(v[f'{s}_count'], 'site')})"
                  for v in (area, france)]  # fmt: skip
        rows.append([f"{SERVICE_NAMES[service]} ({service})", *supply, source])
        rows.append([title_of(column), *(value_text(column, float(v[column])) for v in (area, france)), source])
        if service == "LISP":
            rows += _lisp_mco_rows(area, france, source)
    return rows


def _lisp_mco_rows(area: pd.Series, france: pd.Series, source: str) -> list[list[str]]:
    """The LISP beds in acute care (MCO) and their rate, as the national palliative-care observatory counts them
    (one row: the summary holds on one page)."""
    return [
        ["dont lits en MCO (Observatoire national, PALIA_A2)",
         *(f"{mco_beds_text(float(v['lisp_mco_capacity']))} "
           f"({value_text('lisp_mco_per_1000', float(v['lisp_mco_per_1000']))} pour 1000 hab.)"
           if np.isfinite(v["lisp_mco_capacity"]) else MCO_UNKNOWN for v in (area, france)), source],
    ]  # fmt: skip


def _need_rows(rows: pd.DataFrame, area: pd.Series, france: pd.Series, editions: list[str]) -> list[list[str]]:
    """The supply counted against deaths, two indicators a row (the summary holds on one page), each with the year
    of its deaths and their source; « non disponible » where a source does not give the area's deaths."""
    if "deaths" not in rows:
        return []
    deaths, cancer = (_year(rows, c) for c in ("deaths_year", "cancer_deaths_year"))
    supply, insee, cepidc = (source_of(editions, p) for p in ("SAE", "INSEE, état civil", "Inserm CépiDc"))
    pairs = [
        ("usp_per_1000_deaths", deaths, "lisp_per_1000_deaths", deaths, f"{supply} ; {insee}"),
        ("emsp_per_10k_elderly_deaths", deaths, "palliative_beds_per_1000_cancer_deaths", cancer,
         f"{supply} ; {insee} ; {cepidc}"),
    ]  # fmt: skip
    return [
        [f"{title_of(first)} ({first_year}) ; {_lower_first(title_of(second))} ({second_year})",
         *(f"{need_text(first, v[first])} ; {need_text(second, v[second])}" for v in (area, france)), source]
        for first, first_year, second, second_year, source in pairs
    ]  # fmt: skip


def _year(rows: pd.DataFrame, column: str) -> str:
    """The year of a deaths source in the area's rows; « année inconnue » when no département has it."""
    known = rows[column].dropna()
    return str(int(known.iloc[0])) if len(known) else "année inconnue"


def _lower_first(text: str) -> str:
    """``text`` with a lowercase first letter (a title after a semicolon)."""
    return text[:1].lower() + text[1:]


def _gap_rows(rows: pd.DataFrame, table: pd.DataFrame, rules: list[GapRule]) -> list[list[str]]:
    """Per rule: the area's départements in gap, and how many of France's are."""
    lines = []
    for rule in rules:
        column = f"gap_{rule.id}"
        named = [f"{r.nom} ({r.departement})" for r in rows[rows[column].fillna(False).astype(bool)].itertuples()]
        in_france = int(table[column].fillna(False).astype(bool).sum())
        lines.append([f"Écart : {rule.label}", ", ".join(named) or "aucun département",
                      f"{in_france} départements sur {len(table)}", rule.source])  # fmt: skip
    return lines


def _drive_rows(coverage: pd.DataFrame, minutes: float) -> list[list[str]]:
    """Per service, the area's inhabitants beyond ``minutes`` by road of a site (France: not computed here)."""
    at = coverage[coverage["threshold_min"].astype(float) == float(minutes)]
    road = source_of(str(coverage["sources"].iloc[0]).split(" ; "), ROAD_SOURCE) if len(coverage) else "–"
    lines = []
    for service in [s for s in SERVICES if s in set(at["service"])]:
        rows = at[at["service"] == service]
        beyond = float((rows["population"] - rows["population_within"] - rows["population_unknown"]).sum())
        share = beyond / float(rows["population"].sum()) if rows["population"].sum() else np.nan
        value = f"{french_number(beyond)} ({french_number(100 * share, 1)} %)"
        if rows["share_within"].isna().any():  # too many inhabitants off the network: the shares are left empty
            value = f"non calculé ({counted(rows['population_unknown'].sum(), 'habitant')} hors du réseau routier)"
        lines.append([f"Habitants à plus de {minutes:g} min par la route d'un site {service}", value, "non calculé",
                      f"{road} ; temps de trajet calculés par le projet"])  # fmt: skip
    return lines


def _change_rows(
    by_departement: pd.DataFrame, national: pd.DataFrame, codes: list[str], indicators: list[str]
) -> list[list[str]]:
    """The change of each of ``indicators`` (counts and capacities) from the oldest edition, area and France."""
    oldest = national["edition_from"].iloc[0]
    lines = []
    for indicator in indicators:
        area = by_departement[(by_departement["indicator"] == indicator) & (by_departement["edition_from"] == oldest)
                              & by_departement["departement"].isin(codes)]  # fmt: skip
        france = national[(national["indicator"] == indicator) & (national["edition_from"] == oldest)]
        if area.empty or france.empty:
            continue
        first, places = france.iloc[0], decimals_of(indicator)
        texts = [
            f"{french_number(f, places)} → {french_number(t, places)} ({signed(t - f, places)})"
            for f, t in ((area["value_from"].sum(), area["value_to"].sum()), (first["value_from"], first["value_to"]))
        ]
        lines.append([f"{first['label']} : {first['edition_from']} → {first['edition_to']}", *texts,
                      f"{first['edition_from']} ; {first['edition_to']}"])  # fmt: skip
    return lines


def summary_section(
    label: str, table: pd.DataFrame, codes: list[str], rules: list[GapRule], editions: list[str],
    coverage: pd.DataFrame, drive_time_min: float,
    changes: tuple[pd.DataFrame, pd.DataFrame, list[str]] | None = None, caveats: list[str] = (),
) -> list[str]:  # fmt: skip
    """Markdown lines of the summary page: population, each service's supply and rate, the gaps, the inhabitants
    far from each service by road, and the change between editions; the area's figure beside France's, each with
    its source. ``table`` holds every département (France's figures), ``codes`` the area's; ``changes`` is the
    change by département and nationally, and the indicators to quote; ``caveats`` the data to read with care
    (:func:`.report.capacity_caveats`), said under the table."""
    rows = table[table["departement"].isin(codes)]
    area, france = national_values(rows), national_values(table)
    lines = [f"## L'essentiel : {label}", ""]
    body = [
        ["Population", french_number(area["population"]), french_number(france["population"]),
         source_of(editions, "INSEE, populations")],
        ["Habitants de 75 ans et plus", french_number(area["population_75_plus"]),
         french_number(france["population_75_plus"]), source_of(editions, "INSEE, estimations")],
        *_supply_rows(area, france, editions),
        *_need_rows(rows, area, france, editions),
        *_gap_rows(rows, table, rules),
        *_drive_rows(coverage, drive_time_min),
        *(_change_rows(changes[0], changes[1], codes, changes[2]) if changes is not None else []),
    ]  # fmt: skip
    lines += markdown_table(["Chiffre", label, "France", "Source"], body)
    lines += ["", "France : les départements de la table nationale ; une offre inconnue (service absent d'un "
              "fichier national) n'est comptée ni dans les sites ni dans la population du taux.", ""]  # fmt: skip
    lines += [line for caveat in caveats for line in (caveat, "")] + [PAGE_BREAK, ""]
    return lines
