"""Class breaks and colours shared by the HTML and static maps, so both read the same way."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

from ..france.registry import decimals_of, less_is_better, theme_of
from .french import french_number

NO_DATA_COLOR = "#d9d9d9"
MINUTE_COLORS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#7f0000")
UNREACHED_COLOR = "#969696"
NO_TEAM = "aucune équipe dans le département"
NEED_MISSING = "non disponible"
CLASSES = 5


@dataclass(frozen=True)
class Classes:
    """Quantile classes of an indicator: ``edges`` (CLASSES + 1 values) and one colour per class."""

    edges: list[float]
    colors: list[str]

    def color_of(self, value: float) -> str:
        """Colour of a value; grey when the value is missing or infinite (no supply)."""
        if value is None or not np.isfinite(value):
            return NO_DATA_COLOR
        index = int(np.searchsorted(self.edges[1:-1], value, side="right"))
        return self.colors[index]


def quantile_classes(values: pd.Series, indicator: str) -> Classes:
    """Quantile classes over the finite values, darker for better supply."""
    finite = values[np.isfinite(values.astype(float))].astype(float)
    edges = list(np.unique(np.quantile(finite, np.linspace(0, 1, CLASSES + 1)))) if len(finite) else [0.0, 1.0]
    if len(edges) == 1:
        edges = [edges[0], edges[0]]
    count = len(edges) - 1
    palette = colormaps["YlGnBu"].resampled(count + 1)  # one more than needed: skip the near-white end
    colors = [to_hex(palette(i + 1)) for i in range(count)]
    if less_is_better(indicator):  # a higher value is less supply: reversed colours, dark is better covered
        colors = colors[::-1]
    return Classes(edges=[float(e) for e in edges], colors=colors)


def value_text(indicator: str, value: float) -> str:
    """French text of an indicator value (inhabitants per team: none when there is no team)."""
    if not np.isfinite(value):
        if less_is_better(indicator):  # inhabitants per team: none without a team
            return "aucune équipe"
        return NEED_MISSING if theme_of(indicator) == "need" else "–"
    return french_number(value, decimals_of(indicator))


def legend_rows(classes: Classes, indicator: str) -> list[tuple[str, str]]:
    """Legend rows: colour and value range of each class."""
    edges = classes.edges
    rows = [
        (color, f"{value_text(indicator, lo)} – {value_text(indicator, hi)}")
        for color, lo, hi in zip(classes.colors, edges[:-1], edges[1:], strict=True)
    ]
    if less_is_better(indicator):
        rows.append((NO_DATA_COLOR, NO_TEAM))
    return rows


def minute_classes(thresholds_min: list[float], horizon_min: float) -> list[tuple[float, str, str]]:
    """(upper bound, colour, French label) of each class of minutes, up to the horizon (no time beyond it).

    Beyond the last threshold, classes go on by doubling it (60 -> 120) while that stays below the
    horizon, so that long trips are told apart; colours darken with the minutes.
    """
    bounds = [*thresholds_min]
    while bounds[-1] * 2 < horizon_min and len(bounds) < len(MINUTE_COLORS) - 1:
        bounds.append(bounds[-1] * 2)
    bounds += [horizon_min] if horizon_min > bounds[-1] else []
    colors = MINUTE_COLORS[: len(bounds)] + (MINUTE_COLORS[-1],) * (len(bounds) - len(MINUTE_COLORS))
    labels, lower = [], 0.0
    for upper in bounds:
        labels.append(f"{lower:g} – {upper:g} min")
        lower = upper
    return list(zip(bounds, colors, labels, strict=True))


def unreached_label(horizon_min: float) -> str:
    """French label of the communes without a site within the horizon."""
    return f"aucun site à moins de {horizon_min:g} min"


UNKNOWN_COLOR = "#ffffff"
UNKNOWN_LABEL = "temps inconnu : commune hors du réseau routier"
"""A commune off the road network: its minutes are unknown, neither near nor far."""


def off_network(communes: pd.DataFrame) -> np.ndarray:
    """Which communes of ``access_commune.csv`` rows are off the road network (their minutes unknown)."""
    if "on_network" not in communes.columns:
        return np.zeros(len(communes), dtype=bool)
    return ~communes["on_network"].astype(str).str.lower().isin(["true", "1"]).to_numpy()


CHANGE_COLORS = ("#ca0020", "#f4a582", "#f7f7f7", "#92c5de", "#0571b0")  # ColorBrewer RdBu: less -> more


@dataclass(frozen=True)
class ChangeClasses:
    """Five classes of a change: large and small decreases, none, small and large increases.

    ``large`` is the median size of the non-zero changes, so that both halves of each side are filled.
    """

    large: float
    decimals: int

    @classmethod
    def of(cls, changes: pd.Series, decimals: int) -> ChangeClasses:
        """Classes of a set of changes shown with ``decimals`` places."""
        sizes = changes.abs()[np.isfinite(changes.astype(float)) & (changes != 0)].astype(float)
        large = float(np.median(sizes)) if len(sizes) else 1.0
        return cls(large=max(round(large, decimals), 10.0**-decimals), decimals=decimals)

    def color_of(self, change: float) -> str:
        """Colour of a change (red for less supply, blue for more); grey when unknown."""
        if change is None or not np.isfinite(change):
            return NO_DATA_COLOR
        index = 2 + int(np.sign(change)) * (1 + int(abs(change) >= self.large))
        return CHANGE_COLORS[index]

    def legend_rows(self) -> list[tuple[str, str]]:
        """Colour and French range of each class, increases first."""
        large = french_number(self.large, self.decimals)
        return [
            (CHANGE_COLORS[4], f"hausse de {large} ou plus"),
            (CHANGE_COLORS[3], f"hausse de moins de {large}"),
            (CHANGE_COLORS[2], "aucune évolution"),
            (CHANGE_COLORS[1], f"baisse de moins de {large}"),
            (CHANGE_COLORS[0], f"baisse de {large} ou plus"),
            (NO_DATA_COLOR, "inconnue (donnée absente d'une édition)"),
        ]
