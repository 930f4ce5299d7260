"""Declared contracts of the tabular inputs: columns, types, allowed values and code formats, checked all at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from .._csvio import LINE, problems_at
from ..errors import InputError, Problem

FIXES = "_fixes"


class LocationSource(StrEnum):
    """Where a site's point comes from: the ``location_source`` column of the facilities table.

    Every value written there is one of these, so that what reads the table (the maps' popups) can
    say each of them.
    """

    FINESS = "finess"
    """The coordinates of the FINESS edition."""
    COMMUNE = "commune"
    """The point of the site's commune: absent from FINESS, or its coordinates unusable."""
    LIST = "list"
    """The coordinates of a planner's own list."""
    LIST_COMMUNE = "list_commune"
    """A planner's list row without coordinates: the point of its commune."""
    NONE = "none"
    """Not located: no coordinates and no known commune."""

FINESS_PATTERN = r"(?:\d{2}|2A|2B)\d{7}"
COMMUNE_PATTERN = r"\d{5}|2[AB]\d{3}"
FRANCE_BOXES = {  # lon_min, lat_min, lon_max, lat_max
    "metropole": (-5.5, 41.2, 10.0, 51.3),
    "antilles": (-63.2, 14.3, -60.7, 18.2),
    "guyane": (-54.7, 2.0, -51.5, 5.9),
    "reunion": (55.1, -21.5, 56.0, -20.8),
    "mayotte": (44.9, -13.1, 45.4, -12.5),
    "saint-pierre-et-miquelon": (-56.5, 46.7, -56.1, 47.2),
}


@dataclass(frozen=True)
class Rule:
    """A check on the cells of one column.

    Parameters
    ----------
    id
        Short name of the rule, quoted in error reports and in the contract tables of docs/planners/inputs.md.
    expected
        What a valid cell holds, in plain words.
    valid
        Element-wise test on the stripped text cells; True where the cell is valid.
    recoverable
        When True an invalid cell is emptied and listed as a fix instead of stopping the run.
    """

    id: str
    expected: str
    valid: Callable[[pd.Series], pd.Series]
    recoverable: bool = False


@dataclass(frozen=True)
class Column:
    """A column of an input file, the rules its cells follow and how its text is normalised first."""

    name: str
    rules: tuple[Rule, ...] = ()
    normalise: Callable[[pd.Series], pd.Series] | None = None
    required: bool = True


@dataclass(frozen=True)
class Contract:
    """What an input file must hold; :meth:`apply` reports every violation of the file at once."""

    name: str
    columns: tuple[Column, ...]
    unique: tuple[str | tuple[str, ...], ...] = field(default=())

    def extended(self, columns: list[Column]) -> Contract:
        """The same contract with more columns (e.g. the FTE columns an SAE edition happens to have)."""
        return Contract(self.name, self.columns + tuple(columns), self.unique)

    def apply(self, frame: pd.DataFrame, path: object) -> pd.DataFrame:
        """Normalise and check ``frame`` (text cells and ``_line``) read from ``path``.

        Returns the normalised frame with a ``_fixes`` column describing the repairs made on each row
        (lost leading zeros restored, recoverable cells emptied); raises one InputError listing every
        violation otherwise.
        """
        frame, problems = self.check(frame)
        raise_if_any(path, problems)
        return frame

    def check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
        """The normalised frame (with ``_fixes``) and every violation, for callers adding checks of their own."""
        problems = self._missing_columns(frame)
        frame = frame.copy()
        fixes = pd.Series("", index=frame.index, dtype=object)
        for column in self.columns:
            if column.name not in frame.columns:
                continue
            original = frame[column.name]
            if column.normalise is not None:
                frame[column.name] = column.normalise(original).astype(object)
                changed = (frame[column.name] != original) & (original != "")
                was, read_as = original[changed].map(repr), frame.loc[changed, column.name].map(repr)
                fixes = add_note(fixes, changed, column.name + " " + was + " read as " + read_as)
            for rule in column.rules:
                bad = ~rule.valid(frame[column.name]).fillna(False).astype(bool)
                if rule.recoverable:
                    emptied = frame.loc[bad, column.name].map(repr)
                    fixes = add_note(fixes, bad, column.name + " " + emptied + f" emptied: expected {rule.expected}")
                    frame.loc[bad, column.name] = ""
                else:
                    problems += problems_at(frame, bad, column.name, rule.expected, rule=rule.id)
        for key in self.unique:
            names = [key] if isinstance(key, str) else list(key)
            if set(names) <= set(frame.columns):
                repeated = frame.duplicated(names, keep="first") & (frame[names[0]] != "")
                expected = f"each {' and '.join(names)} once in the file"
                problems += problems_at(frame, repeated, names[0], expected, rule="unique")
        frame[FIXES] = fixes
        return frame, problems

    def _missing_columns(self, frame: pd.DataFrame) -> list[Problem]:
        """One problem per required column absent from the file, listing the columns present."""
        present = ", ".join(c for c in frame.columns if c not in (LINE, FIXES))
        return [
            Problem(f"a column {c.name!r} ({self.name}); columns present: {present}", column=c.name,
                    rule="required-column")
            for c in self.columns
            if c.required and c.name not in frame.columns
        ]  # fmt: skip


def raise_if_any(path: object, problems: list[Problem]) -> None:
    """Raise one InputError listing ``problems`` in file order (by line, then column), if there are any."""
    if problems:
        raise InputError(path, sorted(problems, key=lambda p: (p.line or 0, p.column or "")))


def add_note(fixes: pd.Series, mask: pd.Series, text: pd.Series) -> pd.Series:
    """Append the per-row ``text`` (given for every row, or only for those selected: the notes of a large file's
    few repaired rows are cheap) to the fixes of the rows selected by ``mask``."""
    if not mask.any():
        return fixes
    current = fixes[mask]
    joined = current.where(current == "", current + "; ") + text.astype(str).reindex(current.index)
    fixes = fixes.copy()
    fixes[mask] = joined
    return fixes


def fixes_of(frame: pd.DataFrame) -> pd.Series:
    """The non-empty fixes of a frame returned by :meth:`Contract.apply`."""
    return frame.loc[frame[FIXES] != "", FIXES]


def numbers(text: pd.Series) -> pd.Series:
    """Parse text cells as floats (decimal comma accepted); empty or invalid cells give NaN."""
    text = text.astype("string").str.replace(",", ".", regex=False)
    return pd.to_numeric(text.where(text != ""), errors="coerce").astype(float)


def _fullmatch(pattern: str) -> Callable[[pd.Series], pd.Series]:
    """Cells matching ``pattern`` entirely."""
    compiled = re.compile(pattern)
    return lambda cells: cells.astype(str).map(lambda v: compiled.fullmatch(v) is not None)


def finess_number() -> Rule:
    """A 9-character FINESS number: the département (2 digits, 2A or 2B) then 7 digits."""
    return Rule(
        "finess-format", "a 9-character FINESS number (digits, or 2A/2B then digits)", _fullmatch(FINESS_PATTERN)
    )


def not_empty(meaning: str) -> Rule:
    """A non-empty cell."""
    return Rule("not-empty", meaning, lambda cells: cells != "")


def pattern(rule_id: str, regex: str, expected: str, optional: bool = False) -> Rule:
    """Cells matching ``regex`` (or empty when ``optional``)."""
    match = _fullmatch(regex)
    return Rule(rule_id, expected, lambda cells: match(cells) | (optional & (cells == "")))


def one_of(values: list[str], meaning: str) -> Rule:
    """Cells among ``values``."""
    return Rule("allowed-value", f"{meaning}: one of {', '.join(values)}", lambda cells: cells.isin(values))


def flag() -> Rule:
    """A yes/no cell: 0, 1 or empty."""
    return Rule("flag-0-1", "0, 1 or an empty cell", lambda cells: cells.isin(["0", "1", ""]))


def non_negative(meaning: str, required: bool = False) -> Rule:
    """A number not below 0; an empty cell means "not applicable" unless ``required``."""
    expected = f"a non-negative number of {meaning}" + (" (required: a cell never left empty)" if required else "")
    return Rule("non-negative-number", expected, lambda cells: (numbers(cells) >= 0) | (~required & (cells == "")))


def whole_number(meaning: str) -> Rule:
    """A count is whole: ``12,5`` places is a typing slip, not half a place. Only non-negative numbers are
    checked here (:func:`non_negative` reports the others), so a cell breaks one rule at most."""
    expected = f"a whole number of {meaning} (a count)"
    return Rule("whole-number", expected, lambda cells: ~(numbers(cells) >= 0) | (numbers(cells) % 1 == 0))


def in_range(rule_id: str, low: float, high: float, expected: str, recoverable: bool = False) -> Rule:
    """A number between ``low`` and ``high``, or an empty cell."""
    return Rule(rule_id, expected, lambda cells: numbers(cells).between(low, high) | (cells == ""), recoverable)


def in_france(lon: pd.Series, lat: pd.Series) -> pd.Series:
    """Whether each point lies in one of the boxes of metropolitan and overseas France."""
    inside = pd.Series(False, index=lon.index)
    for west, south, east, north in FRANCE_BOXES.values():
        inside |= lon.between(west, east) & lat.between(south, north)
    return inside


def recover_outside_france(frame: pd.DataFrame, lon: str, lat: str) -> pd.DataFrame:
    """Empty the coordinates of rows lying outside France (swapped, zero or foreign), noting the fix.

    Such a row is then placed at its commune when one is known, like a row without coordinates.
    """
    x, y = numbers(frame[lon]), numbers(frame[lat])
    outside = x.notna() & y.notna() & ~in_france(x, y)
    note = "coordinates (" + frame[lon] + ", " + frame[lat] + ") outside France [rule in-france]: emptied"
    frame = frame.assign(**{FIXES: add_note(frame[FIXES], outside, note)})
    frame.loc[outside, [lon, lat]] = ""
    return frame


def padded(width: int) -> Callable[[pd.Series], pd.Series]:
    """Normaliser restoring the leading zero a spreadsheet dropped (``10780195`` -> ``010780195``).

    Only a number one digit short is padded: a shorter one is not a code that lost its zero.
    """

    def normalise(cells: pd.Series) -> pd.Series:
        text = cells.astype(str).str.strip()
        one_short = text.str.fullmatch(r"\d+") & (text.str.len() == width - 1)
        return text.where(~one_short, "0" + text).str.upper().astype(object)

    return normalise
