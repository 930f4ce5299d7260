"""Static PNG maps of an indicator by département, for printed reports (metropole and the five DROM)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from ..core.calibration import Calibration  # noqa: E402
from ..france.constants import LAMBERT_93  # noqa: E402
from ..france.registry import decimals_of, less_is_better  # noqa: E402
from ._classes import (  # noqa: E402
    NO_DATA_COLOR,
    UNKNOWN_COLOR,
    UNKNOWN_LABEL,
    UNREACHED_COLOR,
    legend_rows,
    minute_classes,
    quantile_classes,
    off_network,
    unreached_label,
)
from .french import french_number  # noqa: E402

# Overseas départements drawn as insets, each in its own UTM zone: (code, name, EPSG).
OVERSEAS = (
    ("971", "Guadeloupe", "EPSG:32620"),
    ("972", "Martinique", "EPSG:32620"),
    ("973", "Guyane", "EPSG:32622"),
    ("974", "La Réunion", "EPSG:32740"),
    ("976", "Mayotte", "EPSG:32738"),
)
GAP_COLOR = "#cc0000"
CHARACTER_EM = 0.56  # the width of an average character of the sources (DejaVu Sans, French), in font sizes
DRAWN_TOLERANCE_M = 250.0
"""How far an outline may move when simplified for a national map: a third of a pixel of the metropole (9 inches at
150 dpi for 1,000 km), less of an inset's."""


def _unmanaged(**size: float | tuple[float, float]) -> Figure:
    """A figure pyplot does not manage: geopandas ends each ``plot`` with ``plt.draw()``, which renders pyplot's
    current figure (under Agg, at once: 18 of the national maps' 29 s); this one is rendered once, when saved."""
    return Figure(**size)


def _draw(ax: plt.Axes, shapes: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame) -> None:
    """Fill the départements with their class colour and outline the ones in gap."""
    shapes.plot(ax=ax, color=shapes["fill"], edgecolor="#555555", linewidth=0.3)
    if len(gaps):
        gaps.boundary.plot(ax=ax, color=GAP_COLOR, linewidth=1.0, linestyle="--")
    ax.set_axis_off()


def drawn_outlines(shapes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The départements' outlines simplified below what :func:`plot_indicator` can show, each part in the CRS it is
    drawn in: a fifth of the vertices to project and draw, for every map of an indicator drawn from them."""
    overseas = {code: crs for code, _, crs in OVERSEAS}
    crs_of = shapes["departement"].map(overseas).fillna(LAMBERT_93)
    parts = []
    for crs, part in shapes.groupby(crs_of, sort=False):
        projected = part.to_crs(crs)
        parts.append(projected.set_geometry(projected.simplify(DRAWN_TOLERANCE_M)).to_crs(shapes.crs))
    return pd.concat(parts).loc[shapes.index]


def plot_indicator(
    indicators: gpd.GeoDataFrame, indicator: str, title: str, gap_columns: list[str], sources: str, path: str | Path
) -> None:
    """Write a PNG map of ``indicator``: metropole in Lambert-93 and the DROM in insets.

    Parameters
    ----------
    indicators
        Indicators by département with their polygons (``departement``, ``geometry`` in any CRS).
    indicator, title
        Column to draw and its French title.
    gap_columns
        Boolean ``gap_*`` columns whose départements get a red dashed outline.
    sources
        Source line printed under the map.
    """
    classes = quantile_classes(indicators[indicator], indicator)
    shapes = indicators.assign(fill=[classes.color_of(v) for v in indicators[indicator].astype(float)])
    in_gap = shapes[gap_columns].any(axis=1) if gap_columns else pd.Series(False, index=shapes.index)
    overseas_codes = [code for code, _, _ in OVERSEAS]
    figure = _unmanaged(figsize=(9, 9.5), dpi=150)
    main = figure.add_axes((0.0, 0.2, 0.78, 0.72))
    metropole = shapes[~shapes["departement"].isin(overseas_codes)].to_crs(LAMBERT_93)
    _draw(main, metropole, metropole[in_gap[metropole.index]])
    for position, (code, name, crs) in enumerate(OVERSEAS):
        inset = figure.add_axes((0.80, 0.76 - position * 0.17, 0.18, 0.15))
        part = shapes[shapes["departement"] == code].to_crs(crs)
        _draw(inset, part, part[in_gap[part.index]])
        inset.set_title(name, fontsize=8)
    rows = legend_rows(classes, indicator)
    handles = [Patch(facecolor=color, edgecolor="#555555", label=text) for color, text in rows]
    if not any(color == NO_DATA_COLOR for color, _ in rows):
        handles.append(Patch(facecolor=NO_DATA_COLOR, edgecolor="#555555", label="donnée manquante"))
    handles.append(Patch(facecolor="white", edgecolor=GAP_COLOR, linestyle="--", label="écart à une règle"))
    figure.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.02, 0.05), ncol=2, fontsize=8, frameon=True)
    figure.suptitle(title, fontsize=13, y=0.97)
    _source_note(figure, 0.02, sources, fontsize=7)
    _save(figure, path)


def plot_area_minutes(
    communes: gpd.GeoDataFrame, service: str, thresholds_min: list[float], horizon_min: float, title: str,
    sources: str, path: str | Path,
) -> None:  # fmt: skip
    """Write a PNG map of an area's communes coloured by minutes to the nearest site of ``service``."""
    classes = minute_classes(thresholds_min, horizon_min)
    minutes = communes[f"{service.lower()}_minutes"].astype(float)
    colors = [
        UNREACHED_COLOR if not np.isfinite(m) else next(color for upper, color, _ in classes if m <= upper)
        for m in minutes
    ]
    unknown = off_network(communes)
    colors = [UNKNOWN_COLOR if off else color for color, off in zip(colors, unknown, strict=True)]
    figure = _unmanaged(figsize=(7, 8.5), dpi=150)
    axis = figure.subplots()
    shapes = communes.to_crs(LAMBERT_93)
    shapes.plot(ax=axis, color=colors, edgecolor="#777777", linewidth=0.2)
    shapes.dissolve("departement").boundary.plot(ax=axis, color="#222222", linewidth=0.8)
    axis.set_axis_off()
    handles = [Patch(facecolor=color, edgecolor="#777777", label=text) for _, color, text in classes]
    handles.append(Patch(facecolor=UNREACHED_COLOR, edgecolor="#777777", label=unreached_label(horizon_min)))
    if unknown.any():
        handles.append(Patch(facecolor=UNKNOWN_COLOR, edgecolor="#777777", label=UNKNOWN_LABEL))
    axis.legend(handles=handles, loc="lower left", fontsize=8, frameon=True, bbox_to_anchor=(1.0, 0.0))
    figure.suptitle(title, fontsize=12)
    _source_note(figure, 0.01, sources, fontsize=6)
    figure.subplots_adjust(left=0.02, right=0.72, top=0.93, bottom=0.08)
    _save(figure, path)


def _source_note(figure: Figure, bottom: float, sources: str, fontsize: float, color: str = "#444444") -> None:
    """The sources at the foot of a figure, wrapped to its width by character count (a character of DejaVu Sans is
    about half its size wide): matplotlib's ``wrap=True`` lays the text out again for every word, a third of the
    time a national map takes."""
    text = _wrapped(sources, figure.get_figwidth() * 72 * (0.98 - 0.01), fontsize)
    figure.text(0.01, bottom, text, fontsize=fontsize, color=color)


def _wrapped(text: str, width_pt: float, fontsize: float) -> str:
    """``text`` in lines of at most ``width_pt`` points at ``fontsize``, by character count."""
    return textwrap.fill(text, width=int(width_pt / (CHARACTER_EM * fontsize)), break_long_words=False)


def _save(figure: plt.Figure, path: str | Path) -> None:
    """Write a figure as PNG without a software stamp (equal figures give equal bytes) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)


def plot_observed_vs_modelled(
    observed: np.ndarray, modelled: dict[str, np.ndarray], title: str, sources: str, path: str | Path
) -> None:
    """Write a PNG of modelled against official minutes, one panel per model, with the 1:1 line and ±5 min."""
    if len(observed) == 0:
        figure = plt.figure(figsize=(7, 3), dpi=130)
        figure.text(0.5, 0.5, "Aucune commune jugeable : le modèle de vitesse n'a pas été ajusté.", ha="center")
        figure.suptitle(title, fontsize=12)
        _source_note(figure, 0.01, sources, fontsize=7)
        _save(figure, path)
        return
    figure, axes = plt.subplots(1, len(modelled), figsize=(5 * len(modelled), 5.4), dpi=130, squeeze=False)
    top = float(np.nanmax([observed.max(), *(np.nanmax(m) for m in modelled.values())])) * 1.05
    line = np.array([0.0, top])
    for axis, (label, minutes) in zip(axes[0], modelled.items(), strict=True):
        error = minutes - observed
        axis.fill_between(line, line - 5, line + 5, color="#dde8f5", label="± 5 min")
        axis.plot(line, line, color="#555555", linewidth=0.8, label="temps égaux")
        axis.scatter(observed, minutes, s=10, color="#1f5fa8", alpha=0.7)
        axis.set(xlim=(0, top), ylim=(0, top), xlabel="Temps officiel (min)", ylabel="Temps modélisé (min)")
        bias, mean_error = (f"{v:.1f}".replace(".", ",") for v in (np.nanmedian(error), np.nanmean(np.abs(error))))
        axis.set_title(f"{label}\nécart médian {bias} min, écart absolu moyen {mean_error} min", fontsize=10)
        axis.legend(loc="upper left", fontsize=8)
        axis.set_aspect("equal")
    figure.suptitle(title, fontsize=12)
    _source_note(figure, 0.01, sources, fontsize=7)
    figure.subplots_adjust(left=0.07, right=0.98, top=0.82, bottom=0.16, wspace=0.3)
    _save(figure, path)


ROLE_LABELS = {
    "fitted": "ajusté, sur ses communes", "k_fold": "ajusté, hors échantillon", "shipped": "livré",
    "alternative": "alternative",
}  # fmt: skip


def plot_calibration(result: Calibration, label: str, path: str | Path) -> None:
    """Write the calibration's PNG: the judged communes' minutes under each role (the fit on its own communes and
    held out, the shipped model, the alternative) against the official ones of ``label``."""
    judged = result.communes[result.communes["judged"]]
    names = {**{role: model.name for role, model in result.models.items()}, "k_fold": result.models["fitted"].name}
    panels = {f"{names[role]} ({text})": judged[f"{role}_minutes"].to_numpy()
              for role, text in ROLE_LABELS.items() if f"{role}_minutes" in judged.columns}  # fmt: skip
    title = f"Temps de trajet modélisés et officiels : {label}"
    plot_observed_vs_modelled(judged["reference_minutes"].to_numpy(), panels, title, f"Source : {label}", path)


def _ranking_panel(
    ax: plt.Axes, indicators: pd.DataFrame, rows: pd.DataFrame, indicator: str, title: str, rate: float
) -> None:
    """One indicator's bars, worst at the bottom and best at the top, each with its value, and the national rate."""
    classes = quantile_classes(indicators[indicator], indicator)
    named = rows.set_index("departement")
    values = named[indicator].astype(float).replace(np.inf, np.nan)
    ordered = values.sort_values(ascending=not less_is_better(indicator), na_position="first", kind="stable")
    decimals = decimals_of(indicator)
    ax.barh([f"{named.loc[c, 'nom']} ({c})" for c in ordered.index], ordered.fillna(0),
            color=[classes.color_of(v) for v in ordered], edgecolor="#555", linewidth=0.4)  # fmt: skip
    for y, value in enumerate(ordered):
        text = french_number(value, decimals) if np.isfinite(value) else "inconnu"
        ax.annotate(text, (0 if np.isnan(value) else value, y), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=6.5)  # fmt: skip
    ax.axvline(rate, color=GAP_COLOR, linestyle="--", linewidth=1.2)
    ax.set_xlim(0, 1.2 * max(ordered.max(skipna=True) if ordered.notna().any() else 0, rate) or 1)
    panel_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
    ax.set_title(f"{_wrapped(title, panel_pt, 7.5)}\n(France : {french_number(rate, decimals)})", fontsize=7.5,
                 loc="left")  # fmt: skip
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: french_number(x, decimals if x % 1 else 0)))
    ax.tick_params(labelsize=6.5)
    ax.spines[["top", "right"]].set_visible(False)


RANKING_PAGE_IN = (8.3, 10.8)
"""Width and greatest height of the ranking figure: one A4 page of the report."""


def plot_rankings(
    indicators: pd.DataFrame, codes: list[str], national: pd.Series, titles: dict[str, str], sources: str,
    path: str | Path,
) -> None:  # fmt: skip
    """Write one PNG ranking the ``codes`` départements on each indicator of ``titles``, best first, coloured by
    the national map's classes (computed over every département of ``indicators``), with the national rate
    (``national``) as a dashed red line."""
    rows = indicators[indicators["departement"].isin(codes)]
    columns = 2
    lines = -(-len(titles) // columns)
    panel_in = min(0.75 + 0.2 * len(rows), (RANKING_PAGE_IN[1] - 0.6) / lines)
    figure, axes = plt.subplots(
        lines, columns, figsize=(RANKING_PAGE_IN[0], 0.6 + panel_in * lines), dpi=150, squeeze=False
    )
    for ax, (indicator, title) in zip(axes.flat, titles.items(), strict=False):
        _ranking_panel(ax, indicators, rows, indicator, title, float(national[indicator]))
    for ax in list(axes.flat)[len(titles) :]:
        ax.set_axis_off()
    figure.suptitle("Classement des départements de la zone ; ligne rouge : valeur nationale", fontsize=9, x=0.01,
                    ha="left")  # fmt: skip
    _source_note(figure, 0.005, sources, fontsize=5.5, color="#555")
    figure.tight_layout(rect=(0, 0.03, 1, 0.97))
    figure.savefig(path)
    plt.close(figure)
