"""Interactive HTML map (folium): indicator choropleths by département and the facilities with contacts."""

from __future__ import annotations

import html
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.plugins import MarkerCluster
from jinja2 import Template

from ._classes import legend_rows, quantile_classes, value_text
from ._web_assets import external_references, inline_assets_html
from .facilities import SERVICES
from .indicators import GapRule
from .report import SERVICE_NAMES, UNIT_NAMES, french_number, gap_labels

SERVICE_COLORS = {"MSP": "#1b9e77", "HAD": "#d95f02", "EMSP": "#7570b3", "USP": "#e7298a", "LISP": "#1f78b4"}
SHOWN_AT_OPENING = ("USP", "EMSP")
SIMPLIFY_DEGREES = 0.005
COORDINATE_DECIMALS = 4
LOCATION_NOTES = {
    "finess": "localisation FINESS",
    "commune": "localisation approchée (point de la commune)",
    "none": "non localisé",
}
CLUSTER_ICON = """function(cluster) {
  return L.divIcon({
    html: '<div style="background:%s;color:#fff;border-radius:50%%;width:32px;height:32px;line-height:32px;'
        + 'text-align:center;font-weight:bold;border:2px solid #fff;box-shadow:0 0 3px #333">'
        + cluster.getChildCount() + '</div>',
    className: 'coverage-cluster coverage-cluster-%s', iconSize: L.point(32, 32)});
}"""


class LayerLegends(MacroElement):
    """One legend per choropleth layer, shown when its layer is the active base layer."""

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
.coverage-legend {position: fixed; bottom: 48px; left: 12px; z-index: 1000; background: #fff; padding: 8px 10px;
  border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,.4); font: 12px/1.4 sans-serif; max-width: 320px;}
.coverage-legend i {display: inline-block; width: 18px; height: 12px; margin-right: 6px; vertical-align: middle;}
.coverage-legend .sources {margin-top: 6px; color: #555; font-size: 11px;}
</style>
{% endmacro %}
{% macro html(this, kwargs) %}
{% for legend in this.legends %}
<div class="coverage-legend" data-layer="{{ legend.name|e }}" style="display: {{ 'block' if loop.first else 'none' }}">
  <b>{{ legend.name|e }}</b><br>
  {% for color, text in legend.rows %}<i style="background: {{ color }}"></i>{{ text|e }}<br>{% endfor %}
  <i style="background: #fff; border: 2px dashed #c00; height: 8px"></i>écart à une règle de cet indicateur
  <div class="sources">{{ this.sources|e }}</div>
</div>
{% endfor %}
{% endmacro %}
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.on('baselayerchange', function (event) {
  document.querySelectorAll('.coverage-legend').forEach(function (legend) {
    legend.style.display = legend.dataset.layer === event.name ? 'block' : 'none';
  });
});
{% endmacro %}
"""
    )

    def __init__(self, legends: list[dict], sources: str):
        super().__init__()
        self._name = "LayerLegends"
        self.legends = legends
        self.sources = sources


def _tooltip(row: pd.Series, rules: list[GapRule]) -> str:
    """HTML tooltip of a département: population, supply of each service and the gaps."""
    supply = [
        f"USP : {french_number(row['usp_count'])} ({french_number(row['usp_capacity'])} lits)",
        f"EMSP : {french_number(row['emsp_count'])} équipes",
        f"LISP : {french_number(row['lisp_capacity'])} lits dans {french_number(row['lisp_count'])} établissements",
        f"HAD : {french_number(row['had_capacity'])} places",
        f"MSP : {french_number(row['msp_count'])}",
    ]
    gaps = gap_labels(row, rules)
    gap_html = "<br>".join(f"⚠ {html.escape(g)}" for g in gaps) if gaps else "aucun écart aux règles"
    return (
        f"<b>{html.escape(str(row['nom']))} ({row['departement']})</b><br>"
        f"Population : {french_number(row['population'])}<br>{'<br>'.join(supply)}<br><b>Écarts :</b><br>{gap_html}"
    )


def _simplified(departements: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Département outlines simplified together (shared borders stay shared), coordinates rounded."""
    simplified = departements.geometry.simplify_coverage(SIMPLIFY_DEGREES)
    rounded = shapely.transform(simplified.values, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    return gpd.GeoSeries(shapely.make_valid(rounded), index=departements.index, crs=departements.crs)


def _choropleth(
    shapes: gpd.GeoDataFrame, indicator: str, title: str, rules: list[GapRule], first: bool
) -> tuple[folium.GeoJson, dict]:
    """One base layer coloured by ``indicator``; départements failing one of its rules get a red dashed outline."""
    classes = quantile_classes(shapes[indicator], indicator)
    gap_columns = [f"gap_{r.id}" for r in rules if r.indicator == indicator]
    data = shapes[["departement", "geometry"]].assign(
        fill=[classes.color_of(v) for v in shapes[indicator].astype(float)],
        gap=shapes[gap_columns].any(axis=1) if gap_columns else False,
        valeur=[value_text(indicator, v) for v in shapes[indicator].astype(float)],
        infobulle=shapes["infobulle"],
    )

    def style(feature: dict) -> dict:
        props = feature["properties"]
        outline = (
            {"color": "#c00", "weight": 2.5, "dashArray": "5 4"} if props["gap"] else {"color": "#555", "weight": 0.6}
        )
        return {"fillColor": props["fill"], "fillOpacity": 0.75, **outline}

    layer = folium.GeoJson(
        data.to_json(drop_id=True),
        name=title,
        overlay=False,
        show=first,
        style_function=style,
        highlight_function=lambda _: {"weight": 3, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=["valeur", "infobulle"], aliases=[title, ""], labels=True, sticky=True),
    )
    return layer, {"name": title, "rows": legend_rows(classes, indicator)}


def _popup(row: pd.Series) -> str:
    """HTML popup of a site: name, service, capacity, address, phone, FINESS number and sources."""
    unit = UNIT_NAMES[row["capacity_unit"]]
    lines = [
        f"<b>{html.escape(str(row['name']))}</b>",
        SERVICE_NAMES[row["service"]],
        f"Capacité : {french_number(float(row['capacity']))} {unit}",
    ]
    if row["service"] == "EMSP" and np.isfinite(row.get("emsp_fte", np.nan)):
        lines.append(f"Personnel salarié : {french_number(float(row['emsp_fte']), 2)} ETP")
    if row["address"]:
        lines.append(html.escape(str(row["address"])))
    if row["phone"]:
        phone = str(row["phone"])
        lines.append(f'Tél. : <a href="tel:{phone}">{" ".join(phone[i : i + 2] for i in range(0, len(phone), 2))}</a>')
    lines.append(f"FINESS {row['finess']}")
    lines.append(f"<i>{html.escape(str(row['edition']))} ; {LOCATION_NOTES[row['location_source']]}</i>")
    return "<br>".join(lines)


def _facility_layers(facilities: pd.DataFrame) -> list[MarkerCluster]:
    """One clustered overlay per service, coloured by service, each site with its contact popup."""
    layers = []
    for service in SERVICES:
        sites = facilities[(facilities["service"] == service) & facilities["lon"].notna()]
        color = SERVICE_COLORS[service]
        cluster = MarkerCluster(
            name=f"{SERVICE_NAMES[service]} ({service}, {len(sites)} sites)",
            icon_create_function=CLUSTER_ICON % (color, service.lower()),
            options={"showCoverageOnHover": False},
            show=service in SHOWN_AT_OPENING,
        )
        cluster.default_js, cluster.default_css = [], []
        for _, row in sites.iterrows():
            folium.CircleMarker(
                location=(row["lat"], row["lon"]),
                radius=7,
                color="#fff",
                weight=1.5,
                fill=True,
                fill_color=color,
                fill_opacity=0.95,
                className=f"coverage-site coverage-site-{service.lower()}",
                popup=folium.Popup(_popup(row), max_width=320),
                tooltip=html.escape(f"{row['name']} ({service})"),
            ).add_to(cluster)
        layers.append(cluster)
    return layers


def build_map(
    indicators: pd.DataFrame,
    departements: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    layers: dict[str, str],
    rules: list[GapRule],
    editions: list[str],
) -> folium.Map:
    """Build the national map.

    Parameters
    ----------
    indicators
        The indicators table by département (``departement``, indicator and ``gap_*`` columns).
    departements
        Département polygons (``code``, ``geometry``).
    facilities
        The facilities table.
    layers
        Indicator column -> French layer title; the first one is shown at opening.
    rules
        Gap rules, listed in tooltips and outlined on the layer of their indicator.
    editions
        Source editions, printed under each legend.
    """
    outlines = departements[["code"]].assign(geometry=_simplified(departements))
    shapes = gpd.GeoDataFrame(
        indicators.merge(outlines, left_on="departement", right_on="code"), geometry="geometry", crs=departements.crs
    )
    shapes["infobulle"] = [_tooltip(row, rules) for _, row in shapes.iterrows()]
    fmap = folium.Map(location=(46.6, 2.4), zoom_start=6, tiles=None, control_scale=True)
    fmap.default_js, fmap.default_css = [], []
    legends = []
    for position, (indicator, title) in enumerate(layers.items()):
        layer, legend = _choropleth(shapes, indicator, title, rules, first=position == 0)
        layer.add_to(fmap)
        legends.append(legend)
    folium.TileLayer(
        "OpenStreetMap", name="Fond de carte OpenStreetMap (en ligne)", overlay=True, show=True,
        attr="© contributeurs OpenStreetMap",
    ).add_to(fmap)  # fmt: skip
    for cluster in _facility_layers(facilities):
        cluster.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    LayerLegends(legends, "Sources : " + " ; ".join(editions)).add_to(fmap)
    return fmap


def write_map(fmap: folium.Map, path: str | Path) -> None:
    """Write the map as one self-contained HTML file (Leaflet inlined), refusing external assets."""
    root = fmap.get_root()
    root.header.add_child(Element(inline_assets_html()), name="coverage_assets", index=0)
    page = root.render()
    external = external_references(page)
    if external:
        raise RuntimeError(f"the map would load assets from the internet: {external}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
