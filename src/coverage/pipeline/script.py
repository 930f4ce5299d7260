"""Run a pipeline step from its Snakemake rule (``script: "../scripts/step.py"``).

A rule names each argument of its step once: its named ``input``, ``output`` and ``params`` entries bind, by name, to
the keyword parameters of the step the rule runs (:data:`STEPS`), paths becoming :class:`~pathlib.Path` as the step's
annotations ask. A parameter annotated with a dataclass gathers the entries named as its fields (a report's tables,
its area): a step of many inputs takes a few named objects. A name the step does not take, or a parameter no entry
gives, stops the planning naming both (:func:`check_rules`, called by the Snakefile). Faults in the inputs or the
config print the clean report (naming the planner's own files, from ``COVERAGE_ORIGINS``) and exit with 1; any other
fault prints its traceback and exits with 1. What the step prints, the report and the traceback go to the job's log
(its ``log:`` file) as well as to stderr, so that the log explains every failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import logging
import sys
import traceback
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import ConfigError, InputError, configured_origins
from ..outputs._web_assets import MissingAssetsError

STEPS: dict[str, str] = {
    "raw_sae": "mirror.copy_sae",
    "raw_sae_edition": "mirror.copy_sae",
    "raw_communes": "mirror.copy_communes",
    "raw_file": "mirror.copy_file",
    "raw_network": "mirror.copy_file",
    "communes": "facilities.communes",
    "facilities": "facilities.facilities",
    "finess": "facilities.finess",
    "edition_facilities": "facilities.facilities",
    "logs": "facilities.merge_logs",
    "indicators": "indicators.indicators",
    "ehpad": "facilities.ehpad",
    "edition_indicators": "indicators.indicators",
    "changes": "editions.changes",
    "split_network": "access.split_network",
    "prepare_network": "access.prepare_network",
    "network": "access.network",
    "access": "access.access",
    "isochrones": "access.isochrones",
    "commune_site_times": "access.commune_site_times",
    "nearest_sites": "access.nearest_sites",
    "siting": "access.siting",
    "merge_run": "access.merge_tables",
    "merge_region": "access.region_tables",
    "capacity_access": "access.capacity_access",
    "region_capacity_access": "access.select_departements",
    "calibration": "calibration.calibration",
    "reference_sites": "calibration.reference_sites",
    "raw_reference_sites": "mirror.copy_emergency_tables",
    "html_map": "maps.html_map",
    "static_maps": "maps.static_maps",
    "area_map": "maps.area_map",
    "directory": "maps.directory",
    "area_static_maps": "maps.area_static_maps",
    "report": "maps.report",
    "report_pdf": "maps.report_pdf",
    "manifest": "provenance.manifest",
}
"""The step each rule runs, by rule name (a rule reused with ``use rule ... as`` runs the same step):
``module.function`` of :mod:`coverage.pipeline.steps`, or of :mod:`coverage.france.sources` for the copies of the
inputs (``mirror``), imported when a job runs it (:func:`step_of`): a job pays for its own step's imports, not for
every step's."""
STEP_PACKAGES = {"mirror": "coverage.france.sources"}
"""The package of a step module other than :mod:`coverage.pipeline.steps`."""


def step_of(rule: str) -> Callable[..., None]:
    """The step function a rule runs (:data:`STEPS`), imported from its module."""
    module, _, name = STEPS[rule].rpartition(".")
    package = STEP_PACKAGES.get(module, "coverage.pipeline.steps")
    return getattr(importlib.import_module(f"{package}.{module}"), name)


class BindingError(ConfigError):
    """The named entries of some rules do not match the parameters of their steps."""


def step_parameters(step: Callable) -> dict[str, object]:
    """The parameters of a step with their annotations."""
    return {name: hint for name, hint in typing.get_type_hints(step).items() if name != "return"}


def entry_parameters(step: Callable) -> dict[str, object]:
    """The names a rule's entries give a step, with their annotations: its parameters, those annotated with a
    dataclass replaced by the dataclass's fields."""
    entries = {}
    for name, hint in step_parameters(step).items():
        entries.update(typing.get_type_hints(hint) if dataclasses.is_dataclass(hint) else {name: hint})
    return entries


def grouped(step: Callable, entries: dict[str, object]) -> dict[str, object]:
    """The keyword arguments of ``step`` from its entries' values (named as :func:`entry_parameters` names them):
    those of a dataclass parameter gathered into it."""
    arguments = dict(entries)
    for name, hint in step_parameters(step).items():
        if dataclasses.is_dataclass(hint):
            arguments[name] = hint(**{field.name: arguments.pop(field.name) for field in dataclasses.fields(hint)})
    return arguments


def binding_faults(step: Callable, sections: dict[str, typing.Iterable[str]]) -> list[str]:
    """What keeps a rule's named entries (``{"input": names, "output": ..., "params": ...}``) from giving
    ``step`` each of its parameters once: a name given twice, a name it does not take, a parameter missing."""
    parameters = entry_parameters(step)
    faults, seen = [], set()
    for section, names in sections.items():
        for name in names:
            if name in seen:
                faults.append(f"'{name}' is named twice (again in {section})")
            elif name not in parameters:
                faults.append(f"{section} '{name}' is not a parameter of {step.__name__} ({', '.join(parameters)})")
            seen.add(name)
    missing = [name for name in parameters if name not in seen]
    return faults + ([f"no entry gives {step.__name__}'s {', '.join(missing)}"] if missing else [])


def check_rules(rules: dict[str, dict[str, typing.Iterable[str]]]) -> None:
    """Check, while planning, that every rule (name -> its entries' names by section) binds its step."""
    faults = [f"rule {rule}: no step runs it (coverage.pipeline.script.STEPS)" for rule in rules if rule not in STEPS]
    faults += [f"rule {rule}: {fault}" for rule, sections in rules.items() if rule in STEPS
               for fault in binding_faults(step_of(rule), sections)]  # fmt: skip
    if faults:
        raise BindingError("the rules do not match their steps:\n  " + "\n  ".join(faults))


def bind(step: Callable, rule: str, named: dict[str, dict[str, object]]) -> dict[str, object]:
    """The keyword arguments of ``step`` from a rule's named entries (``{"input": {...}, "output": ...}``)."""
    faults = binding_faults(step, named)
    if faults:
        raise BindingError(f"rule {rule}: " + "; ".join(faults))
    parameters = entry_parameters(step)
    entries = {name: value for section in named.values() for name, value in section.items()}
    return grouped(step, {name: as_annotated(value, parameters[name]) for name, value in entries.items()})


def report_errors(call: Callable[[], None]) -> int:
    """Run ``call``: 0, or 1 after printing the clean report of a fault in the inputs or the config."""
    try:
        call()
    except InputError as error:
        print(f"coverage: bad input in {error.report(configured_origins())}", file=sys.stderr)
        return 1
    except (ConfigError, MissingAssetsError) as error:
        print(f"coverage: {error}", file=sys.stderr)
        return 1
    return 0


def as_annotated(value: object, hint: object) -> object:
    """A rule's entry as the step's annotation ``hint`` asks: a path, a list of paths, or as it is."""
    if hint is Path:
        return Path(value)
    if hint == list[Path]:
        return [Path(item) for item in ([value] if isinstance(value, str) else value)]
    return list(value) if isinstance(value, list) else value


class _Tee(io.TextIOBase):
    """A text stream writing to several."""

    def __init__(self, *streams: typing.TextIO):
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


@contextlib.contextmanager
def progress_logged() -> Iterator[None]:
    """Print the library's progress messages (its ``coverage`` loggers, level INFO) on stderr as it goes, one timed
    line each: a job that works for minutes says what it is doing."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    package = logging.getLogger("coverage")
    level, package.level = package.level, logging.INFO
    package.addHandler(handler)
    try:
        yield
    finally:
        package.removeHandler(handler)
        package.setLevel(level)


@contextlib.contextmanager
def _logged(log: list[str]) -> Iterator[None]:
    """Copy what is printed (stdout, stderr) and the progress messages into the job's log, when the rule has one,
    line by line as they come."""
    if not log:
        with progress_logged():
            yield
        return
    Path(log[0]).parent.mkdir(parents=True, exist_ok=True)
    with (
        open(log[0], "w", encoding="utf-8", buffering=1) as file,
        contextlib.redirect_stdout(_Tee(sys.stdout, file)),
        contextlib.redirect_stderr(_Tee(sys.stderr, file)),
        progress_logged(),
    ):
        yield


def run_rule(snakemake: typing.Any) -> None:
    """Run the step of the rule Snakemake is executing (its ``snakemake`` object); exit 1 on a fault, its clean
    report or its traceback in the job's log."""
    step = step_of(snakemake.rule)
    named = {section: dict(getattr(snakemake, section).items()) for section in ("input", "output", "params")}
    with _logged(list(snakemake.log)):
        try:
            status = report_errors(lambda: step(**bind(step, snakemake.rule, named)))
        except Exception:  # noqa: BLE001 -- any other fault: its traceback goes to the job's log too
            traceback.print_exc()
            status = 1
    if status:
        sys.exit(status)
