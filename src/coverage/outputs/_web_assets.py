"""Inline the Leaflet, jQuery and topojson-client assets into HTML maps, so they open offline.

The assets ship inside the package (``coverage/outputs/vendor``, read with :mod:`importlib.resources`): the release
files of the npm packages pinned in ``workflow/envs/map-assets/package.json`` (jQuery 3.7.1, MIT; Leaflet 1.9.3,
BSD-2-Clause; Leaflet.markercluster 1.5.3, MIT; topojson-client 3.1.0, ISC), each with its licence. ``make vendor``
installs the pins from npm and copies them here (:func:`copy_assets`).
"""

from __future__ import annotations

import base64
import mimetypes
import posixpath
import re
import shutil
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

ASSETS_DIR = files(__package__) / "vendor"
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
IMAGES = tuple(f"leaflet/dist/images/{name}.png" for name in
               ("layers", "layers-2x", "marker-icon", "marker-icon-2x", "marker-shadow"))  # fmt: skip
LICENCES = ("jquery/LICENSE.txt", "leaflet/LICENSE", "leaflet.markercluster/MIT-LICENCE.txt", "topojson-client/LICENSE")
VENDORED = (*SCRIPTS, *STYLESHEETS, *IMAGES, *LICENCES)
CSS_URL = re.compile(r"url\((['\"]?)(?!data:)([^)'\"]+)\1\)")
EXTERNAL_REFERENCE = re.compile(r"""<(?:script|link)\b[^>]*(?:src|href)=["']?(?:https?:)?//""", re.IGNORECASE)


class MissingAssetsError(FileNotFoundError):
    """A map asset is missing from the package."""


def _asset(relative: str, root: Traversable) -> Traversable:
    """One asset, or a clear error telling how to restore them."""
    asset = root.joinpath(*relative.split("/"))
    if not asset.is_file():
        raise MissingAssetsError(f"map asset {asset} is missing: `make vendor` copies the pinned npm release files")
    return asset


def _embed_css_urls(css: str, relative: str, root: Traversable) -> str:
    """Replace each relative ``url(...)`` of the stylesheet ``relative`` with a data URI of the file it names."""

    def embed(match: re.Match) -> str:
        url = match.group(2).split("?")[0].split("#")[0]
        target = posixpath.normpath(posixpath.join(posixpath.dirname(relative), url))
        asset = root.joinpath(*target.split("/"))
        if not asset.is_file():
            return match.group(0)
        mime = mimetypes.guess_type(target)[0] or "application/octet-stream"
        return f"url(data:{mime};base64,{base64.b64encode(asset.read_bytes()).decode()})"

    return CSS_URL.sub(embed, css)


def inline_assets_html(root: Traversable = ASSETS_DIR) -> str:
    """HTML ``<style>`` and ``<script>`` blocks holding every asset the maps need."""
    styles = [f"<style>{_embed_css_urls(_asset(css, root).read_text(encoding='utf-8'), css, root)}</style>"
              for css in STYLESHEETS]  # fmt: skip
    scripts = [f"<script>{_asset(js, root).read_text(encoding='utf-8')}</script>" for js in SCRIPTS]
    return "\n".join(styles + scripts)


def copy_assets(node_modules: Path, target: Path) -> None:
    """Copy the vendored files from an npm ``node_modules`` folder into the package's ``vendor`` folder."""
    for relative in VENDORED:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node_modules / relative, target / relative)


def external_references(html: str) -> list[str]:
    """Script or stylesheet tags of a page that still load from another host."""
    return [match.group(0) for match in EXTERNAL_REFERENCE.finditer(html)]
