"""Fill ``data/raw/`` from the mirror folder of official files, downloading what it lacks."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from ...errors import InputError, Problem
from .emergency import TABLE_PATTERN, find_emergency_tables
from .fetch import Downloads, fetch
from .sae import FILE_PATTERN, KINDS, find_edition

COMMUNE_FILES = "communes-*.geojson"


def _copy(source: Path, target: Path) -> None:
    """Copy one file's contents (the mirror may be read-only) through a temporary name, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    shutil.copyfile(source, partial)
    partial.replace(target)


def _members(relative: str, mirror: Path, downloads: Downloads, pattern: str) -> list[str]:
    """Files of a source folder: those in the mirror matching ``pattern`` and those with a download entry."""
    folder = mirror / relative
    present = {f"{relative}/{p.name}" for p in folder.glob(pattern)} if folder.is_dir() else set()
    known = {key for key in downloads.files if PurePosixPath(key).parent == PurePosixPath(relative)}
    return sorted(present | {key for key in known if PurePosixPath(key).match(pattern)})


def copy_file(*, mirror: Path, relative: str, downloads: dict, target: Path) -> None:
    """Copy one input file (``relative`` to the mirror, or absolute) into ``data/raw/``."""
    _copy(fetch(relative, mirror, Downloads.from_config(downloads)), target)


def _edition_members(edition: str | dict, mirror: Path, downloads: Downloads) -> list[str]:
    """The ID, PALIA and HAD files of an edition: a folder's, or the three files a mapping names by kind."""
    if isinstance(edition, str):
        return [m for m in _members(edition, mirror, downloads, "*.csv") if FILE_PATTERN.match(PurePosixPath(m).name)]
    problems = [
        Problem(f"the {kind} table of the edition, a file named {kind}_<year>r.csv or {kind}_<year>a.csv",
                value=edition.get(kind), rule="edition-files")
        for kind in KINDS
        if not FILE_PATTERN.match(PurePosixPath(str(edition.get(kind, ""))).name)
        or FILE_PATTERN.match(PurePosixPath(edition[kind]).name).group(1).upper() != kind
    ]  # fmt: skip
    if problems:
        raise InputError(mirror, problems)
    return [edition[kind] for kind in KINDS]


def copy_sae(*, mirror: Path, edition: dict | str, downloads: dict, target: Path) -> None:
    """Copy the ID, PALIA and HAD files of an SAE edition into ``target``.

    ``edition`` is a folder (``relative`` to the mirror unless absolute) holding the three files, or a
    mapping ``{ID: file, PALIA: file, HAD: file}`` when the edition takes tables of different years.
    """
    settings = Downloads.from_config(downloads)
    names = _edition_members(edition, mirror, settings)
    if not names:
        expected = "a folder holding ID_<year>.csv, PALIA_<year>.csv and HAD_<year>.csv, or their download entries"
        raise InputError(mirror / edition, Problem(expected, rule="present"))
    for member in names:
        _copy(fetch(member, mirror, settings), target / PurePosixPath(member).name)
    find_edition(target)


def copy_communes(*, mirror: Path, relative: str, downloads: dict, target: Path) -> None:
    """Copy every ``communes-<département>.geojson`` of folder ``relative`` into ``target``."""
    settings = Downloads.from_config(downloads)
    members = _members(relative, mirror, settings, COMMUNE_FILES)
    if not members:
        raise InputError(mirror / relative, Problem("files named communes-<département>.geojson", rule="present"))
    for member in members:
        _copy(fetch(member, mirror, settings), target / PurePosixPath(member).name)


def copy_emergency_tables(*, mirror: Path, relative: str, downloads: dict, target: Path) -> None:
    """Copy the SAE emergency tables (``URGENCES2_<year>``, ``SMURSAMU_<year>``) of folder ``relative`` into
    ``target``."""
    settings = Downloads.from_config(downloads)
    members = [m for m in _members(relative, mirror, settings, "*.csv") if TABLE_PATTERN.match(PurePosixPath(m).name)]
    for member in members:
        _copy(fetch(member, mirror, settings), target / PurePosixPath(member).name)
    find_emergency_tables(target)
