"""Isochrones: the contoured grid beside the exact construction, on real départements and a large synthetic one.

Cases:

- ``corse-2A``, ``corse-2B``: the départements of a finished run (``--run``): their network and node times;
- ``synthetic``: the jobs benchmark's road-like grid of ``--nodes`` nodes (default 2,000,000) filling the cut
  of the Gironde (33), with the node times of its access job.

For each case, the ``isochrones`` job runs as the workflow runs it (``python -m coverage isochrones``, under
``prlimit --as``), once per method (``access.isochrone_method``: ``grid``, ``exact``), side by side: wall
time (s) and peak resident memory (MB). Then, for every service and threshold, the fidelity of each
method's band (:func:`coverage.core.isochrones.fidelity`): share of the reached road length inside it, share of
its area farther than the buffer from any reached road, and its area against the exact construction's,
cumulative and band by band; summarised as the worst case over services and thresholds.

``split``: Corsica drawn as the workflow does (2A and 2B each on its own network, then merged) against
both départements drawn on one network: the share of each band's area that differs, and the area
where two merged bands overlap.

Prints one JSON document.

``--smoke``: Corse-du-Sud with the contoured grid only, and no split (the tests run it so).

Usage: python benchmarks/isochrones.py --run . [--nodes 2000000] [--cap-gb 4] [--skip-synthetic] [--smoke]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import shapely

from coverage.core.access import load_node_times
from coverage.core.isochrones import EdgeShapes, edges_leaving, fidelity, merge_isochrones, reached_segments
from coverage.core.network import RoadNetwork
from coverage.france.sources.boundaries import load_departements
from coverage.pipeline.steps import access as access_steps
from coverage.pipeline.cli import arguments_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jobs import CONFIG, ROOT, job_steps, measured, synthetic_arrays, synthetic_grid  # noqa: E402  (helpers)

METHODS = ("grid", "exact")
SAMPLES = 20_000


def isochrone_job(folder: Path, departement: str, run: Path, method: str, cap: list[str]) -> dict:
    """Run the isochrones job of a département whose network and node times are in ``folder``; its cost."""
    step, values = job_steps("graphml", None, departement, run, folder, {})["isochrones"]
    settings = {**CONFIG["access"], "isochrone_method": method}
    return measured(arguments_of(step, {**values, "settings": settings,
                                        "isochrones": folder / f"isochrones_{method}.gpkg"}), cap)  # fmt: skip


def cumulative(table: gpd.GeoDataFrame, crs: str) -> dict[tuple[str, float], shapely.Geometry]:
    """Each service's polygon up to each threshold (the union of its bands), in ``crs`` (repaired: rings may
    touch after reprojection)."""
    table = table.to_crs(crs)
    table = table.set_geometry(shapely.make_valid(table.geometry.to_numpy()), crs=crs)
    return {
        (service, upper): shapely.union_all(group.loc[group["min_to"] <= upper].geometry.to_numpy())
        for service, group in table.groupby("service")
        for upper in group["min_to"]
    }


def case_fidelity(folder: Path, departement: str, run: Path) -> dict:
    """Worst fidelity figures of each method's bands over services and thresholds."""
    network = RoadNetwork.load(folder / "network.npz")
    edges = edges_leaving(network, load_departements(run / "data/raw/departements.geojson"), [departement],
                          area_id="code")
    shapes = EdgeShapes.of(network, edges)
    times = load_node_times(folder / "node_times.npz")
    tables = {method: gpd.read_file(folder / f"isochrones_{method}.gpkg") for method in METHODS}
    polygons = {method: cumulative(table, network.crs) for method, table in tables.items()}
    buffer = CONFIG["access"]["isochrone_buffer_m"]
    figures: dict[str, list[dict]] = {method: [] for method in METHODS}
    for (service, upper), reference in polygons["exact"].items():
        seconds, direction = times[service]
        lines = reached_segments(network, shapes, seconds, upper * 60, direction)
        for method in METHODS:
            figures[method].append(fidelity(lines, polygons[method][(service, upper)], reference, buffer, SAMPLES))
    band_difference = tables["grid"]["area_km2"] / tables["exact"]["area_km2"] - 1
    return {
        method: {
            "road_inside_min": round(min(f["road_inside"] for f in rows), 4),
            "beyond_buffer_max": round(max(f["beyond_buffer"] for f in rows), 4),
            "area_difference_max": round(max(abs(f["area_difference"]) for f in rows), 4),
            **({"band_area_difference_max": round(float(band_difference.abs().max()), 4)} if method == "grid" else {}),
        }
        for method, rows in figures.items()
    }


def run_case(folder: Path, departement: str, run: Path, cap: list[str], methods: tuple[str, ...] = METHODS) -> dict:
    """The jobs of each method on one département, then, with both methods, their fidelity."""
    network = RoadNetwork.load(folder / "network.npz")
    costs = {method: isochrone_job(folder, departement, run, method, cap) for method in methods}
    fidelity_figures = case_fidelity(folder, departement, run) if set(methods) == set(METHODS) else None
    return {"nodes": network.n_nodes, "edges": len(network.source), "jobs": costs, "fidelity": fidelity_figures}


def split(run: Path, scratch: Path) -> dict:
    """Corsica drawn per département then merged (the run's outputs) against one network for both."""
    source = CONFIG["networks"]["sources"][0]
    codes, settings = ["2A", "2B"], CONFIG["access"]
    boundaries, processed = run / "data/raw/departements.geojson", run / "data/processed"
    buffer_km = CONFIG["networks"]["buffer_km"]
    editions = {**CONFIG["editions"], "networks": []}
    network, times, access = scratch / "network.npz", scratch / "node_times.npz", scratch / "access.csv"
    access_steps.prepare_network(departements=boundaries, kind="graphml",
                                 path=str(ROOT / CONFIG["mirror"] / source["path"]), codes=codes, buffer_km=buffer_km,
                                 converter_defaults=source["converter_default_maxspeeds"], overpass_url="",
                                 prepared=scratch / "prepared.npz")  # fmt: skip
    fitted = [path for path in [processed / "calibration/speeds_fitted.yaml"] if path.exists()]  # the run's speeds
    access_steps.network(prepared=scratch / "prepared.npz", departements=boundaries, origin=source["path"], codes=codes,
                         buffer_km=buffer_km, horizon_min=settings["horizon_min"], speeds=CONFIG["speeds"],
                         fitted=fitted, network=network, warnings=scratch / "warnings.csv")  # fmt: skip
    referrals = {f"referral_{kind}": scratch / f"referral_{kind}.csv" for kind in ("ehpad", "lisp", "departement")}
    access_steps.access(network=network, communes=processed / "communes.gpkg", facilities=processed / "facilities.csv",
                        population_by_age=run / "data/raw/population_by_age.xls", origin=source["path"], codes=codes,
                        settings=settings, editions=editions, alternative=CONFIG["speeds"]["alternative"],
                        age_year=CONFIG["population_75_plus"]["year"], access=access, sites=scratch / "sites.csv",
                        coverage=scratch / "coverage.csv", critical=scratch / "critical.csv", times=times,
                        ehpad=processed / "ehpad.csv", referral=CONFIG["referral"],
                        **referrals,
                        warnings=scratch / "warnings_access.csv")  # fmt: skip
    access_steps.isochrones(network=network, times=times, access=access, departements=boundaries, codes=codes,
                            settings={**settings, "isochrone_method": "grid"},
                            isochrones=scratch / "whole.gpkg")  # fmt: skip
    parts = [gpd.read_file(processed / "departements" / code / "isochrones.gpkg") for code in codes]
    merged, whole = (frame.to_crs(2154) for frame in (merge_isochrones(parts), gpd.read_file(scratch / "whole.gpkg")))
    differ = [
        shapely.make_valid(a).symmetric_difference(shapely.make_valid(b)).area / b.area
        for a, b in zip(merged.geometry, whole.geometry, strict=True)
        if b.area
    ]
    overlap = sum(
        shapely.make_valid(a).intersection(shapely.make_valid(b)).area
        for _, group in merged.groupby("service")
        for a, b in itertools.combinations(group.geometry, 2)
    )
    return {"differing_area_share_max": round(max(differ), 4), "overlap_km2": round(overlap / 1e6, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("."), help="folder of a finished run (grid method)")
    parser.add_argument("--nodes", type=int, default=2_000_000)
    parser.add_argument("--cap-gb", type=float, default=4.0, help="address-space cap of each job (prlimit --as)")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="Corse-du-Sud, the contoured grid only: seconds")
    arguments = parser.parse_args()
    run, cap = arguments.run.resolve(), ["prlimit", f"--as={int(arguments.cap_gb * 2**30)}"]
    cases = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for code in ("2A",) if arguments.smoke else ("2A", "2B"):
            folder = scratch / f"corse-{code}"
            folder.mkdir()
            for name in ("network.npz", "node_times.npz", "access_commune.csv"):
                (folder / name).symlink_to(run / "data/processed/departements" / code / name)
            cases[f"corse-{code}"] = run_case(folder, code, run, cap, ("grid",) if arguments.smoke else METHODS)
        if arguments.smoke:
            print(json.dumps({"cases": cases, "split": None}, indent=1))
            return
        if not arguments.skip_synthetic:
            folder = scratch / "synthetic"
            folder.mkdir()
            synthetic_arrays(synthetic_grid(run / "data/raw/departements.geojson", "33", arguments.nodes),
                             folder / "network.npz")  # fmt: skip
            measured(arguments_of(*job_steps("graphml", None, "33", run, folder, {})["access"]))
            cases["synthetic"] = run_case(folder, "33", run, cap)
        (scratch / "split").mkdir()
        result = {"cases": cases, "split": split(run, scratch / "split")}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
