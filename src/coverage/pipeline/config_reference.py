"""The configuration reference: every key of the config schema with its type, default and description.

The documentation site's configuration page is generated from these rows (``docs/hooks.py``), and a test
requires a description for every key, so that the reference covers the whole schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

MISSING = object()


@dataclass(frozen=True)
class SchemaKey:
    """One key of the configuration.

    ``path`` is dotted from the top (``networks.sources[].path``); ``<name>`` stands for a key the user names
    (``speeds.models.<name>``), ``[]`` for the items of a list; keys of a shared definition start with its
    name (``<speed model>.class_kph``).
    """

    path: str
    types: str
    description: str | None
    required: bool
    default: object = MISSING


def definition_name(reference: str) -> str:
    """``#/$defs/speed_model`` -> ``<speed model>``."""
    return "<" + reference.rsplit("/", 1)[-1].replace("_", " ") + ">"


def describe_type(node: dict) -> str:
    """A short statement of what a schema node accepts: ``number or null``, ``one of add, replace``, ``list of string``."""
    if "$ref" in node:
        return definition_name(node["$ref"])
    if "enum" in node:
        return "one of " + ", ".join(str(value) for value in node["enum"])
    if "const" in node:
        return f"{node['const']}"
    if "oneOf" in node:
        return " or ".join(describe_type(branch) for branch in node["oneOf"])
    kinds = node.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    named = []
    for kind in kinds:
        if kind == "array" and isinstance(node.get("items"), dict):
            named.append(f"list of {describe_type(node['items'])}")
        elif kind == "object" and isinstance(node.get("additionalProperties"), dict) and "properties" not in node:
            named.append(f"mapping of name to {describe_type(node['additionalProperties'])}")
        else:
            named.append(kind)
    return " or ".join(named)


def _children(node: dict, path: str) -> Iterator[tuple[str, dict, bool]]:
    """The (path, node, required) of the keys directly under ``node``, through lists, maps and alternatives."""
    required = set(node.get("required", []))
    for key, child in node.get("properties", {}).items():
        yield f"{path}.{key}" if path else key, child, key in required
    items = node.get("items")
    if isinstance(items, dict):
        yield from _children(items, f"{path}[]")
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and "$ref" not in extra:
        yield from _children(extra, f"{path}.<name>")
    for branch in node.get("oneOf", []):
        yield from _children(branch, path)


def _walk(node: dict, path: str) -> Iterator[SchemaKey]:
    for child_path, child, required in _children(node, path):
        yield SchemaKey(child_path, describe_type(child), child.get("description"), required)
        yield from _walk(child, child_path)


def schema_keys(schema: dict) -> list[SchemaKey]:
    """Every named key of ``schema``, depth first in the schema's order, then the keys of its shared definitions."""
    keys = list(_walk(schema, ""))
    for name, definition in schema.get("$defs", {}).items():
        keys.extend(_walk(definition, definition_name(name)))
    return keys


def default_of(config: dict, path: str) -> object:
    """The value of ``path`` in ``config``, or :data:`MISSING` for a key inside a list, a named map or a definition."""
    if "[]" in path or "<" in path:
        return MISSING
    value: object = config
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def with_defaults(keys: list[SchemaKey], config: dict) -> list[SchemaKey]:
    """``keys`` with their value in ``config`` (the default configuration)."""
    return [SchemaKey(k.path, k.types, k.description, k.required, default_of(config, k.path)) for k in keys]


def shown_default(value: object, listed_apart: bool, width: int = 60) -> str:
    """A default as the reference shows it: YAML in one line, cut at ``width`` characters; empty when missing or
    when its keys are ``listed_apart``."""
    if value is MISSING or listed_apart:
        return ""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    text = text.removesuffix("...").strip()
    return text if len(text) <= width else text[: width - 1] + "…"
