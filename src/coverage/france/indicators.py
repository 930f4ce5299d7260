"""Indicators by département: sites, capacity and capacity per 1000 inhabitants, and the gap rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .constants import SERVICES, UNITS


@dataclass(frozen=True)
class GapRule:
    """A territorial target: a département has a gap when ``indicator`` is on the wrong side of the bar.

    The bar is ``threshold``, or ``fraction_of_national`` times the national value of the indicator.
    """

    id: str
    indicator: str
    comparison: str
    label: str
    source: str
    threshold: float | None = None
    fraction_of_national: float | None = None

    @classmethod
    def from_config(cls, entry: dict) -> GapRule:
        """Build a rule from one entry of the config's ``gaps`` list."""
        missing = [k for k in ("id", "indicator", "comparison", "label", "source") if k not in entry]
        if missing or ("threshold" in entry) == ("fraction_of_national" in entry):
            raise ConfigError(
                f"gap rule {entry.get('id', '?')!r}: needs id, indicator, comparison, label, source and exactly one of "
                f"threshold or fraction_of_national (missing: {', '.join(missing) or 'none'})"
            )
        return cls(**{k: entry[k] for k in cls.__dataclass_fields__ if k in entry})

    def bar(self, national: pd.Series) -> float:
        """The value that separates gap from no gap."""
        if self.threshold is not None:
            return float(self.threshold)
        return float(self.fraction_of_national) * float(national[self.indicator])

    def code(self, national: pd.Series) -> str:
        """The rule as its test reads: ``usp_count < 1``."""
        return f"{self.indicator} {'<' if self.comparison == 'below' else '>'} {self.bar(national):.6g}"


def _service_columns(facilities: pd.DataFrame, codes: pd.Index) -> pd.DataFrame:
    """Sites and capacity per service and département (zero where there are none)."""
    grouped = facilities.groupby(["departement", "service"]).agg(
        count=("finess", "nunique"), capacity=("capacity", "sum")
    )
    columns = {}
    for service in SERVICES:
        part = grouped.xs(service, level="service") if service in grouped.index.get_level_values("service") else None
        for measure in ("count", "capacity"):
            values = part[measure] if part is not None else pd.Series(dtype=float)
            columns[f"{service.lower()}_{measure}"] = values.reindex(codes, fill_value=0)
    table = pd.DataFrame(columns, index=codes)
    table["usp_units"] = facilities.groupby("departement")["usp_units"].sum().reindex(codes, fill_value=0.0)
    table["lisp_mco_capacity"] = _lisp_mco_beds(facilities).reindex(codes, fill_value=0.0)
    teams = facilities[facilities["service"] == "EMSP"].groupby("departement")["emsp_fte"].sum(min_count=1)
    table["emsp_fte"] = teams.reindex(codes).where(table["emsp_count"] > 0, 0.0)  # unknown FTE stays empty
    return table


def _lisp_mco_beds(facilities: pd.DataFrame) -> pd.Series:
    """LISP beds in acute care (MCO, SAE ``PALIA_A2``) by département, the count the national palliative-care
    observatory publishes; unknown (empty) where a LISP site does not say it (a planner's list without the detail,
    a table without the column)."""
    lisp = facilities[facilities["service"] == "LISP"]
    beds = lisp["lisp_beds_mco"] if "lisp_beds_mco" in lisp else pd.Series(np.nan, index=lisp.index)
    return beds.groupby(lisp["departement"]).agg(lambda part: part.sum() if part.notna().all() else np.nan)


SERVICE_DETAILS = {"USP": ["usp_units"], "EMSP": ["emsp_fte"], "LISP": ["lisp_mco_capacity"]}


def _unknown_where_unlisted(table: pd.DataFrame, unlisted: pd.DataFrame | None) -> pd.DataFrame:
    """Empty the counts and capacities of the services a département's national file does not cover."""
    table = table.astype({c: float for c in table.columns if c.endswith(("_count", "_capacity"))})
    for row in (unlisted if unlisted is not None else pd.DataFrame(columns=["departement", "service"])).itertuples():
        s = row.service.lower()
        table.loc[row.departement, [f"{s}_count", f"{s}_capacity", *SERVICE_DETAILS.get(row.service, [])]] = np.nan
    return table


def _rates(table: pd.DataFrame) -> pd.DataFrame:
    """Add per-1000 rates, USP beds per 100,000 and inhabitants per EMSP (inf when there is none), and with
    ``population_75_plus`` the capacity per 100,000 inhabitants aged 75 and over (need-adjusted supply)."""
    population = table["population"].astype(float)
    for service in SERVICES:
        s = service.lower()
        table[f"{s}_per_1000"] = table[f"{s}_capacity"] / population * 1000
        if "population_75_plus" in table:
            table[f"{s}_per_100k_75plus"] = table[f"{s}_capacity"] / table["population_75_plus"].astype(float) * 1e5
    table["usp_beds_per_100k"] = table["usp_capacity"] / population * 100_000
    if "lisp_mco_capacity" in table:
        table["lisp_mco_per_1000"] = table["lisp_mco_capacity"].astype(float) / population * 1000
    with np.errstate(divide="ignore"):
        table["inhabitants_per_emsp"] = population / table["emsp_count"].astype(float)
    return table


SERVICE_RATES = {"USP": ["usp_beds_per_100k"], "EMSP": ["inhabitants_per_emsp"], "LISP": ["lisp_mco_per_1000"]}

NEED_RATES = {
    "usp_per_1000_deaths": (["usp_capacity"], "deaths", 1000),
    "lisp_per_1000_deaths": (["lisp_capacity"], "deaths", 1000),
    "emsp_per_10k_elderly_deaths": (["emsp_count"], "deaths_75_plus", 10_000),
    "palliative_beds_per_1000_cancer_deaths": (["usp_capacity", "lisp_capacity"], "cancer_deaths", 1000),
}
"""Supply counted against need (palliative need follows deaths, cancer deaths first): indicator -> (the supply
columns summed, the deaths column, per how many deaths)."""
NEED_COUNTS = ("deaths", "deaths_75_plus", "cancer_deaths")


def _need_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Add each :data:`NEED_RATES` indicator where the deaths are given: empty where a source does not give the
    département's deaths (Mayotte in INSEE's file), never 0."""
    for indicator, (supply, deaths, per) in NEED_RATES.items():
        if deaths in table:
            table[indicator] = table[supply].astype(float).sum(axis=1, min_count=len(supply)) / table[deaths] * per
    return table


def _national_need_rates(table: pd.DataFrame, national: pd.Series) -> None:
    """Each national :data:`NEED_RATES` value over the départements where both the supply and the deaths are
    known, and the deaths summed where given."""
    for column in [c for c in NEED_COUNTS if c in table]:
        national[column] = table[column].sum(min_count=1)
    for indicator, (supply, deaths, per) in NEED_RATES.items():
        if deaths in table:
            national[indicator] = _per_deaths(table, supply, deaths, per)


def _per_deaths(table: pd.DataFrame, supply: list[str], deaths: str, per: float) -> float:
    """The ``supply`` columns summed per ``per`` deaths, over the départements where both are known (NaN without
    the deaths column)."""
    if deaths not in table:
        return np.nan
    known = table[deaths].notna() & table[supply].notna().all(axis=1)
    return float(table.loc[known, supply].to_numpy(float).sum() / table.loc[known, deaths].sum() * per)


def national_values(table: pd.DataFrame) -> pd.Series:
    """National values: sums of counts, capacities and population, and the rates they give.

    A service's rates are over the population of the départements where it is known (``<s>_population``).
    """
    summed = table.drop(columns=["nom", *NEED_COUNTS], errors="ignore")
    summed = summed.filter(regex=r"(_count|_capacity|population|_75_plus|usp_units|emsp_fte)$").sum()
    national = _rates(summed.to_frame().T).iloc[0]
    for service in SERVICES:
        s = service.lower()
        known = summed.copy()
        listed = table[f"{s}_count"].notna()
        known["population"] = table.loc[listed, "population"].sum()
        if "population_75_plus" in table:
            known["population_75_plus"] = table.loc[listed, "population_75_plus"].sum()
        rates = _rates(known.to_frame().T).iloc[0]
        for column in [c for c in rates.index if c.startswith(f"{s}_per_")] + SERVICE_RATES.get(service, []):
            national[column] = rates[column]
        national[f"{s}_population"] = known["population"]
    if "lisp_mco_capacity" in table and (table["lisp_mco_capacity"].isna() & table["lisp_count"].notna()).any():
        national[["lisp_mco_capacity", "lisp_mco_per_1000"]] = np.nan  # a département's part unknown
    _national_need_rates(table, national)
    return national


def compute_indicators(
    facilities: pd.DataFrame, communes: pd.DataFrame, departements: pd.DataFrame, rules: list[GapRule],
    unlisted: pd.DataFrame | None = None, elderly: pd.DataFrame | None = None, deaths: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.Series]:  # fmt: skip
    """Compute one row of indicators for every département of ``departements``.

    Parameters
    ----------
    facilities
        The facilities table (``finess``, ``service``, ``capacity``, ``departement``...).
    communes
        Current communes with ``departement`` and ``population``.
    departements
        ``code`` and ``nom`` of every département to report (all of them get a row).
    rules
        Gap rules; each adds a boolean column ``gap_<id>``, empty where the indicator is unknown.
    unlisted
        ``departement``, ``service``: services unknown in a département (its national file lists no
        establishment there). Their counts, capacities and rates are left empty, never 0, and the
        national values are those of the départements known.
    elderly
        ``departement``, ``population_75_plus``: adds that column and each service's capacity per
        100,000 inhabitants aged 75 and over (``<s>_per_100k_75plus``), the people palliative care
        mostly serves.
    deaths
        ``departement`` and any of ``deaths``, ``deaths_75_plus`` (deaths of residents, all causes) and
        ``cancer_deaths`` (with their years, ``deaths_year``, ``cancer_deaths_year``): adds those columns and the
        supply per deaths (:data:`NEED_RATES`), empty for a département the table does not give.

    Returns
    -------
    table, national
        The indicators by département and the national values (sums and national rates).
    """
    codes = pd.Index(departements["code"].astype(str), name="departement")
    table = pd.DataFrame(
        {
            "nom": departements.set_index("code")["nom"].reindex(codes).values,
            "population": communes.groupby("departement")["population"].sum().reindex(codes, fill_value=0).values,
        },
        index=codes,
    )
    if elderly is not None:
        table["population_75_plus"] = elderly.set_index("departement")["population_75_plus"].reindex(codes).values
    if deaths is not None:
        table = table.join(deaths.set_index("departement").reindex(codes).astype(float))
    table = _rates(_unknown_where_unlisted(table.join(_service_columns(facilities, codes)), unlisted))
    table = _need_rates(table)
    national = national_values(table)
    for rule in rules:
        if rule.indicator not in table.columns:
            known = ", ".join(table.columns[1:])
            raise ConfigError(f"gap rule {rule.id!r}: unknown indicator {rule.indicator!r}; known: {known}")
        value, bar = table[rule.indicator], rule.bar(national)
        gap = value < bar if rule.comparison == "below" else value > bar
        table[f"gap_{rule.id}"] = gap.astype("boolean").where(value.notna())
    return table.reset_index(), national


def national_totals(national: pd.Series, table: pd.DataFrame) -> pd.DataFrame:
    """One row per service: sites, capacity, unit, the LISP beds in acute care (``capacity_mco``: SAE ``PALIA_A2``,
    the count the national palliative-care observatory publishes; empty for the other services), population where
    the service is known, national rate, the capacity per 1,000 deaths and per 1,000 cancer deaths and the sites per
    10,000 deaths at 75 and over (over the départements whose deaths are given), and départements without the service
    or where it is unknown."""
    rows = []
    for service in SERVICES:
        s = service.lower()
        rows.append(
            {
                "service": service,
                "sites": int(national[f"{s}_count"]),
                "capacity": float(national[f"{s}_capacity"]),
                "capacity_unit": UNITS[service],
                "capacity_mco": float(national["lisp_mco_capacity"]) if service == "LISP" else np.nan,
                "population": int(national[f"{s}_population"]),
                "per_1000": float(national[f"{s}_per_1000"]),
                "per_100k_75plus": float(national.get(f"{s}_per_100k_75plus", np.nan)),
                "per_1000_deaths": _per_deaths(table, [f"{s}_capacity"], "deaths", 1000),
                "per_1000_cancer_deaths": _per_deaths(table, [f"{s}_capacity"], "cancer_deaths", 1000),
                "sites_per_10k_deaths_75plus": _per_deaths(table, [f"{s}_count"], "deaths_75_plus", 10_000),
                "departements": len(table),
                "departements_without_service": int((table[f"{s}_count"] == 0).sum()),
                "departements_unknown": int(table[f"{s}_count"].isna().sum()),
            }
        )
    return pd.DataFrame(rows)
