"""Input errors that name the file, the line or column, the value and what was expected."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

MAX_LISTED = 20
ORIGINS_VARIABLE = "COVERAGE_ORIGINS"


def configured_origins() -> dict[str, str]:
    """Working copy -> the file the user configured, as the workflow exports it (``COVERAGE_ORIGINS``, JSON)."""
    return json.loads(os.environ.get(ORIGINS_VARIABLE) or "{}")


@dataclass(frozen=True)
class Problem:
    """One violation found in an input file.

    Parameters
    ----------
    expected
        What the file should have held, in plain words.
    line
        1-based line of the file (the header is line 1), when known.
    column
        Column or field name, when known.
    value
        The offending value, when there is one.
    rule
        Identifier of the contract rule broken (see docs/planners/inputs.md), when there is one.
    """

    expected: str
    line: int | None = None
    column: str | None = None
    value: object = None
    rule: str | None = None

    def describe(self) -> str:
        """Return a one-line human description."""
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where)
        if self.value is not None:
            text += f"{': ' if text else ''}value {self.value!r}"
        text = f"{text}: expected {self.expected}" if text else f"expected {self.expected}"
        return f"{text} [rule {self.rule}]" if self.rule else text


class CoverageError(Exception):
    """Base of the errors the project raises itself: a bad input file, configuration or library argument."""


def _shown(value: object) -> str:
    """A value as a message shows it: its repr, cut to 200 characters."""
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


class ArgumentError(CoverageError, ValueError):
    """A library function given a value it cannot use; the message names the argument, the value and what was
    expected, never a plausible wrong result."""

    def __init__(self, argument: str, value: object, expected: str):
        self.argument, self.value, self.expected = argument, value, expected
        super().__init__(f"{argument}: {_shown(value)}: expected {expected}")


class ArgumentTypeError(CoverageError, TypeError):
    """A library function given a value of the wrong type (text where numbers are expected...); the message names
    the argument, the value and what was expected."""

    def __init__(self, argument: str, value: object, expected: str):
        self.argument, self.value, self.expected = argument, value, expected
        super().__init__(f"{argument}: {_shown(value)}: expected {expected}")


class InputError(CoverageError):
    """Raised when an input file does not hold what the pipeline needs."""

    def __init__(self, path: str | Path, problems: list[Problem] | Problem):
        self.path = path if isinstance(path, str) and "://" in path else Path(path)
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(self.report())

    def report(self, origins: dict[str, str] | None = None) -> str:
        """Return the full multi-line report of every problem.

        ``origins`` maps working copies (``data/raw/sae``) to the files the user configured: the
        report then names the user's own file (lines are the same: the copies are byte-identical).
        """
        lines = [f"{describe_path(self.path, origins or {})}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p.describe()}" for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            lines.append(f"  ... and {len(self.problems) - MAX_LISTED} more")
        return "\n".join(lines)


class ConfigError(CoverageError, ValueError):
    """Raised when a configuration value is inconsistent with the data (e.g. an unknown indicator)."""


def describe_path(path: str | Path, origins: dict[str, str]) -> str:
    """The user's own file behind a working copy (or a file inside a copied folder), with the copy's name."""
    text = str(path)
    for copy, origin in origins.items():
        if text == copy or text.startswith(copy.rstrip("/") + "/"):
            return f"{origin}{text[len(copy) :]} (read from its copy {text})"
    return text
