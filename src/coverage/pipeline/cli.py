"""Command line: ``python -m coverage <step> --arg value ...``, one step per Snakemake rule."""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import typing
from pathlib import Path

from ..errors import ConfigError, InputError
from ..france.sources import mirror
from ..outputs._web_assets import MissingAssetsError
from . import steps

COMMANDS = {
    "copy-sae": mirror.copy_sae,
    "copy-file": mirror.copy_file,
    "copy-communes": mirror.copy_communes,
    "communes": steps.communes,
    "facilities": steps.facilities,
    "merge-logs": steps.merge_logs,
    "indicators": steps.indicators,
    "changes": steps.changes,
    "html-map": steps.html_map,
    "static-map": steps.static_map,
    "split-network": steps.split_network,
    "prepare-network": steps.prepare_network,
    "network": steps.network,
    "access": steps.access,
    "calibration": steps.calibration,
    "isochrones": steps.isochrones,
    "commune-site-times": steps.commune_site_times,
    "nearest-site-times": steps.nearest_site_times,
    "directory": steps.directory,
    "capacity-access": steps.capacity_access,
    "merge-tables": steps.merge_tables,
    "select-departements": steps.select_departements,
    "area-map": steps.area_map,
    "siting": steps.siting_scenario,
    "area-static-map": steps.area_static_map,
    "report": steps.report,
    "report-pdf": steps.report_pdf,
    "manifest": steps.manifest,
}


ORIGINS_VARIABLE = "COVERAGE_ORIGINS"


def _origins() -> dict[str, str]:
    """Working copy -> the user's configured file, as the workflow exports it (``COVERAGE_ORIGINS``, JSON)."""
    return json.loads(os.environ.get(ORIGINS_VARIABLE) or "{}")


def _argument_type(annotation: object) -> tuple[typing.Callable, str | None]:
    """argparse type and nargs for a step parameter annotation."""
    text = str(annotation)
    if text == "list[Path]":
        return Path, "+"
    if text.startswith(("list[", "dict")):
        return json.loads, None
    if "Path" in text:
        return Path, None
    return {"float": float, "int": int}.get(text, str), None


def build_parser() -> argparse.ArgumentParser:
    """One sub-command per pipeline step, with one ``--option`` per parameter of the step function."""
    parser = argparse.ArgumentParser(prog="python -m coverage", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, function in COMMANDS.items():
        sub = commands.add_parser(name, help=(function.__doc__ or "").splitlines()[0])
        for parameter in inspect.signature(function).parameters.values():
            kind, nargs = _argument_type(parameter.annotation)
            flag = "--" + parameter.name.replace("_", "-")
            sub.add_argument(flag, dest=parameter.name, type=kind, nargs=nargs, required=True)
        sub.set_defaults(function=function)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one step; input and configuration errors print a clear report and return 1."""
    arguments = vars(build_parser().parse_args(argv))
    function = arguments.pop("function")
    arguments.pop("command")
    try:
        function(**arguments)
    except InputError as error:
        print(f"coverage: bad input in {error.report(_origins())}", file=sys.stderr)
        return 1
    except (ConfigError, MissingAssetsError) as error:
        print(f"coverage: {error}", file=sys.stderr)
        return 1
    return 0
