"""MkDocs hooks: the pages generated from the project itself, so that they cannot drift from it.

A page holds a marker where the generated Markdown goes:

- ``<!-- generated: configuration -->``: every key of ``workflow/schemas/config.schema.yaml`` with its type, its
  value in the default configuration and its description (:mod:`coverage.pipeline.config_reference`);
- ``<!-- generated: api -->``: one mkdocstrings block per name of ``coverage.__all__``, under the module defining it;
- ``<!-- generated: gaps -->``: the gap rules of the default configuration, with the texts they come from.

And the site reads offline from the disk: Material's offline plugin loads its search shim (iframe-worker, which
runs the search worker under ``file://``) from unpkg.com; the pages load the copy `make install` pinned
(``workflow/envs/map-assets/package.json``) instead.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import yaml

from coverage.pipeline.config_reference import schema_keys, shown_default, with_defaults

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
CONFIG = ROOT / "workflow/config/config.yaml"
PACKAGE = ROOT / "src/coverage/__init__.py"
SHIM_URL = "https://unpkg.com/iframe-worker/shim"
SHIM = ROOT / ".venv/web/node_modules/iframe-worker/shim/index.js"
SHIM_COPY = "assets/javascripts/iframe-worker-shim.js"


def cell(text: str) -> str:
    """Text fit for a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def configuration_reference() -> str:
    """One table per top-level key (and per shared definition)."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    keys = with_defaults(schema_keys(yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))), config)
    paths = {key.path for key in keys}
    sections: dict[str, list[str]] = {}
    for key in keys:
        section = key.path.split(".")[0].split("[")[0]
        listed_apart = any(path.startswith(key.path + ".") or path.startswith(key.path + "[]") for path in paths)
        default = shown_default(key.default, listed_apart)
        sections.setdefault(section, []).append(
            f"| `{key.path}` | {cell(key.types)}{' (required)' if key.required else ''} | "
            f"{f'`{cell(default)}`' if default else ''} | {cell(key.description or '')} |"
        )
    blocks = []
    for section, rows in sections.items():
        title = f"Shared definition `{section}`" if section.startswith("<") else f"`{section}`"
        blocks.append(f"### {title}\n\n| key | type | default | description |\n|---|---|---|---|\n" + "\n".join(rows))
    return "\n\n".join(blocks)


def public_modules() -> dict[str, list[str]]:
    """Module -> the names of ``coverage.__all__`` it defines, read from the package's table of them (``EXPORTS``,
    whose names it imports when first asked for), and ``coverage.speeds``."""
    tree = ast.parse(PACKAGE.read_text(encoding="utf-8"))
    exports = next(
        ast.literal_eval(node.value) for node in tree.body
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "EXPORTS"
    )  # fmt: skip
    return {"coverage": ["speeds"], **{f"coverage.{module}": list(names) for module, names in exports.items()}}


def api_reference() -> str:
    """One section per module, one mkdocstrings block per public name."""
    blocks = []
    for module, names in sorted(public_modules().items()):
        blocks.append(f"## `{module}`\n")
        blocks.extend(f"::: {module}.{name}\n" for name in names)
    return "\n".join(blocks)


def gap_rules() -> str:
    """The default gap rules as a table."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    rows = []
    for rule in config["gaps"]:
        bar = rule.get("threshold", f"{rule.get('fraction_of_national')} × the national value")
        rows.append(f"| `gap_{rule['id']}` | `{rule['indicator']}` {rule['comparison']} {bar} | {cell(rule['label'])} "
                    f"| {cell(rule['source'])} |")  # fmt: skip
    return "| column | a gap when | as the tables say it | source |\n|---|---|---|---|\n" + "\n".join(rows)


GENERATED = {"configuration": configuration_reference, "api": api_reference, "gaps": gap_rules}


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ARG001 (MkDocs' hook signature)
    """Replace each ``<!-- generated: name -->`` marker by its Markdown."""
    for name, generate in GENERATED.items():
        marker = f"<!-- generated: {name} -->"
        if marker in markdown:
            markdown = markdown.replace(marker, generate())
    return markdown


def on_post_page(output: str, page, config) -> str:  # noqa: ARG001 (MkDocs' hook signature)
    """Point the page at the local search shim, by a path relative to it (the site opens from the disk)."""
    return output.replace(SHIM_URL, "../" * page.url.count("/") + SHIM_COPY)


def on_post_build(config) -> None:
    """Copy the pinned search shim into the site, and point the error page (a template, not a page) at it."""
    if not SHIM.exists():
        raise FileNotFoundError(f"{SHIM} is missing: run `make install` (the site's search shim is pinned there)")
    target = Path(config["site_dir"]) / SHIM_COPY
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SHIM, target)
    for template in Path(config["site_dir"]).glob("*.html"):
        text = template.read_text(encoding="utf-8")
        if SHIM_URL in text:
            template.write_text(text.replace(SHIM_URL, SHIM_COPY), encoding="utf-8")

