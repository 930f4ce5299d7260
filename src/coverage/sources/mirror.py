"""Fill ``data/raw/`` from a local mirror folder of the official files."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import InputError, Problem
from .sae import find_edition


def _copy_file(source: Path, target: Path) -> None:
    """Copy one file (contents only: the mirror may be read-only), creating the target folder."""
    if not source.is_file():
        raise InputError(source, Problem("an existing file in the mirror folder"))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def copy_sae(folder: str | Path, target: str | Path) -> None:
    """Copy the ID, PALIA and HAD files of the SAE edition found in ``folder`` into ``target``."""
    edition = find_edition(folder)
    for path in edition.files.values():
        _copy_file(path, Path(target) / path.name)


def copy_file(source: str | Path, target: str | Path) -> None:
    """Copy one input file into ``data/raw/``."""
    _copy_file(Path(source), Path(target))


def copy_communes(folder: str | Path, target: str | Path) -> None:
    """Copy every ``communes-*.geojson`` file of ``folder`` into ``target``."""
    files = sorted(Path(folder).glob("communes-*.geojson"))
    if not files:
        raise InputError(folder, Problem("files named communes-<département>.geojson"))
    for path in files:
        _copy_file(path, Path(target) / path.name)
