"""Inline the Leaflet, jQuery and topojson-client assets (installed from npm at set-up) into HTML maps, so they open
offline."""

from __future__ import annotations

import base64
import mimetypes
import re
import sys
from pathlib import Path

ASSETS_DIR = Path(sys.prefix) / "web" / "node_modules"
SCRIPTS = (
    "jquery/dist/jquery.min.js",
    "leaflet/dist/leaflet.js",
    "leaflet.markercluster/dist/leaflet.markercluster.js",
    "topojson-client/dist/topojson-client.min.js",
)
STYLESHEETS = (
    "leaflet/dist/leaflet.css",
    "leaflet.markercluster/dist/MarkerCluster.css",
    "leaflet.markercluster/dist/MarkerCluster.Default.css",
)
CSS_URL = re.compile(r"url\((['\"]?)(?!data:)([^)'\"]+)\1\)")
EXTERNAL_REFERENCE = re.compile(r"""<(?:script|link)\b[^>]*(?:src|href)=["']?(?:https?:)?//""", re.IGNORECASE)


class MissingAssetsError(FileNotFoundError):
    """The npm assets were not installed next to the Python environment."""


def _asset(relative: str, root: Path) -> Path:
    """Path of one asset, or a clear error telling how to install them."""
    path = root / relative
    if not path.is_file():
        raise MissingAssetsError(
            f"map asset {path} is missing: run `make install` to install the Leaflet assets from npm"
        )
    return path


def _embed_css_urls(css: str, folder: Path) -> str:
    """Replace each relative ``url(...)`` of a stylesheet with a data URI of the file it names."""

    def embed(match: re.Match) -> str:
        target = (folder / match.group(2).split("?")[0].split("#")[0]).resolve()
        if not target.is_file():
            return match.group(0)
        mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return f"url(data:{mime};base64,{base64.b64encode(target.read_bytes()).decode()})"

    return CSS_URL.sub(embed, css)


def inline_assets_html(root: Path = ASSETS_DIR) -> str:
    """HTML ``<style>`` and ``<script>`` blocks holding every asset the maps need."""
    styles = [
        f"<style>{_embed_css_urls(_asset(css, root).read_text(encoding='utf-8'), _asset(css, root).parent)}</style>"
        for css in STYLESHEETS
    ]
    scripts = [f"<script>{_asset(js, root).read_text(encoding='utf-8')}</script>" for js in SCRIPTS]
    return "\n".join(styles + scripts)


def external_references(html: str) -> list[str]:
    """Script or stylesheet tags of a page that still load from another host."""
    return [match.group(0) for match in EXTERNAL_REFERENCE.finditer(html)]
