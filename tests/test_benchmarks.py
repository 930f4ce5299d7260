"""Benchmarks that cannot rot: every script under benchmarks/ runs at its ``--smoke`` size on the session's run and
prints the JSON the documentation's figures come from (keys, and the routing kernel's difference to networkx)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.integration


def benchmark(name: str, *arguments: str, timeout: int = 600) -> dict:
    """Run ``benchmarks/<name>.py`` with ``arguments``; its JSON."""
    command = [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *arguments]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_every_benchmark_is_tested_here():
    scripts = {path.stem for path in (ROOT / "benchmarks").glob("*.py")}
    tested = {"routing", "calibration", "directory", "identical_runs", "isochrones", "jobs", "network", "maps", "region"}
    assert scripts == tested


def test_routing_kernel_equals_networkx():
    figures = benchmark("routing", "--smoke")
    for case in ("corsica", "synthetic"):
        assert figures[case]["max_abs_diff_s"] == 0 and figures[case]["same_unreachable"], case
        assert figures[case]["nodes"] > 0 and figures[case]["kernel_s"] > 0 and figures[case]["networkx_s"] > 0


def test_region_at_real_size_every_target_on_a_synthetic_extract():
    """The région benchmark at its smoke size (Territoire de Belfort): every default target built on a Geofabrik-like
    extract, each job measured, each page opened in Chromium, the calibration's method read from its output."""
    figures = benchmark("region", "--smoke", timeout=900)
    assert figures["departements"] == ["90"] and figures["region"] == "bourgogne-franche-comte"
    assert figures["extract"]["nodes"] > 250_000 and figures["run"]["s"] > 0
    assert {"prepare_network", "calibration", "network", "access", "isochrones"} <= set(figures["jobs"])
    assert figures["calibration"]["method"] == "paths kept between routings" and figures["calibration"]["routings"] > 0
    pages = figures["pages"]
    assert pages["script_errors"] == []
    for page in ("index.html", "bourgogne-franche-comte.html", "annuaire-bourgogne-franche-comte.html",
                 "reports/bourgogne-franche-comte.html"):
        assert pages[page]["weight_mb"] > 0 and pages[page]["open_s"] > 0, page
    assert pages["bourgogne-franche-comte.html"]["switch_ms"]["indicators"] == 5
    assert pages["reports/bourgogne-franche-comte.pdf"]["weight_mb"] > 0


def test_calibration_study(run: Path):
    figures = benchmark("calibration", "--run", str(run), "--smoke")
    assert set(figures) == {"reference", "pooled", "origins", "long_trips", "exact_routing"}
    assert figures["exact_routing"]["max_difference_s"] == 0
    assert {"fitted", "k_fold", "shipped", "alternative"} <= set(figures["pooled"]["validation"])
    assert figures["pooled"]["judged"]["2B"]["judged"] > 30
    assert set(figures["long_trips"]) == {"Porto-Vecchio -> Ajaccio", "Bastia -> Ajaccio"}


def test_directory_page(run: Path):
    figures = benchmark("directory", "--run", str(run), "--smoke")
    assert figures["communes"] == 360 and figures["job"]["peak_mb"] > 0 and figures["job"]["page_mb"] > 0
    # Corte's postcode is shared by several communes: a list; a name with one match is chosen at once, no list.
    assert figures["chromium"]["queries"]["20250"]["suggestions"] >= 2


def test_national_and_region_maps_beside_the_pages_they_replaced(run: Path):
    """Timings are the benchmark's to report (a loaded test machine makes them noisy); the weights are exact."""
    figures = benchmark("maps", "--run", str(run), "--smoke")
    assert figures["script_errors"] == [] and figures["region"]["name"] == "corse"
    for page, commit, choices in (("national", "223eee8", 24), ("region", "077266f", 5)):
        compared = figures[page]["baseline"] == commit
        assert compared or figures[page]["baseline"].startswith("unavailable: "), "only a clone without the commit"
        new, old = figures[page]["new"], figures[page]["old"]
        assert new["open_s"] > 0 and len(new["open_runs_s"]) == 1
        assert new["switch_ms"]["indicators"] == choices and new["switch_ms"]["slowest"] > 0
        assert old is None or (old["open_s"] > 0 and old["weight_mb"] > 4 * new["weight_mb"]), page
    assert figures["goals"]["national_weight_at_most_4_mb"] and figures["goals"]["region_weight_at_most_5_mb"]


def test_identical_runs_tell_a_changed_table(run: Path, tmp_path: Path):
    """A run against itself: every table identical (exit 0); against a copy with one table changed: named (exit 1)."""
    same = benchmark("identical_runs", str(run), str(run))
    assert same["differ"] == [] and same["tables"] == same["identical"] >= 30
    copy = tmp_path / "copy"
    for folder in ("data", "reports"):
        shutil.copytree(run / folder, copy / folder)
    table = copy / "data/processed/national_totals.csv"
    table.write_text(table.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks/identical_runs.py"), str(run), str(copy)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 1 and json.loads(result.stdout)["differ"] == ["data/processed/national_totals.csv"]


def test_isochrone_job(run: Path):
    figures = benchmark("isochrones", "--run", str(run), "--smoke")
    assert list(figures["cases"]) == ["corse-2A"] and figures["cases"]["corse-2A"]["jobs"]["grid"]["s"] > 0


def test_departement_jobs_and_their_fitted_costs(run: Path):
    figures = benchmark("jobs", "--run", str(run), "--smoke")
    assert set(figures["cases"]) == {"corse-2A", "synthetic"}
    for job in ("network", "access", "isochrones", "commune_site_times", "nearest_sites", "siting"):
        assert figures["fitted_costs"][job]["mb"] is not None, job


def test_extract_reader_and_national_split(run: Path):
    """The network jobs on a Geofabrik-like extract, and the split of a France-shaped one into the 101 pieces."""
    figures = benchmark("network", "--run", str(run), "--smoke")
    (size,) = figures["sizes"].values()
    assert size["extract"]["nodes"] > 150_000 and size["jobs"]["prepare_network"]["mb"] > 0
    france = benchmark("network", "--run", str(run), "--france", "--smoke", "--pieces-per-pass", "30")["france"]
    assert france["split"]["one_pass"]["pieces"] == 101 and france["split"]["passes_of_30"]["passes"] == 4
    assert france["largest_piece"]["network_nodes"] > 0 and france["largest_piece"]["jobs"]["access"]["s"] > 0
