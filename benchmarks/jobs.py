"""Time and peak memory of each département job, on real networks and on a synthetic one of a large département.

Runs the jobs of a département (``prepare-network``, ``network``, ``access``, ``isochrones``,
``commune-site-times``, ``nearest-sites``, ``siting`` for USP) with the arguments the workflow gives them
(:func:`job_steps`), one ``python -m coverage`` process each,
and reads each process's wall time and peak resident memory. Cases:

- ``corse-2A``, ``corse-2B``: the Corsica GraphML cut to each département plus the buffer;
- ``paris-saclay``: the Paris-Saclay GraphML, run as département 91 (the graph covers part of it);
- ``synthetic``: a road-like graph of ``--nodes`` nodes (default 2,000,000) filling the cut of the
  Gironde (33, the largest metropolitan département), with its real communes and facilities. The
  four jobs after ``network`` run on it, written straight as the network job's arrays;
- ``synthetic-graphml``: the same kind of graph with ``--graphml-nodes`` nodes (default 250,000),
  written as GraphML and run through all six jobs. The prepare-network job reads it with osmnx
  and networkx (about 3 GB per 100,000 nodes), which would not fit this 23 GB machine at 2 million
  nodes: its cost there is the fitted line, reported as such.

Then fits, per job, memory and time as a fixed part plus a part per 1000 nodes (least squares),
and the node count of the real cases as a function of the land area and population of their cut.
Prints one JSON document. Inputs (communes, facilities) come from a finished run in ``--run``.

With ``--from-run``, nothing is run again: the jobs' wall time and peak memory are those Snakemake's
``benchmark:`` directive measured during the run (``data/processed/benchmarks/<job>/<département>.tsv``),
each with its network's node count, fitted the same way when the run's networks differ in size (a
national run; Corsica's two networks are the same island).

``--smoke``: Corse-du-Sud and a synthetic graph of 20,000 nodes written as arrays, fitted on those two (the tests
run it so).

Usage: python benchmarks/jobs.py --run . [--nodes 2000000] [--graphml-nodes 250000] [--skip-synthetic] [--smoke]
       python benchmarks/jobs.py --run . --from-run
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely

from coverage.core.network import RoadNetwork
from coverage.core.speed_model import speed_models
from coverage.france.territories import departement_sizes
from coverage.pipeline.cli import arguments_of
from coverage.pipeline.configuration import read_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = read_config(ROOT / "workflow/config/config.yaml")
JOBS = ("prepare_network", "network", "access", "isochrones", "commune_site_times", "nearest_sites", "siting")
NETWORK_JOBS = ("prepare_network", "network")  # they read the source: skipped when the arrays are written directly
CLASSES = {"residential": 0.55, "unclassified": 0.15, "tertiary": 0.17, "secondary": 0.08, "primary": 0.05}


def measured(arguments: list[str], prefix: list[str] = (), command: list[str] | None = None) -> dict:
    """Run ``python -m coverage <arguments>`` (built by ``arguments_of``; or ``command``), after a ``prefix``
    such as ``prlimit --as=…``; its wall time (s) and peak resident memory (MB).

    The peak is the process's own ``VmHWM`` (read from /proc while it runs; ``prlimit`` runs the
    command in its own process): ``ru_maxrss`` would also count the memory of this benchmark
    process, copied at fork.
    """
    started = time.perf_counter()
    command = command or [sys.executable, "-m", "coverage"]
    process = subprocess.Popen(
        [*prefix, *command, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak_kb = 0
    while process.poll() is None:
        peak_kb = max(peak_kb, _high_water_kb(process.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{arguments[0]} failed: {process.stderr.read()[-2000:]}")
    return {"s": round(seconds, 2), "mb": round(peak_kb / 1024)}


def _high_water_kb(pid: int) -> int:
    """Peak resident memory of a running process so far (kB), 0 once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def job_steps(kind: str, source: Path | None, departement: str, run: Path, out: Path, converter: dict
               ) -> dict[str, tuple[str, dict]]:  # fmt: skip
    """The step and keyword arguments of each job of one département, wired as the workflow wires them."""
    settings, codes, buffer_km = CONFIG["access"], [departement], CONFIG["networks"]["buffer_km"]
    boundaries, register = run / "data/raw/departements.geojson", run / "data/processed/finess.parquet"
    communes, facilities = run / "data/processed/communes.gpkg", run / "data/processed/facilities.csv"
    network, access, times = out / "network.npz", out / "access_commune.csv", out / "node_times.npz"
    return {
        "prepare_network": ("prepare_network", {
            "departements": boundaries, "kind": kind, "path": str(source), "codes": codes, "buffer_km": buffer_km,
            "converter_defaults": converter, "overpass_url": "", "prepared": out / "prepared.npz"}),
        "network": ("network", {
            "prepared": out / "prepared.npz", "departements": boundaries, "origin": Path(str(source)).name,
            "codes": codes, "buffer_km": buffer_km, "horizon_min": settings["horizon_min"],
            "speeds": CONFIG["speeds"], "fitted": [], "network": network, "warnings": out / "warnings.csv"}),
        "access": ("access", {
            "network": network, "communes": communes, "facilities": facilities,
            "population_by_age": run / "data/raw/population_by_age.xls", "origin": str(source), "codes": codes,
            "settings": settings, "editions": {**CONFIG["editions"], "networks": []},
            "alternative": CONFIG["speeds"]["alternative"], "age_year": CONFIG["population_75_plus"]["year"],
            "access": access, "sites": out / "access_sites.csv", "coverage": out / "coverage.csv",
            "critical": out / "critical_sites.csv", "times": times, "warnings": out / "warnings_access.csv",
            "ehpad": run / "data/processed/ehpad.csv", "referral": CONFIG["referral"],
            **{f"referral_{kind}": out / f"referral_{kind}.csv" for kind in ("ehpad", "lisp", "departement")}}),
        "isochrones": ("isochrones", {
            "network": network, "times": times, "access": access, "departements": boundaries, "codes": codes,
            "settings": settings, "isochrones": out / "isochrones.gpkg"}),
        "commune_site_times": ("commune_site_times", {
            "network": network, "access": access, "facilities": facilities, "settings": settings,
            "e2sfca": CONFIG["e2sfca"], "travel_times": out / "travel_times.parquet"}),
        "nearest_sites": ("nearest_sites", {
            "network": network, "access": access, "facilities": facilities, "settings": settings,
            "sites_per_service": CONFIG["directory"]["sites_per_service"], "nearest": out / "nearest_sites.csv"}),
        "siting": ("siting", {
            "network": network, "access": access, "facilities": facilities, "register": register, "codes": codes,
            "service": "USP", "settings": settings, "siting": CONFIG["siting"], "proposals": out / "siting.csv",
            "communes": out / "siting_communes.csv"}),
    }  # fmt: skip


def run_jobs(source: Path | None, departement: str, run: Path, out: Path, converter: dict) -> dict:
    """The jobs of one département, in order, each measured; without a source, its arrays are already in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    steps = job_steps("graphml", source, departement, run, out, converter)
    costs = {job: measured(arguments_of(*steps[job])) for job in JOBS if source is not None or job not in NETWORK_JOBS}
    network = RoadNetwork.load(out / "network.npz")
    return {"nodes": network.n_nodes, "edges": len(network.source), "jobs": costs}


def synthetic_grid(departements: Path, departement: str, nodes: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A jittered grid of about ``nodes`` nodes filling the département's cut, 35 % of links missing, 5 % one-way.

    Returns WGS84 ``lon``/``lat`` per node and, per link, ``u``, ``v``, ``length`` (m), ``highway``,
    ``two_way``; the cut's WKT as ``extent``.
    """
    shapes = gpd.read_file(departements)
    cut = shapes[shapes["code"] == departement].to_crs(2154).buffer(CONFIG["networks"]["buffer_km"] * 1000)
    cut = cut.union_all()
    spacing = np.sqrt(cut.area / nodes)
    west, south, east, north = cut.bounds
    xs, ys = np.meshgrid(np.arange(west, east, spacing), np.arange(south, north, spacing))
    rng = np.random.default_rng(seed)
    x = xs + rng.uniform(-0.3, 0.3, xs.shape) * spacing
    y = ys + rng.uniform(-0.3, 0.3, ys.shape) * spacing
    inside = shapely.contains_xy(cut, x, y)
    index = np.where(inside, np.cumsum(inside).reshape(inside.shape) - 1, -1)
    u = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    v = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    keep = (u >= 0) & (v >= 0) & (rng.random(len(u)) > 0.35)
    u, v = u[keep], v[keep]
    points = gpd.GeoSeries(gpd.points_from_xy(x[inside], y[inside]), crs=2154)
    lon, lat = points.to_crs(4326).get_coordinates().to_numpy().T
    extent = gpd.GeoSeries([cut], crs=2154).to_crs(4326).iloc[0]
    return {
        "lon": lon, "lat": lat, "u": u, "v": v,
        "length": np.hypot(x[inside][u] - x[inside][v], y[inside][u] - y[inside][v]),
        "highway": rng.choice(list(CLASSES), len(u), p=list(CLASSES.values())),
        "two_way": rng.random(len(u)) >= 0.05, "extent": shapely.to_wkt(extent, rounding_precision=6),
    }  # fmt: skip


def synthetic_arrays(grid: dict[str, np.ndarray], path: Path) -> None:
    """Write the grid as the network job would: arrays, speeds of the config's class defaults."""
    both = grid["two_way"]
    source = np.concatenate([grid["u"], grid["v"][both]]).astype(np.int32)
    target = np.concatenate([grid["v"], grid["u"][both]]).astype(np.int32)
    length = np.concatenate([grid["length"], grid["length"][both]])
    highway = np.concatenate([grid["highway"], grid["highway"][both]])
    RoadNetwork(
        node_id=np.arange(len(grid["lon"]), dtype=np.int64), lon=grid["lon"], lat=grid["lat"], source=source,
        target=target, length_m=length, travel_time_s=np.zeros(len(source)), highway=highway.astype("U32"),
        crs="EPSG:2154", extent=grid["extent"],
    ).with_times(*speed_models(CONFIG["speeds"])).save(path)  # fmt: skip


def synthetic_graphml(grid: dict[str, np.ndarray], path: Path) -> None:
    """Write the grid as an osmnx GraphML file (the network job's source)."""
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_nodes_from((i, {"x": x, "y": y}) for i, (x, y) in enumerate(zip(grid["lon"], grid["lat"], strict=True)))
    links = zip(grid["u"].tolist(), grid["v"].tolist(), grid["length"].tolist(), grid["highway"].tolist(),
                grid["two_way"].tolist(), strict=True)  # fmt: skip
    for a, b, metres, kind, both in links:
        graph.add_edge(a, b, length=metres, highway=kind)
        if both:
            graph.add_edge(b, a, length=metres, highway=kind)
    ox.save_graphml(graph, path)


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares intercept and slope."""
    x, y = np.array(points).T
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept), float(slope)


def node_model(cases: dict, run: Path) -> dict:
    """Nodes per km² of land and per inhabitant inside the cut, fitted on the real networks (no intercept)."""
    sizes = departement_sizes(run / "data/raw/departements.geojson", run / "data/raw/population.json",
                              CONFIG["networks"]["buffer_km"])  # fmt: skip
    rows, targets = [], []
    for name, departement in (("corse-2A", "2A"), ("corse-2B", "2B")):
        rows.append([sizes[departement].area_km2, sizes[departement].population])
        targets.append(cases[name]["nodes"])
    if "paris-saclay" in cases:
        rows.append(paris_saclay_size(run))
        targets.append(cases["paris-saclay"]["nodes"])
    (per_km2, per_inhabitant), *_ = np.linalg.lstsq(np.array(rows, dtype=float), np.array(targets, float), rcond=None)
    return {"per_km2": round(float(per_km2), 4), "per_inhabitant": round(float(per_inhabitant), 5),
            "cases": {"land_km2_population": rows, "nodes": targets}}  # fmt: skip


def paris_saclay_size(run: Path) -> list[float]:
    """Land area and population (communes in proportion to their overlap) of the Paris-Saclay graph's hull."""
    network = RoadNetwork.load(run / "benchmarks-jobs/paris-saclay/network.npz")
    hull = gpd.GeoSeries([shapely.MultiPoint(np.column_stack([network.lon, network.lat])).convex_hull], crs=4326)
    hull = hull.to_crs(2154).iloc[0]
    communes = gpd.read_file(run / "data/processed/communes.gpkg", layer="communes").dropna(subset=["geometry"])
    communes = communes.to_crs(2154)
    overlap = communes.intersection(hull).area / communes.area
    return [hull.area / 1e6, float((overlap * communes["population"]).sum())]


def network_nodes(run: Path, job: str, name: str) -> int:
    """Nodes of the network a benchmarked job ran on: the prepared source's, or the département's slice."""
    path = run / (f"data/processed/networks/{name}.npz" if job == "prepare_network"
                  else f"data/processed/departements/{name.split('_')[0]}/network.npz")  # fmt: skip
    with np.load(path) as arrays:
        return len(arrays["lon"])


def from_run(run: Path) -> dict:
    """Each département job as Snakemake's ``benchmark:`` measured it in a run, and the fitted costs."""
    jobs = {}
    for job in JOBS:
        rows = []
        for tsv in sorted((run / "data/processed/benchmarks" / job).glob("*.tsv")):
            measure = pd.read_csv(tsv, sep="\t").iloc[0]
            rows.append({"name": tsv.stem, "nodes": network_nodes(run, job, tsv.stem),
                         "s": round(float(measure["s"]), 2), "mb": round(float(measure["max_rss"]))})  # fmt: skip
        sizes = {row["nodes"] for row in rows}
        fitted = None
        if len(sizes) > 1:
            memory = fit([(row["nodes"] / 1000, row["mb"]) for row in rows])
            seconds = fit([(row["nodes"] / 1000, row["s"]) for row in rows])
            fitted = {"mb": round(memory[0]), "mb_per_knode": round(memory[1], 3), "s": round(seconds[0], 1),
                      "s_per_knode": round(seconds[1], 4)}  # fmt: skip
        jobs[job] = {"measures": rows, "fitted": fitted}
    return {"source": "snakemake benchmark: files of the run", "jobs": jobs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT, help="folder of a finished run (data/raw, data/processed)")
    parser.add_argument("--mirror", type=Path, default=ROOT / CONFIG["mirror"])
    parser.add_argument("--nodes", type=int, default=2_000_000)
    parser.add_argument("--graphml-nodes", type=int, default=250_000)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--from-run", action="store_true", help="read the run's benchmark: files, run nothing")
    parser.add_argument("--smoke", action="store_true", help="Corse-du-Sud and 20,000 synthetic nodes: under a minute")
    arguments = parser.parse_args()
    if arguments.from_run:
        print(json.dumps(from_run(arguments.run.resolve()), indent=2))
        return
    run, corse = arguments.run.resolve(), CONFIG["networks"]["sources"][0]
    folder = run / "benchmarks-jobs"
    cases = {
        f"corse-{d}": run_jobs(arguments.mirror / corse["path"], d, run, folder / f"corse-{d}",
                               corse["converter_default_maxspeeds"])
        for d in (("2A",) if arguments.smoke else ("2A", "2B"))
    }  # fmt: skip
    if arguments.smoke:
        (folder / "synthetic").mkdir(parents=True, exist_ok=True)
        synthetic_arrays(synthetic_grid(run / "data/raw/departements.geojson", "33", 20_000),
                         folder / "synthetic/network.npz")  # fmt: skip
        cases["synthetic"] = run_jobs(None, "33", run, folder / "synthetic", {})
    else:
        cases["paris-saclay"] = run_jobs(arguments.mirror / "roads/paris-saclay-drive.graphml", "91", run,
                                         folder / "paris-saclay", corse["converter_default_maxspeeds"])  # fmt: skip
    if not arguments.skip_synthetic and not arguments.smoke:
        boundaries = run / "data/raw/departements.geojson"
        with tempfile.TemporaryDirectory() as scratch:
            source = Path(scratch) / "synthetic.graphml"
            synthetic_graphml(synthetic_grid(boundaries, "33", arguments.graphml_nodes), source)
            cases["synthetic-graphml"] = run_jobs(source, "33", run, folder / "synthetic-graphml", {})
        (folder / "synthetic").mkdir(parents=True, exist_ok=True)
        synthetic_arrays(synthetic_grid(boundaries, "33", arguments.nodes), folder / "synthetic/network.npz")
        cases["synthetic"] = run_jobs(None, "33", run, folder / "synthetic", {})
    costs = {}
    for job in JOBS:
        measures = [case for case in cases.values() if job in case["jobs"]]
        memory = fit([(case["nodes"] / 1000, case["jobs"][job]["mb"]) for case in measures])
        seconds = fit([(case["nodes"] / 1000, case["jobs"][job]["s"]) for case in measures])
        costs[job] = {"mb": round(memory[0]), "mb_per_knode": round(memory[1], 3),
                      "s": round(seconds[0], 1), "s_per_knode": round(seconds[1], 4)}  # fmt: skip
    nodes = None if arguments.smoke else node_model(cases, run)  # the node model needs the real networks
    print(json.dumps({"cases": cases, "fitted_costs": costs, "network_nodes": nodes}, indent=1))


if __name__ == "__main__":
    main()
