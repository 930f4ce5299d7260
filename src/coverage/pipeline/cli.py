"""Command line: ``python -m coverage <step> --name value ...``, one sub-command per pipeline step.

The options are the step's keyword parameters, as its signature names and types them (the fields of a dataclass
parameter, as a rule names them): paths, JSON for lists and mappings. Snakemake does not go through here
(:mod:`.script` binds a rule to its step); the command line runs one step by hand or under a benchmark's memory cap.
"""

from __future__ import annotations

import argparse
import json
import types
import typing
from collections.abc import Callable
from pathlib import Path

from .script import STEPS, entry_parameters, grouped, progress_logged, report_errors, step_of

COMMANDS: dict[str, Callable] = {step.__name__.replace("_", "-"): step for step in map(step_of, STEPS)}


def _structured(hint: object) -> bool:
    """Whether a parameter of type ``hint`` may hold a list or a mapping (given as JSON)."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return any(option in (list, dict) or typing.get_origin(option) in (list, dict) for option in options)


def _option(hint: object) -> dict:
    """argparse keywords for a parameter of type ``hint``: a path, several paths, JSON, a number or text."""
    if hint == list[Path]:
        return {"type": Path, "nargs": "*", "metavar": "PATH"}
    if _structured(hint):
        return {"type": json.loads, "metavar": "JSON"}
    if hint is Path:
        return {"type": Path, "metavar": "PATH"}
    return {"type": hint if hint in (int, float) else str, "metavar": getattr(hint, "__name__", "TEXT").upper()}


def _flag(parameter: str) -> str:
    """The command-line option of a step parameter (``sites_per_service``: ``--sites-per-service``)."""
    return "--" + parameter.replace("_", "-")


def build_parser() -> argparse.ArgumentParser:
    """One sub-command per pipeline step, with one ``--option`` per parameter of the step function."""
    parser = argparse.ArgumentParser(prog="python -m coverage", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, function in COMMANDS.items():
        sub = commands.add_parser(name, help=(function.__doc__ or "").splitlines()[0])
        for parameter, hint in entry_parameters(function).items():
            sub.add_argument(_flag(parameter), dest=parameter, required=True, **_option(hint))
        sub.set_defaults(function=function)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one step; input and configuration errors print a clear report and return 1."""
    arguments = vars(build_parser().parse_args(argv))
    function = arguments.pop("function")
    arguments.pop("command")
    with progress_logged():
        return report_errors(lambda: function(**grouped(function, arguments)))


def arguments_of(step: str, values: dict[str, object]) -> list[str]:
    """The command line running ``step`` with keyword ``values`` (paths, numbers, text; lists and mappings as
    JSON): what a benchmark passes to ``python -m coverage``."""
    command = step.replace("_", "-")
    hints = entry_parameters(COMMANDS[command])
    words = [command]
    for name, value in values.items():
        if hints[name] == list[Path]:
            words += [_flag(name), *map(str, value)]
        elif _structured(hints[name]):
            words.append(f"{_flag(name)}={json.dumps(value, ensure_ascii=False)}")
        else:
            words.append(f"{_flag(name)}={value}")
    return words
