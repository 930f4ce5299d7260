"""The run's manifest: every input file with its size, SHA-256 and edition, the config, package versions, outputs."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from ..france.sources.fetch import sha256_of

PACKAGES = (
    "palliative-coverage", "snakemake", "pandas", "numpy", "geopandas", "shapely", "pyogrio", "pyproj", "scipy",
    "networkx", "osmnx", "folium", "matplotlib", "pyarrow", "openpyxl", "requests",
)  # fmt: skip


def describe_file(path: Path) -> dict:
    """Path, size and SHA-256 of one file."""
    return {"path": path.as_posix(), "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def files_under(paths: list[Path]) -> list[Path]:
    """The files named, with the files inside the folders named, sorted."""
    found = set()
    for path in paths:
        found |= {p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")} if path.is_dir() else {path}
    return sorted(found)


def package_versions() -> dict[str, str]:
    """Versions of the packages the numbers depend on, and of Python."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def build_manifest(inputs: dict[str, str], outputs: list[Path], config: dict) -> dict:
    """The manifest of a run.

    Parameters
    ----------
    inputs
        Input file or folder -> edition label of what it holds.
    outputs
        Tables, maps and reports produced (folders are listed file by file).
    config
        The configuration the run used.
    """
    described = [
        describe_file(file) | {"edition": edition}
        for path, edition in sorted(inputs.items())
        for file in files_under([Path(path)])
    ]
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": described,
        "outputs": [describe_file(file) for file in files_under(outputs)],
        "packages": package_versions(),
        "config": config,
    }


def table_digests(run: Path) -> dict[str, str]:
    """SHA-256 of every table of a run by its path in the run: CSV, parquet, GeoPackage, Markdown and network
    arrays under ``data/processed/``, and the reports' Markdown. Two runs giving the same numbers share
    them all (the HTML maps and PDF reports name their elements at random and carry dates)."""
    files = sorted(run.glob("data/processed/**/*")) + sorted(run.glob("reports/*.md"))
    tables = [p for p in files if p.suffix in {".csv", ".parquet", ".gpkg", ".md", ".npz"}]
    return {p.relative_to(run).as_posix(): sha256_of(p) for p in tables}


def write_manifest(manifest: dict, out: Path) -> None:
    """Write the manifest as indented UTF-8 JSON."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
