"""Sites without backup in French terms: people aged 75 and over by commune (estimated from their département) and
the sites named as FINESS lists them."""

from __future__ import annotations

import pandas as pd


def estimated_elderly(communes: pd.DataFrame, elderly: pd.DataFrame) -> pd.Series:
    """People aged 75 and over in each commune, estimated: its population times its département's share of them.

    INSEE publishes the age bands by département only (``elderly``: ``departement``, ``population_75_plus``); the
    share is that count over the population of the département's communes in ``communes`` (``departement``,
    ``population``), which must hold whole départements.
    """
    counts = elderly.set_index("departement")["population_75_plus"].astype(float)
    share = counts / communes.groupby("departement")["population"].sum()
    return communes["population"] * communes["departement"].map(share)


def named_sites(table: pd.DataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """``table`` (``service``, ``finess`` and figures) with each site's ``name`` and ``site_commune`` after its
    FINESS number."""
    names = facilities.drop_duplicates(["service", "finess"]).set_index(["service", "finess"])[["name", "commune"]]
    named = table.join(names.rename(columns={"commune": "site_commune"}), on=["service", "finess"])
    first = [column for column in table.columns if column not in ("name", "site_commune")]
    position = first.index("finess") + 1
    return named[[*first[:position], "name", "site_commune", *first[position:]]]
