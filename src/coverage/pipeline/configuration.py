"""Check a run's configuration before anything runs: each fault named by its key, its value and what is allowed.

The JSON schema (``workflow/schemas/config.schema.yaml``) bounds every value; the checks here add what
a schema cannot say (thresholds in increasing order, the horizon holding every time used, speed
models that exist). Messages are a few lines, never the schema itself.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ..errors import ConfigError
from ..france.registry import INDICATORS
from ..france.sources.sae import edition_key, sae_editions
from ..speeds import CONVERTER_DEFAULTS, with_presets

if TYPE_CHECKING:
    import jsonschema

MAX_LISTED = 8


def read_yaml(path: str | Path) -> object:
    """A YAML file as plain Python values (``yaml.safe_load``), parsed by libyaml when PyYAML has it: ten times
    faster than the pure-Python parser, and every Snakemake start (each cluster job starts two) reads the config,
    the schema and the shipped models."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 -- a safe loader


def read_schema(path: str | Path) -> dict:
    """The configuration schema (YAML)."""
    return read_yaml(path)


def read_config(path: str | Path) -> dict:
    """A config file with the shipped speed models and converter defaults it names (:func:`with_shipped`)."""
    return with_shipped(read_yaml(path))


TITLED = (("maps", "indicators"), ("changes", "indicators"))
"""The config's lists of indicators, each given the titles of the indicator registry."""


def with_shipped(config: dict) -> dict:
    """``config`` with the speed models of :mod:`coverage.speeds` under its own ``speeds.models`` (a model of a
    shipped name overrides the keys it gives), each network source's ``converter_default_maxspeeds`` given by
    name replaced by the set it names, and each list of indicators (:data:`TITLED`) as a mapping to the titles of
    :data:`coverage.france.registry.INDICATORS` (an unknown name is left for the config check to report)."""
    speeds = config.get("speeds") or {}
    sources = (config.get("networks") or {}).get("sources") or []
    shipped_sources = [
        {**source, "converter_default_maxspeeds": CONVERTER_DEFAULTS[source["converter_default_maxspeeds"]]}
        if isinstance(source.get("converter_default_maxspeeds"), str)
        and source["converter_default_maxspeeds"] in CONVERTER_DEFAULTS else source
        for source in sources
    ]  # fmt: skip
    return with_titles({
        **config,
        **({"speeds": {**speeds, "models": with_presets(speeds.get("models") or {})}} if "speeds" in config else {}),
        **({"networks": {**config["networks"], "sources": shipped_sources}} if sources else {}),
    })


def with_titles(config: dict) -> dict:
    """``config`` with each list of indicators of :data:`TITLED` as a mapping to the registry's titles (a mapping,
    the planner's own titles, is kept as it is)."""
    titled = dict(config)
    for section, key in TITLED:
        listed = (config.get(section) or {}).get(key)
        if isinstance(listed, list) and all(isinstance(name, str) for name in listed):
            titles = {name: INDICATORS[name].title if name in INDICATORS else name for name in listed}
            titled[section] = {**config[section], key: titles}
    return titled


def check_config(config: dict, schema: dict, files: list[str | Path] = ()) -> None:
    """Raise one :class:`ConfigError` listing every fault of ``config``: against ``schema``, then the cross-key rules.

    ``files``: the YAML files the config was read from, later ones overriding earlier ones: each fault names the
    last that sets its key, and the line."""
    faults = schema_faults(config, schema)
    faults = faults or [*order_faults(config), *model_faults(config), *siting_faults(config), *edition_faults(config),
                        *change_faults(config), *indicator_faults(config)]  # fmt: skip
    _raise_if_any([located(fault, files) for fault in faults])


def check_run_departements(config: dict, departements: list[str], files: list[str | Path] = ()) -> None:
    """Raise a :class:`ConfigError` when a key that must name départements of the run names others."""
    _raise_if_any([located(fault, files) for fault in calibration_faults(config, departements)])


def located(fault: str, files: list[str | Path]) -> str:
    """A fault (``'key.path': ...``) followed by the file and line that set its key, when one of ``files`` does."""
    key = fault.split("'")[1] if fault.startswith("'") else ""
    path = [int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", key)]
    for file in reversed(list(files)):
        line = _line_of(Path(file), path)
        if line is not None:
            return f"{fault} ({file}, line {line})"
    return fault


def _line_of(file: Path, path: list) -> int | None:
    """The line of ``file`` (YAML) where the key at ``path`` is set, or None when the file does not set it."""
    try:
        node = yaml.compose(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if k.value == str(part)]
            if not found:
                return None
            key, node = found[-1]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return None
    return line


def _raise_if_any(faults: list[str]) -> None:
    """One error listing at most ``MAX_LISTED`` faults, one per line."""
    if faults:
        listed = faults[:MAX_LISTED] + (
            [f"... and {len(faults) - MAX_LISTED} more"] if len(faults) > MAX_LISTED else []
        )
        text = listed[0] if len(faults) == 1 else f"{len(faults)} faults" + "".join(f"\n  - {f}" for f in listed)
        raise ConfigError(f"configuration: {text}")


def schema_faults(config: dict, schema: dict) -> list[str]:
    """One line per schema violation, in key order."""
    import jsonschema  # here: the jobs that read the config's speeds (adopt_fitted) do not load the validator

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    return [describe(error) for error in errors]


def key_of(path: list) -> str:
    """``['gaps', 1, 'threshold']`` -> ``gaps[1].threshold``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "(top level)"


def describe(error: jsonschema.ValidationError) -> str:
    """A one-line account of a schema violation: the key, the value, what is allowed."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return describe(deepest)
    key = key_of(list(error.absolute_path))
    if error.validator == "additionalProperties":
        return "; ".join(_unknown_keys(key, error))
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return f"'{key_of([*error.absolute_path, missing])}' is missing"
    return f"'{key}': value {error.instance!r} is not allowed: expected {_allowed(error)}"


def _unknown_keys(key: str, error: jsonschema.ValidationError) -> Iterator[str]:
    """Each key the schema does not know, with the nearest valid one."""
    known = list(error.schema.get("properties", {}))
    for name in sorted(set(error.instance) - set(known)):
        where = f"'{key}.{name}'" if key != "(top level)" else f"'{name}'"
        nearest = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"did you mean '{nearest[0]}'?" if nearest else f"valid keys: {', '.join(known)}"
        yield f"{where}: unknown key; {hint}"


def _allowed(error: jsonschema.ValidationError) -> str:
    """What the schema allows where ``error`` failed, in plain words."""
    value, description = error.validator_value, error.schema.get("description", "")
    if "x-expected" in error.schema:  # the schema's own words for a pattern or a choice of forms
        return error.schema["x-expected"] + (f" ({description})" if description else "")
    allowed = {
        "minimum": lambda: f"a number of at least {value}",
        "exclusiveMinimum": lambda: f"a number above {value}",
        "maximum": lambda: f"a number of at most {value}",
        "exclusiveMaximum": lambda: f"a number below {value}",
        "enum": lambda: "one of " + ", ".join(map(str, value)),
        "const": lambda: repr(value),
        "type": lambda: " or ".join([value] if isinstance(value, str) else value),
        "pattern": lambda: f"text matching {value}",
        "minItems": lambda: f"at least {value} item(s)",
        "minProperties": lambda: f"at least {value} entry(ies)",
        "uniqueItems": lambda: "items listed once each",
        "minLength": lambda: "a non-empty text",
    }.get(error.validator, lambda: error.message)()
    return f"{allowed} ({description})" if description else allowed


def _increasing(values: list[float]) -> bool:
    """Whether the values are in strictly increasing order."""
    return all(a < b for a, b in pairwise(values))


def order_faults(config: dict) -> Iterator[str]:
    """Thresholds and decay steps in increasing order, weights decreasing, the horizon long enough."""
    thresholds = config["access"]["thresholds_min"]
    if not _increasing(thresholds):
        yield f"'access.thresholds_min': value {thresholds} is not allowed: expected minutes in increasing order"
    steps = config["e2sfca"]["steps"]
    limits, weights = [s["max_min"] for s in steps], [s["weight"] for s in steps]
    if not _increasing(limits):
        yield f"'e2sfca.steps': max_min {limits} is not allowed: expected minutes in increasing order"
    if any(b > a for a, b in pairwise(weights)):
        yield f"'e2sfca.steps': weight {weights} is not allowed: expected weights that decrease with time"
    drive_time = config["maps"]["drive_time_min"]
    if drive_time not in thresholds:
        yield (
            f"'maps.drive_time_min': value {drive_time} is not allowed: expected one of access.thresholds_min "
            f"{thresholds}, the minutes the coverage tables are computed for"
        )
    used = [*thresholds, config["siting"]["minutes"], *limits]
    if config["access"]["horizon_min"] < max(used):
        yield (
            f"'access.horizon_min': value {config['access']['horizon_min']} is not allowed: expected at least "
            f"{max(used)} minutes, the longest threshold, E2SFCA step or siting time"
        )


def model_faults(config: dict) -> Iterator[str]:
    """Speed models named by ``speeds`` and ``calibration`` defined in ``speeds.models``."""
    models = config["speeds"]["models"]
    named = {"speeds.model": config["speeds"]["model"]}
    if config["speeds"]["alternative"] is not None:
        named["speeds.alternative"] = config["speeds"]["alternative"]
    if config["calibration"]:
        named["calibration.model"] = config["calibration"]["model"]
        named["calibration.limits"] = config["calibration"]["limits"]
        named["calibration.prior"] = config["calibration"]["prior"]
    for key, name in named.items():
        if name not in models:
            yield f"'{key}': value {name!r} is not allowed: expected a model of speeds.models ({', '.join(models)})"


def siting_faults(config: dict) -> Iterator[str]:
    """Each service to site needs its candidate rule."""
    missing = [s for s in config["siting"]["services"] if s not in config["siting"]["candidates"]]
    if missing:
        yield (
            f"'siting.candidates': no entry for {', '.join(missing)}: expected where a new site of each service of "
            "siting.services may open (categories, services, msp)"
        )


def edition_faults(config: dict) -> Iterator[str]:
    """Each SAE edition of ``sources.sae`` has its own working copy: two folders of one name cannot be told apart."""
    keys = [edition_key(edition) for edition in sae_editions(config["sources"]["sae"])]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        yield (
            f"'sources.sae': editions named {twice} more than once: expected each edition once, in folders of "
            "different names (or files of different years)"
        )


def change_faults(config: dict) -> Iterator[str]:
    """The change layers of the map are indicators whose change is computed."""
    changes = config.get("changes") or {}
    unknown = [name for name in changes.get("maps", []) if name not in changes.get("indicators", {})]
    if unknown:
        yield (
            f"'changes.maps': value {unknown} is not allowed: expected indicators of changes.indicators "
            f"({', '.join(changes.get('indicators', {}))})"
        )


def indicator_faults(config: dict) -> Iterator[str]:
    """The indicators drawn and compared are those of the registry (columns of the indicators table)."""
    for section, key in TITLED:
        names = (config.get(section) or {}).get(key) or {}
        unknown = [name for name in names if name not in INDICATORS]
        if unknown:
            yield (f"'{section}.{key}': value {unknown} is not allowed: expected indicators of the registry "
                   f"(columns of indicators_departement.csv: {', '.join(INDICATORS)})")


def calibration_faults(config: dict, departements: list[str]) -> Iterator[str]:
    """Départements listed for the calibration must be in the run: it routes on their networks (``run`` takes
    those of the run the reference covers, and never fails)."""
    listed = (config["calibration"] or {}).get("departements", "run")
    missing = sorted(set(listed) - set(departements)) if listed != "run" else []
    if missing:
        yield (
            f"'calibration.departements': value {missing} is not allowed: expected départements of the run "
            f"({', '.join(departements)}); the calibration routes on their networks"
        )


def calibration_departements(chosen: str | list[str], run: list[str], covered: set[str], limit: int) -> list[str]:
    """The départements the speed model is fitted on: the listed ones, or with ``run`` those of the run the
    reference covers, at most ``limit`` of them, spread evenly over the run's list (a national run fits on a
    dozen départements of every kind rather than on the first ones)."""
    if chosen != "run":
        return list(chosen)
    candidates = [code for code in run if code in covered]
    if len(candidates) <= limit or limit == 1:
        return candidates[:limit]
    return [candidates[round(i * (len(candidates) - 1) / (limit - 1))] for i in range(limit)]


def adopt_fitted(speeds: dict, fitted: list[Path]) -> dict:
    """The ``speeds`` section with the models of a calibration's config fragment (``speeds_fitted.yaml``, none
    when the run did not fit one) in place of the configured ones of the same name."""
    models = dict(speeds["models"])
    for path in fitted:
        models.update(read_yaml(path)["speeds"]["models"])
    return {**speeds, "models": models}
