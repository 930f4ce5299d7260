"""The step of workflow/rules/indicators.smk: indicators by département and national totals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...france.indicators import GapRule, compute_indicators, national_totals
from ...france.sources.boundaries import load_departements
from ...france.sources.deaths import load_cancer_deaths, load_deaths, missing_deaths_warnings
from ...france.sources.population_by_age import load_population_by_age
from ...france.sources.rejects import warnings_frame
from ...outputs.citations import cited_editions
from ...outputs.report import indicators_markdown, write_text
from ...tables import read_csv, with_sources, write_csv
from ._shared import read_communes


def indicators(
    *, facilities: Path, unlisted: Path, communes: Path, departements: Path, population_by_age: Path, deaths: Path,
    cancer_deaths: Path, age_year: int, need: dict, gaps: list[dict], editions: dict[str, str],
    origins: dict[str, str], csv: Path, national: Path, markdown: Path, warnings: Path,
) -> None:  # fmt: skip
    """Indicators by département (``csv``), national totals and the Markdown table for policy writers.

    ``unlisted``: the (département, service) pairs a national file does not cover, left unknown.
    ``population_by_age``: INSEE's estimates by age band, read for ``age_year`` (need-adjusted supply).
    ``deaths``, ``cancer_deaths``: the deaths of ``need``'s years (supply against need); ``warnings`` lists the
    départements they do not give, about the planner's files (``origins``).
    """
    table_facilities = read_csv(facilities)
    rules = [GapRule.from_config(entry) for entry in gaps]
    shapes = load_departements(departements)
    codes = set(shapes["code"])
    elderly = load_population_by_age(population_by_age, age_year, codes)
    counted = {"deaths": load_deaths(deaths, need["deaths_year"], codes),
               "cancer_deaths": load_cancer_deaths(cancer_deaths, need["cancer_deaths_year"], codes)}  # fmt: skip
    died = counted["deaths"].table.assign(deaths_year=counted["deaths"].year).merge(
        counted["cancer_deaths"].table.assign(cancer_deaths_year=counted["cancer_deaths"].year), on="departement",
        how="outer")  # fmt: skip
    table, sums = compute_indicators(
        table_facilities, read_communes(communes), shapes, rules, read_csv(unlisted), elderly, died
    )
    totals = national_totals(sums, table)
    cited = cited_editions(table_facilities, editions, need=True)
    write_csv(pd.concat([warnings_frame(origins[name], missing_deaths_warnings(result))
                         for name, result in counted.items()], ignore_index=True), warnings)  # fmt: skip
    write_csv(with_sources(table, cited), csv)
    write_csv(with_sources(totals, cited), national)
    write_text(indicators_markdown(table, totals, sums, rules, cited), markdown)
