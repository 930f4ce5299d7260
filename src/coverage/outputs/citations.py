"""What every table, map and report cites, assembled in one place: the editions of a run's inputs and the sources
line printed under a figure (``Sources : FINESS (…) ; SAE 2023 ; …``)."""

from __future__ import annotations

import pandas as pd

from ..tables import SOURCES

NEED_EDITIONS = ("deaths", "cancer_deaths")
"""The labels of the deaths files, cited where supply is set against need."""


def sources_line(editions: list[str] | str, end: str = "") -> str:
    """The sources line of a figure or page, ``Sources : a ; b`` (``editions`` listed, or already joined), then
    ``end`` (``"."`` in running text)."""
    joined = editions if isinstance(editions, str) else " ; ".join(editions)
    return f"Sources : {joined}{end}"


def cited_editions(facilities: pd.DataFrame, labels: dict, *, need: bool = False) -> list[str]:
    """The editions of every input of a run: those recorded in the facilities table, then the configured labels
    (population, by age, boundaries, road networks, trip origins), and with ``need`` the deaths files'."""
    configured = [labels["population"], *([labels["population_by_age"]] if "population_by_age" in labels else []),
                  labels["boundaries"], *labels.get("networks", []), *labels.get("origins", [])]  # fmt: skip
    deaths = [labels[name] for name in NEED_EDITIONS if name in labels] if need else []
    return sorted(facilities["edition"].unique()) + configured + deaths


def cited_by_row(table: pd.DataFrame, labels: dict) -> pd.DataFrame:
    """A commune whose trips do not start at its chef-lieu (none in the file) does not cite the chefs-lieux."""
    origins = labels.get("origins", [])
    elsewhere = (table["point_source"] != "chef_lieu").to_numpy()
    if origins and elsewhere.any():
        cited = [source for source in table[SOURCES].iloc[0].split(" ; ") if source not in origins]
        table.loc[elsewhere, SOURCES] = " ; ".join(cited)
    return table
