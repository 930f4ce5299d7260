"""A mainland région at real size: every default target of the workflow on a Geofabrik-like extract over its
départements, as a planner runs it, with each job's wall time and peak memory and each page's weight and opening.

Writes a synthetic ``.osm.pbf`` of ``--nodes`` nodes (the kind :mod:`network` writes: roads with shape points,
buildings, landuse, POIs) over the box of the named région's départements (``--departements``: some of them), as a
Geofabrik extract of a région covers it, under their real communes, facilities and official road times. Then runs the workflow in a
folder of its own, with a config that gives only the départements and that extract as their network (default
settings otherwise: calibration, every default target), ``snakemake --cores 2``, under ``/usr/bin/time -v``.
Prints one JSON document:

- ``run``: the whole run's wall time and the peak resident memory of its largest process;
- ``jobs``: each job's wall time and peak resident memory, from the run's ``benchmark:`` files (one per rule and
  département; the calibration has its own);
- ``calibration``: which method fitted the speeds, its routings and judged communes (``speeds_fitted.yaml``);
- ``pages``: each map and report page, its weight and, in headless Chromium at 1366 x 768, its opening time beyond
  a blank page (:mod:`maps`' measure: the median of ``--repeat`` openings) and, on the région map, the picker's
  switch time;
- ``goals``: the issue's goals, met or not.

The extract is kept in ``--work`` with its description and reused by a later run of the same size.

``--smoke``: Territoire de Belfort (90) alone on 300,000 nodes with a 30 km buffer, one opening of each page
(about two minutes; the tests run it so).

Usage: python benchmarks/region.py [--region grand-est] [--departements 54 55 57 88] [--nodes 24000000]
           [--work DIR] [--repeat 5] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from maps import OLD_REGION_PAGE, SWITCH_NEW, blank_page, measure, old_page  # noqa: E402  (the maps' Chromium measure)
from network import generate  # noqa: E402  (the synthetic Geofabrik-like extract)

from coverage.france.territories import Territories, slug  # noqa: E402
from coverage.pipeline.configuration import read_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = read_config(ROOT / "workflow/config/config.yaml")
MIRROR = (ROOT / CONFIG["mirror"]).resolve()
LORRAINE = ["54", "55", "57", "88"]
SMOKE = {"departements": ["90"], "nodes": 300_000, "buffer_km": 30}
GOALS = {"run_s": 600, "calibration_s": 300, "calibration_mb": 4096, "region_map_mb": 5, "region_map_beyond_blank_s": 1,
         "switch_ms": 200}  # fmt: skip


def region_departements(region: str) -> list[str]:
    """The départements of a région named by its slug (``grand-est``) or its code (``44``)."""
    territories = Territories.read(MIRROR / CONFIG["sources"]["departement_regions"], MIRROR / CONFIG["sources"]["regions"])
    codes = {slug(name): code for code, name in territories.region_names.items()}
    wanted = codes.get(region, region)
    found = sorted(d for d, r in territories.region_of.items() if r == wanted)
    if not found:
        raise SystemExit(f"no région {region!r}: one of {', '.join(sorted(codes))}")
    return found


def extract_box(codes: list[str]) -> tuple[float, float, float, float]:
    """The box (lon, lat) of the départements: what a Geofabrik extract of their région covers."""
    shapes = gpd.read_file(MIRROR / CONFIG["sources"]["departements"])
    return tuple(float(v) for v in shapes[shapes["code"].isin(codes)].total_bounds)


def extract(work: Path, codes: list[str], nodes: int) -> tuple[Path, dict]:
    """The synthetic extract over the départements: the one a former run left in ``work``, or a new one."""
    name = f"region-{'-'.join(codes)}"
    pbf, description = work / f"{name}-{nodes}.osm.pbf", work / f"{name}-{nodes}.json"
    if pbf.exists() and description.exists():
        return pbf, json.loads(description.read_text())
    pbf, content = generate(work, nodes, extract_box(codes), name)
    description.write_text(json.dumps(content))
    return pbf, content


def run_workflow(folder: Path, codes: list[str], pbf: Path, buffer_km: float) -> dict:
    """Every default target on the extract, as a planner runs it: wall time, peak memory of the largest process."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"departements": codes, "networks": {"buffer_km": buffer_km, "sources": [
        {"departements": "all", "source": "osm", "path": str(pbf), "edition": "Extrait synthétique (benchmark)"}]}}
    (folder / "config.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
               "--cores", "2", "--directory", str(folder), "--configfile", str(folder / "config.yaml")]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=folder)
    seconds = time.perf_counter() - started
    (folder / "snakemake.err").write_text(result.stderr, encoding="utf-8")
    if result.returncode != 0:
        raise RuntimeError(f"the run failed: {result.stderr[-3000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return {"s": round(seconds, 1), "largest_process_mb": round(int(peak.group(1)) / 1024) if peak else None}


def job_costs(folder: Path) -> dict:
    """Each job's wall time (s) and peak memory (MB) from the run's benchmark: files, by rule: ``mb``, the resident
    memory of the job's processes added up (Snakemake's ``max_rss``), and ``pss_mb``, their proportional share (a
    page shared by the processes a job forks counts once, as a cluster's memory accounting counts it)."""
    jobs: dict[str, dict] = {}
    for tsv in sorted((folder / "data/processed/benchmarks").rglob("*.tsv")):
        measure = pd.read_csv(tsv, sep="\t").iloc[0]
        jobs.setdefault(tsv.parent.name, {})[tsv.stem] = {
            "s": round(float(measure["s"]), 1), "mb": round(float(measure["max_rss"])),
            "pss_mb": round(float(measure["max_pss"]))}  # fmt: skip
    return jobs


def calibration(folder: Path) -> dict:
    """How the run fitted its speeds, as ``speeds_fitted.yaml`` states it: method, routings, fits, and its header."""
    fitted = folder / "data/processed/calibration/speeds_fitted.yaml"
    header = [line[2:] for line in fitted.read_text(encoding="utf-8").splitlines() if line.startswith("# ")]
    stated = next((line for line in header if line.startswith("Method: ")), "")
    numbers = re.search(r"Method: (.+?)\. The fit: (\d+) routings, (\d+) model evaluations.*?; (\d+) fits and (\d+) "
                        r"routings in all", stated)  # fmt: skip
    keys = ("method", "routings", "evaluations", "fits", "routings_in_all")
    summary = dict(zip(keys, [numbers.group(1), *map(int, numbers.groups()[1:])], strict=True)) if numbers else {}
    return {**summary, "header": header}


def pages(folder: Path, region: str, repeat: int, baseline: str) -> dict:
    """Weight and opening time beyond a blank page of each page the run writes, the région map's picker switch, and
    the région map of ``baseline`` built from the same tables beside it (:mod:`maps`' measure, in a Chromium profile
    of its own)."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        opened = {"blank": blank_page(work), **{p.name: p for p in sorted((folder / "maps").glob("*.html"))},
                  **{f"reports/{p.name}": p for p in sorted((folder / "reports").glob("*.html"))}}  # fmt: skip
        old = old_page(baseline, work, OLD_REGION_PAGE, [str(folder), region, str(work / "old-region.html")],
                       "old-region.html")  # fmt: skip
        if isinstance(old, Path):
            opened[f"{region}.html (old, {baseline})"] = old
        switched = {name: SWITCH_NEW for name in opened if name.startswith(f"{region}.html")}
        figures = measure(opened, switched, repeat, work)
    for pdf in sorted((folder / "reports").glob("*.pdf")):
        figures[f"reports/{pdf.name}"] = {"weight_mb": round(pdf.stat().st_size / 1e6, 2)}
    return figures if isinstance(old, Path) else {**figures, "old_region_map": old}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="grand-est", help="slug or code of the région")
    parser.add_argument("--departements", nargs="*", default=LORRAINE, help="some of its départements (default: "
                        "Lorraine's four; none: all of them)")  # fmt: skip
    parser.add_argument("--nodes", type=int, default=24_000_000, help="nodes of the synthetic extract")
    parser.add_argument("--work", type=Path, default=None, help="folder for the extract and the run (kept)")
    parser.add_argument("--repeat", type=int, default=5, help="openings of each page")
    parser.add_argument("--region-baseline-commit", default="077266f", help="the commit whose région map is compared")
    parser.add_argument("--smoke", action="store_true", help="Territoire de Belfort on 300,000 nodes: minutes")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.region, arguments.departements, arguments.nodes = "bourgogne-franche-comte", SMOKE["departements"], \
            SMOKE["nodes"]  # fmt: skip
    members = region_departements(arguments.region)
    codes = sorted(arguments.departements or members)
    if not set(codes) <= set(members):
        raise SystemExit(f"départements {', '.join(sorted(set(codes) - set(members)))} are not in {arguments.region}")
    buffer_km = SMOKE["buffer_km"] if arguments.smoke else CONFIG["networks"]["buffer_km"]
    with tempfile.TemporaryDirectory() as scratch:
        work = (arguments.work or Path(scratch)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        pbf, content = extract(work, codes, arguments.nodes)
        print(json.dumps({"extract": content}), file=sys.stderr, flush=True)
        folder = work / f"run-{'-'.join(codes)}-{arguments.nodes}"
        run = run_workflow(folder, codes, pbf, buffer_km)
        print(json.dumps({"run": run}), file=sys.stderr, flush=True)
        region = slug(arguments.region) if not arguments.region.isdigit() else next(
            p.stem for p in (folder / "maps").glob("*.html") if not p.stem.startswith(("index", "annuaire")))
        jobs = job_costs(folder)
        opened = pages(folder, region, 1 if arguments.smoke else arguments.repeat, arguments.region_baseline_commit)
        fitted = calibration(folder)
    calibration_job = next(iter(jobs.get("calibration", {}).values()), {"s": None, "pss_mb": None})
    region_map = opened[f"{region}.html"]
    goals = {
        "run_at_most_10_min": run["s"] <= GOALS["run_s"],
        "calibration_at_most_5_min": calibration_job["s"] is not None and calibration_job["s"] <= GOALS["calibration_s"],
        "calibration_at_most_4_gb": calibration_job["pss_mb"] is not None
        and calibration_job["pss_mb"] <= GOALS["calibration_mb"],
        "region_map_at_most_5_mb": region_map["weight_mb"] <= GOALS["region_map_mb"],
        "region_map_at_most_1_s_beyond_blank": region_map["beyond_blank_s"] <= GOALS["region_map_beyond_blank_s"],
        "switch_at_most_200_ms": region_map["switch_ms"]["slowest"] <= GOALS["switch_ms"],
    }  # fmt: skip
    print(json.dumps({"region": region, "departements": codes, "buffer_km": buffer_km, "extract": content, "run": run,
                      "jobs": jobs, "calibration": fitted, "pages": opened, "goals": goals}, indent=1,
                     ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
