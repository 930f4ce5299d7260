"""The page every interactive map of the project is built on: a header (title, indicator picker, search, links), the
map with its legend and folded overlays, an optional side panel, and one data block the page's script draws from.

One template (:class:`Page`), one script (``page.js``) and one stylesheet (``page.css``) serve the national map
(:mod:`.explorer`) and the région maps (:mod:`.maps`). Polygons travel as one TopoJSON topology
(:func:`topology`): simplified together for the zooms the page allows, each border stored once, coordinates
quantized; the page decodes it with topojson-client and draws every layer from it, the indicators restyling one
geometry rather than repeating it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import topojson
from branca.element import Element, MacroElement
from jinja2 import Template

from ..core.geometry import polygonal
from ._web_assets import external_references, inline_assets_html

logger = logging.getLogger(__name__)
ASSETS = Path(__file__).parent


def topology(layers: dict[str, gpd.GeoDataFrame], *, tolerance: float, cell: float) -> dict:
    """Layers of polygons (WGS84) as one TopoJSON topology, each layer an object of the same name.

    Each layer is simplified as a coverage at ``tolerance`` degrees (borders shared between its polygons stay
    shared, as in the source), then the whole is quantized to cells of at most ``cell`` degrees: each border is
    stored once, as integer steps. Features keep their layer's columns as properties, in row order; empty
    geometries (an isochrone band no road reaches) are left out, so a layer's columns should say which row each
    feature is (the pages' ``i``); a layer with nothing to draw is not an object of the topology.
    """
    logger.info("%d polygons of %d layers simplified and stored once as a topology",
                sum(len(layer) for layer in layers.values()), len(layers))  # fmt: skip
    simplified = {}
    for name, layer in layers.items():
        shapes = gpd.GeoDataFrame(
            layer.drop(columns="geometry").reset_index(drop=True),
            geometry=polygonal(layer.geometry.simplify_coverage(tolerance).to_numpy()), crs=layer.crs,
        )  # fmt: skip
        drawn = shapes[~shapes.geometry.is_empty].reset_index(drop=True)
        if len(drawn):
            simplified[name] = drawn
    if not simplified:
        return {"type": "Topology", "objects": {}, "arcs": []}
    bounds = np.array([layer.total_bounds for layer in simplified.values()])
    extent = float(max(bounds[:, 2].max() - bounds[:, 0].min(), bounds[:, 3].max() - bounds[:, 1].min(), cell))
    quantize = int(max(np.ceil(extent / cell), 2))
    topo = topojson.Topology(list(simplified.values()), object_name=list(simplified), prequantize=quantize,
                             topology=True, presimplify=False, toposimplify=False)  # fmt: skip
    return topo.to_dict()


def compact_json(value: object) -> str:
    """JSON without spaces, safe inside a ``<script>`` element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


class Page(MacroElement):
    """The page around a map: header (title, picker, search, download, links), optional side panel, the data block,
    and the script (``page.js``) whose ``entry`` function draws the page from the data."""

    _template = Template(
        """
{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
{% macro html(this, kwargs) %}
<header id="coverage-bar">
  <h1>{{ this.title|e }}</h1>
  <label>Indicateur <select id="coverage-indicator"></select></label>
  {% if this.search %}<label>{{ this.search[0]|e }} <input id="coverage-search" type="search"
    list="coverage-search-list" autocomplete="off" placeholder="{{ this.search[1]|e }}"></label>
  <datalist id="coverage-search-list"></datalist>{% endif %}
  {% if this.download %}<button id="coverage-download" type="button" title="Le tableau de l'indicateur choisi">
    Télécharger (CSV)</button>{% endif %}
  <nav id="coverage-links">{{ this.links }}</nav>
</header>
{% if this.panel %}<aside id="coverage-panel">
  <h2 id="coverage-ranking-title"></h2>
  <div id="coverage-ranking-focus">Survolez une barre ou un département.</div>
  <svg id="coverage-ranking" role="img"></svg>
  <p id="coverage-sources"></p>
</aside>{% else %}<style>.folium-map {right: 0 !important;}</style>{% endif %}
<script type="application/json" id="coverage-data">{{ this.data }}</script>
{% endmacro %}
{% macro script(this, kwargs) %}
{{ this.js }}
{{ this.entry }}({{ this._parent.get_name() }}, JSON.parse(document.getElementById("coverage-data").textContent));
{% endmacro %}
"""
    )

    def __init__(
        self, entry: str, title: str, data: dict, *, links: str, search: tuple[str, str] | None = None,
        download: bool = False, panel: bool = False,
    ):  # fmt: skip
        super().__init__()
        self._name = "Page"
        self.entry, self.title, self.data, self.links = entry, title, compact_json(data), links
        self.search, self.download, self.panel = search, download, panel
        self.css = (ASSETS / "page.css").read_text(encoding="utf-8")
        self.js = (ASSETS / "page.js").read_text(encoding="utf-8")


def page_map(**options) -> folium.Map:
    """The Leaflet map a page draws on: no tiles of its own (the page adds the background as a folded overlay), its
    zoom control placed by the page, its assets inlined when written (:func:`write_map`)."""
    fmap = folium.Map(tiles=None, control_scale=True, zoom_control=False, zoomSnap=0.1, zoomDelta=0.5, **options)
    fmap.default_js, fmap.default_css = [], []
    return fmap


def write_map(fmap: folium.Map, path: str | Path) -> None:
    """Write the map as one self-contained HTML file (Leaflet and its plugins inlined), refusing external assets."""
    root = fmap.get_root()
    root.header.add_child(Element(inline_assets_html()), name="coverage_assets", index=0)
    page = root.render()
    external = external_references(page)
    if external:
        raise RuntimeError(f"the map would load assets from the internet: {external}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
