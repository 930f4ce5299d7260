"""Interactive HTML maps (folium): the drive-time map of an area, the sites with their contacts, and the writer
of self-contained pages (the national page is :mod:`explorer`)."""

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

from ..constants import SERVICES
from ..core.geometry import polygonal
from ..france.contracts import LocationSource
from ._classes import UNREACHED_COLOR, minute_classes, unreached_label
from ._web_assets import external_references, inline_assets_html
from .report import SERVICE_NAMES, UNIT_NAMES, french_number

SERVICE_COLORS = {"MSP": "#1b9e77", "HAD": "#d95f02", "EMSP": "#7570b3", "USP": "#e7298a", "LISP": "#1f78b4"}
SHOWN_AT_OPENING = ("USP", "EMSP")
LOCATION_NOTES = {
    LocationSource.FINESS: "{edition} ; localisation FINESS",
    LocationSource.COMMUNE: "{edition} ; localisation approchée (point de la commune)",
    LocationSource.LIST: "liste « {edition} » ; localisation donnée par la liste",
    LocationSource.NONE: "{edition} ; non localisé",
}
"""What a popup says of a site's source and location, by ``location_source`` (``edition`` is the row's)."""
COMMUNE_SIMPLIFY_DEGREES = 0.001
ISOCHRONE_SIMPLIFY_DEGREES = 0.001
MINUTES_THEME = "Temps d'accès par la route"
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
<div class="coverage-legend" data-layer="{{ legend.name|e }}"
  style="display: {{ 'block' if legend.shown else 'none' }}">
  <b>{{ legend.name|e }}</b><br>
  {% for color, text in legend.rows %}<i style="background: {{ color }}"></i>{{ text|e }}<br>{% endfor %}
  {% if legend.gap_note %}
  <i style="background: #fff; border: 2px dashed #c00; height: 8px"></i>écart à une règle de cet indicateur
  {% endif %}
  <div class="sources">{{ (legend.sources or this.sources)|e }}</div>
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

    def __init__(self, legends: list[dict], sources: str, gap_note: bool = True):
        super().__init__()
        self._name = "LayerLegends"
        self.legends = [{"gap_note": gap_note, **legend} for legend in legends]
        self.sources = sources


def _lighten(shapes: gpd.GeoSeries, degrees: float, decimals: int) -> gpd.GeoSeries:
    """Polygons simplified together (shared borders stay shared), coordinates rounded: lighter pages."""
    simplified = shapes.simplify_coverage(degrees)
    rounded = shapely.transform(simplified.values, lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(polygonal(rounded), index=shapes.index, crs=shapes.crs)


def site_popup(row: pd.Series) -> str:
    """HTML popup of a site: name, service, capacity, address, phone, FINESS number and sources."""
    unit = UNIT_NAMES[row["capacity_unit"]]
    lines = [f"<b>{html.escape(str(row['name']))}</b>", SERVICE_NAMES[row["service"]]]
    if row["capacity_unit"] != "structure":  # an MSP is one structure; FINESS does not list its professions
        lines.append(f"Capacité : {french_number(float(row['capacity']))} {unit}")
    if row["service"] == "EMSP" and np.isfinite(row.get("emsp_fte", np.nan)):
        lines.append(f"Personnel salarié : {french_number(float(row['emsp_fte']), 2)} ETP")
    if row["address"]:
        lines.append(html.escape(str(row["address"])))
    if row["phone"]:
        phone = str(row["phone"])
        lines.append(f'Tél. : <a href="tel:{phone}">{" ".join(phone[i : i + 2] for i in range(0, len(phone), 2))}</a>')
    lines.append(f"FINESS {row['finess']}")
    note = LOCATION_NOTES[LocationSource(row["location_source"])]
    lines.append(f"<i>{note.format(edition=html.escape(str(row['edition'])))}</i>")
    return "<br>".join(lines)


def _facility_layers(facilities: pd.DataFrame, shown: tuple[str, ...] = SHOWN_AT_OPENING) -> list[MarkerCluster]:
    """One clustered overlay per service, coloured by service, each site with its contact popup."""
    layers = []
    for service in SERVICES:
        sites = facilities[(facilities["service"] == service) & facilities["lon"].notna()]
        color = SERVICE_COLORS[service]
        cluster = MarkerCluster(
            name=f"{SERVICE_NAMES[service]} ({service}, {len(sites)} sites)",
            icon_create_function=CLUSTER_ICON % (color, service.lower()),
            options={"showCoverageOnHover": False},
            show=service in shown,
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
                popup=folium.Popup(site_popup(row), max_width=320),
                tooltip=html.escape(f"{row['name']} ({service})"),
            ).add_to(cluster)
        layers.append(cluster)
    return layers


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


def _minute_color(minutes: float, classes: list[tuple[float, str, str]]) -> str:
    """Colour of a travel time; grey when no site is reachable."""
    if not np.isfinite(minutes):
        return UNREACHED_COLOR
    return next(color for upper, color, _ in classes if minutes <= upper)


def _commune_tooltip(row: pd.Series, services: list[str], site_names: dict[str, str], unreached: str) -> str:
    """Commune name, population and, per service, the minutes to the nearest site and its name."""
    lines = [
        f"<b>{html.escape(str(row['nom']))} ({row['commune']})</b>",
        f"Population : {french_number(row['population'])}",
    ]
    for service in services:
        minutes, nearest = row[f"{service.lower()}_minutes"], row[f"{service.lower()}_nearest"]
        if np.isfinite(minutes):
            name = html.escape(site_names.get(nearest, nearest))
            lines.append(f"{service} : {french_number(minutes)} min ({name})")
        else:
            lines.append(f"{service} : {unreached}")
    return "<br>".join(lines)


def _filled_layer(data: gpd.GeoDataFrame, name: str, style: dict, overlay: bool, shown: bool) -> folium.GeoJson:
    """A layer whose features are filled with their ``fill`` property and show their ``infobulle``."""
    return folium.GeoJson(
        data[["fill", "infobulle", "geometry"]].to_json(drop_id=True),
        name=name,
        overlay=overlay,
        show=shown,
        style_function=lambda feature: {"fillColor": feature["properties"]["fill"], **style},
        highlight_function=lambda _: {"weight": 2, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=["infobulle"], labels=False, sticky=True),
    )


def _minutes_layer(communes: gpd.GeoDataFrame, service: str, classes: list, shown: bool) -> folium.GeoJson:
    """Base layer: communes coloured by minutes to the nearest site of ``service``."""
    minutes = communes[f"{service.lower()}_minutes"].astype(float)
    data = communes.assign(fill=[_minute_color(m, classes) for m in minutes])
    style = {"fillOpacity": 0.7, "color": "#666", "weight": 0.4, "className": "coverage-commune"}
    return _filled_layer(data, f"Minutes jusqu'au site {service} le plus proche", style, overlay=False, shown=shown)


def _isochrone_layer(isochrones: gpd.GeoDataFrame, service: str, classes: list, shown: bool) -> folium.GeoJson:
    """Overlay: the isochrone bands of ``service`` with their population."""
    bands = isochrones[isochrones["service"] == service]
    bands = bands.assign(geometry=_lighten(bands.geometry, ISOCHRONE_SIMPLIFY_DEGREES, 5))
    colors = {upper: color for upper, color, _ in classes}
    data = bands.assign(
        fill=[colors[float(b)] for b in bands["min_to"]],
        infobulle=[
            f"{service} : {lo:g} – {hi:g} min<br>{french_number(p)} habitants<br>{french_number(a)} km²"
            for lo, hi, p, a in zip(
                bands["min_from"], bands["min_to"], bands["population"], bands["area_km2"], strict=True
            )
        ],
    )
    style = {"fillOpacity": 0.35, "weight": 0, "className": "coverage-isochrone"}
    return _filled_layer(data, f"Isochrones {service} (par la route)", style, overlay=True, shown=shown)


SITING_COLORS = ("#6a3d9a", "#b15928", "#1f78b4", "#33a02c", "#e31a1c")


def _siting_layer(
    service: str, proposals: pd.DataFrame, covered: pd.DataFrame, communes: gpd.GeoDataFrame
) -> folium.FeatureGroup:
    """Overlay: the proposed sites of a service and the communes each one newly brings within reach."""
    layer = folium.FeatureGroup(name=f"Propositions d'implantation {service}", show=False)
    shapes = communes.merge(covered, on="commune")
    for proposal in proposals.itertuples():
        color = SITING_COLORS[(proposal.rank - 1) % len(SITING_COLORS)]
        area = shapes[shapes["finess"] == proposal.finess]
        if len(area):
            style = {
                "fillColor": color,
                "fillOpacity": 0.45,
                "color": color,
                "weight": 1.5,
                "className": "coverage-siting-area",
            }
            _filled_layer(area.assign(fill=color), "", style, overlay=True, shown=True).add_to(layer)
        folium.CircleMarker(
            location=(proposal.lat, proposal.lon), radius=11, color="#000", weight=3, fill=True,
            fill_color=color, fill_opacity=1, className="coverage-proposal",
            popup=folium.Popup(
                f"<b>Proposition n° {proposal.rank} ({service}, département {proposal.departement})</b><br>{html.escape(str(proposal.name))}<br>"
                f"FINESS {proposal.finess}<br>+{french_number(proposal.population_gain)} habitants à portée<br>"
                f"Part couverte ensuite : {french_number(100 * proposal.share_covered_after, 1)} %",
                max_width=300,
            ),
        ).add_to(layer)  # fmt: skip
    return layer


class LayerPicker(MacroElement):
    """One picker, grouped by theme, choosing the map's base layer (as on the national map); the layer control
    keeps only the overlays, folded."""

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
.coverage-picker {background: #fff; padding: 6px 8px; border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,.4);
  font: 13px sans-serif;}
.coverage-picker select {font: inherit; max-width: 300px;}
.leaflet-control-layers-base, .leaflet-control-layers-separator {display: none;}
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function (map) {
  var layers = { {%- for theme, entries in this.themes %}{% for title, layer in entries %}
    {{ title|tojson }}: {{ layer.get_name() }},{% endfor %}{% endfor %} };
  var picker = L.control({position: "topleft"});
  picker.onAdd = function () {
    var box = L.DomUtil.create("div", "coverage-picker");
    L.DomEvent.disableClickPropagation(box);
    var label = L.DomUtil.create("label", "", box);
    label.textContent = "Indicateur ";
    var select = L.DomUtil.create("select", "", label);
    select.id = "coverage-indicator";
    {%- for theme, entries in this.themes %}
    var group = L.DomUtil.create("optgroup", "", select);
    group.label = {{ theme|tojson }};
    {%- for title, layer in entries %}
    var option = L.DomUtil.create("option", "", group);
    option.value = option.textContent = {{ title|tojson }};
    option.selected = map.hasLayer(layers[option.value]);
    {%- endfor %}{% endfor %}
    select.addEventListener("change", function () {
      Object.keys(layers).forEach(function (name) {
        if (name !== select.value && map.hasLayer(layers[name])) map.removeLayer(layers[name]);
      });
      layers[select.value].addTo(map);
      map.fire("baselayerchange", {name: select.value, layer: layers[select.value]});
    });
    return box;
  };
  picker.addTo(map);
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, themes: list[tuple[str, list[tuple[str, folium.GeoJson]]]]):
        super().__init__()
        self._name = "LayerPicker"
        self.themes = themes


class CentreOnHash(MacroElement):
    """Open the map centred on the point of its address's fragment (``#lat,lon[,zoom]``, as the directory
    links it), with a ring on that point."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
  var found = location.hash.match(/^#(-?[0-9.]+),(-?[0-9.]+)(?:,([0-9]+))?$/);
  if (!found) return;
  var point = [parseFloat(found[1]), parseFloat(found[2])];
  map.setView(point, found[3] ? parseInt(found[3], 10) : 15);
  L.circleMarker(point, {radius: 16, color: "#000", weight: 3, fill: false, className: "coverage-target"}).addTo(map);
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )


def build_area_map(
    label: str, communes: gpd.GeoDataFrame, isochrones: gpd.GeoDataFrame, sites: pd.DataFrame,
    departements: gpd.GeoDataFrame, map_service: str, thresholds_min: list[float], horizon_min: float,
    editions: list[str],
    siting: dict[str, tuple[pd.DataFrame, pd.DataFrame]] | None = None,
) -> folium.Map:  # fmt: skip
    """Drive-time map of a study area.

    Parameters
    ----------
    label
        French name of the area.
    communes
        Rows of ``access_commune.csv`` with the commune polygons.
    isochrones
        The area's isochrone bands (``service``, ``min_from``, ``min_to``, ``population``, ``area_km2``).
    sites
        Facilities rows of the sites on the area's network (with contacts).
    departements
        The area's département polygons (outlines).
    map_service
        Service whose minutes and isochrones are shown at opening.
    siting
        Service -> (proposals, newly covered communes) of the siting scenarios, drawn as overlays.
    """
    services = [s for s in SERVICES if f"{s.lower()}_minutes" in communes.columns]
    classes = minute_classes(thresholds_min, horizon_min)
    site_names = dict(zip(sites["finess"], sites["name"], strict=True))
    communes = communes.assign(
        geometry=_lighten(communes.geometry, COMMUNE_SIMPLIFY_DEGREES, 5),
        infobulle=[
            _commune_tooltip(row, services, site_names, unreached_label(horizon_min)) for _, row in communes.iterrows()
        ],
    )
    west, south, east, north = departements.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True)
    fmap.fit_bounds([[south, west], [north, east]], padding_top_left=(10, 50), padding_bottom_right=(60, 10))
    fmap.default_js, fmap.default_css = [], []
    minutes_layers = [_minutes_layer(communes, s, classes, shown=s == map_service).add_to(fmap) for s in services]
    folium.TileLayer(
        "OpenStreetMap", name="Fond de carte OpenStreetMap (en ligne)", overlay=True, show=True,
        attr="© contributeurs OpenStreetMap",
    ).add_to(fmap)  # fmt: skip
    for service in services:
        _isochrone_layer(isochrones, service, classes, shown=service == map_service).add_to(fmap)
    folium.GeoJson(
        departements[["code", "nom", "geometry"]].to_json(drop_id=True),
        name="Limites des départements",
        style_function=lambda _: {"fill": False, "color": "#222", "weight": 2, "className": "coverage-outline"},
    ).add_to(fmap)
    for cluster in _facility_layers(sites, shown=(map_service,)):
        cluster.add_to(fmap)
    for service, (proposals, covered) in (siting or {}).items():
        _siting_layer(service, proposals, covered, communes).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    LayerPicker([(MINUTES_THEME, [(layer.layer_name, layer) for layer in minutes_layers])]).add_to(fmap)
    rows = [(color, text) for _, color, text in classes] + [(UNREACHED_COLOR, unreached_label(horizon_min))]
    legends = [
        {"name": f"Minutes jusqu'au site {s} le plus proche", "rows": rows, "shown": s == map_service} for s in services
    ]
    LayerLegends(legends, f"{label} — sources : " + " ; ".join(editions), gap_note=False).add_to(fmap)
    CentreOnHash().add_to(fmap)
    return fmap

