"""The package as a researcher installs it: the wheel carries every asset a page needs, the engine installs beside
pandas and geopandas of another minor version without the pipeline's packages and runs the researchers' example
without the repository, and the wheel's pipeline extra runs the default targets (the shared run is built by it)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SHARED, examples, fresh_venv

from coverage.outputs._web_assets import VENDORED

pytestmark = pytest.mark.integration
PIPELINE_ONLY = ("snakemake", "folium", "matplotlib", "jsonschema", "mkdocs", "pytest")


def wheel_example() -> str:
    """The researchers' example written for an installed wheel (the second, under "Installed from the wheel")."""
    return examples("researchers/library.md")[1]


def run_beside_the_data(python: Path, code: str, folder: Path) -> subprocess.CompletedProcess:
    """``code`` run by ``python`` in a folder of its own whose ``../shared/data`` is the mirror: no repository."""
    work = folder / "work"
    work.mkdir(parents=True, exist_ok=True)
    if not (folder / "shared").exists():
        (folder / "shared").symlink_to(SHARED.parent, target_is_directory=True)
    return subprocess.run([str(python), "-c", code], cwd=work, capture_output=True, text=True, timeout=600)


def test_the_wheel_carries_the_pages_assets_and_the_speed_models(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    assets = {f"coverage/outputs/vendor/{relative}" for relative in VENDORED}
    pages = {f"coverage/outputs/{name}" for name in ("page.js", "page.css", "directory.html")}
    assert assets | pages | {"coverage/speeds.py"} <= names
    assert not any(name.startswith(("tests/", "workflow/", "benchmarks/")) for name in names)


def test_the_vendored_assets_are_the_npm_pins():
    """The files shipped in the package are those of the pins of workflow/envs/map-assets/package.json, as `make`
    installs them from npm (`make vendor` copies them)."""
    node_modules = Path(sys.prefix) / "web" / "node_modules"
    for relative in VENDORED:
        shipped = ROOT / "src/coverage/outputs/vendor" / relative
        assert shipped.read_bytes() == (node_modules / relative).read_bytes(), relative


def test_the_engine_installs_beside_other_versions_and_runs_the_example_without_the_repository(wheel, tmp_path):
    python = fresh_venv(tmp_path / "venv", str(wheel), "pandas==3.0.*", "geopandas==1.1.*", compiled=False)
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True,
                            check=True).stdout.lower()  # fmt: skip
    versions = dict(line.split("==") for line in listed.splitlines() if "==" in line)
    assert versions["pandas"].startswith("3.0.") and versions["geopandas"].startswith("1.1.")
    assert not [name for name in PIPELINE_ONLY if name in versions], "the engine alone installs no pipeline package"
    probe = ("import importlib.resources as r, coverage\n"
             "print(coverage.__file__)\n"
             "print(sorted(p.name for p in r.files('coverage.outputs').iterdir()))\n"
             "print(coverage.speeds.CALIBRATED.class_kph['primary'])\n"
             "try:\n    coverage.build_area_map\nexcept ModuleNotFoundError as error:\n    print(error)\n")  # fmt: skip
    probed = run_beside_the_data(python, probe, tmp_path)
    assert probed.returncode == 0, probed.stderr[-3000:]
    where, assets, primary, missing = probed.stdout.splitlines()
    assert str(tmp_path / "venv") in where and "vendor" in assets and "page.js" in assets and primary == "60.77"
    assert "pip install 'palliative-coverage[maps]'" in missing
    installed = run_beside_the_data(python, wheel_example(), tmp_path)
    assert installed.returncode == 0, installed.stderr[-3000:]
    project = run_beside_the_data(Path(sys.executable), wheel_example(), tmp_path)
    assert project.returncode == 0, project.stderr[-3000:]
    assert installed.stdout == project.stdout, "the same numbers under pandas 3.0 and geopandas 1.1"
    assert re.search(r"2B\s+USP\s+30\s+0\.44", installed.stdout), installed.stdout


def test_the_shared_run_was_made_by_the_wheels_pipeline(run: Path, pipeline_python: Path):
    """The wheel installed with its ``pipeline`` extra (``palliative-coverage[pipeline]``) runs the default targets:
    the run every other test reads was made by the Snakemake of that venv, importing the installed package (not the
    repository's sources)."""
    where = subprocess.run([str(pipeline_python), "-c", "import coverage, snakemake; print(coverage.__file__)"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "site-packages" in where and str(ROOT) not in where
    for target in ("maps/index.html", "maps/corse.html", "maps/annuaire-corse.html", "reports/corse.pdf",
                   "data/processed/access_commune.csv", "data/processed/indicators_departement.csv"):
        assert (run / target).stat().st_size > 0, target
    page = (run / "maps/corse.html").read_text(encoding="utf-8")
    assert "Leaflet" in page and "https://unpkg.com" not in page, "Leaflet inlined from the package"
