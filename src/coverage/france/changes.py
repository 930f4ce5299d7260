"""Change of the indicators between SAE editions, by département and nationally (for policy writers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..tables import sources_of
from .indicators import national_values

CHANGE_COLUMNS = [
    "departement", "nom", "indicator", "label", "edition_from", "edition_to",
    "value_from", "value_to", "change", "change_pct",
]  # fmt: skip
NATIONAL = "France"
NOT_COMPARED = ("msp_",)  # MSP come from the one FINESS edition of the run: no change to measure


def sae_edition_of(table: pd.DataFrame) -> str:
    """The SAE edition named in a table's sources (``SAE 2023``, ``SAE 2024 (PALIA 2023)``)."""
    named = [source for source in sources_of(table) if source.startswith("SAE ")]
    if len(named) != 1:
        raise ValueError(f"a table built from one SAE edition, not from {named or 'none'}")
    return named[0]


def _year(label: str) -> int:
    """The year of an SAE edition label."""
    return int(label.split()[1])


def check_indicators(indicators: dict[str, str], table: pd.DataFrame) -> None:
    """Each compared indicator is a column of the indicators table and comes from the SAE (not MSP)."""
    faults = [
        f"{name!r}: " + ("MSP come from the one FINESS edition of the run and are not compared"
                         if name.startswith(NOT_COMPARED) else "not an indicator of indicators_departement.csv")
        for name in indicators
        if name.startswith(NOT_COMPARED) or name not in table.columns or name in ("departement", "nom")
    ]  # fmt: skip
    if faults:
        raise ConfigError("config 'changes.indicators': " + "; ".join(faults))


def _pairs(editions: list[pd.DataFrame]) -> list[tuple[str, pd.DataFrame]]:
    """(label, table) of each edition, checked to be listed oldest first."""
    labelled = [(sae_edition_of(table), table) for table in editions]
    years = [_year(label) for label, _ in labelled]
    if years != sorted(set(years)):
        order = ", ".join(label for label, _ in labelled)
        raise ConfigError(f"config 'sources.sae': list each edition once, oldest first (the run's last), not {order}")
    return labelled


def _long(values: pd.DataFrame, indicators: dict[str, str]) -> pd.DataFrame:
    """One row per (département, indicator) of a wide table indexed by département."""
    frame = values[list(indicators)].astype(float).rename_axis(columns="indicator").stack(future_stack=True)
    return frame.rename("value").reset_index()


def compare_editions(editions: list[pd.DataFrame], indicators: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The change of each indicator from every earlier edition to the last one.

    Parameters
    ----------
    editions
        The indicators tables (``indicators_departement.csv``) of each edition, oldest first, built on the
        same populations and boundaries, each naming its SAE edition in its sources.
    indicators
        Indicator column -> French label.

    Returns
    -------
    by_departement, national
        Long tables (``CHANGE_COLUMNS``): the values in both editions, the change (``value_to -
        value_from``) and its percentage of ``value_from`` (empty when it is 0). A value unknown in
        either edition leaves the change empty; national values are sums and the rates they give.
    """
    labelled = _pairs(editions)
    check_indicators(indicators, labelled[-1][1])
    last_label, last = labelled[-1]
    names = last.set_index("departement")["nom"]
    parts, national_parts = [], []
    for label, table in labelled[:-1]:
        for target, earlier, later in (
            (parts, table.set_index("departement"), last.set_index("departement")),
            (national_parts, _national_frame(table), _national_frame(last)),
        ):
            before, after = _long(earlier, indicators), _long(later, indicators)
            pair = before.merge(after, on=["departement", "indicator"], suffixes=("_from", "_to"), how="outer")
            target.append(pair.assign(edition_from=label, edition_to=last_label))
    return _finish(pd.concat(parts), indicators, names), _finish(pd.concat(national_parts), indicators, None)


def _national_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The national values of an indicators table as a one-row frame indexed ``France``."""
    national = national_values(table.set_index("departement").drop(columns=[c for c in table if c.startswith("gap_")]))
    return national.to_frame(NATIONAL).T.rename_axis("departement")


def _finish(pairs: pd.DataFrame, indicators: dict[str, str], names: pd.Series | None) -> pd.DataFrame:
    """Changes and percentages, labels and names, rows by département, edition, then indicator as configured."""
    pairs = pairs.replace([np.inf, -np.inf], np.nan)
    pairs["change"] = pairs["value_to"] - pairs["value_from"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pairs["change_pct"] = (pairs["change"] / pairs["value_from"] * 100).where(pairs["value_from"] != 0)
    pairs["label"] = pairs["indicator"].map(indicators)
    pairs["nom"] = pairs["departement"].map(names) if names is not None else NATIONAL
    pairs["position"] = pairs["indicator"].map({name: position for position, name in enumerate(indicators)})
    pairs = pairs.sort_values(["departement", "edition_from", "position"])
    return pairs[CHANGE_COLUMNS].reset_index(drop=True)


def edition_sources(editions: list[pd.DataFrame]) -> list[str]:
    """The sources to cite under a change table: the editions' SAE labels in order, then their other sources."""
    labels = [sae_edition_of(table) for table in editions]
    others = dict.fromkeys(source for table in editions for source in sources_of(table))
    return labels + [source for source in others if source not in labels]
