"""The speed model fitted across terrains and judged on communes and départements it never saw, as one JSON object.

Reads a finished run (``make run``: ``communes.gpkg`` with the chef-lieu points, and Corsica's prepared network) and,
from the mirror, the national DREES reference, the SAE emergency tables and the Paris-Saclay graph; then runs the
pipeline's calibration (``coverage.core.calibration.calibrate``, the config's ``calibration`` settings) on every
département with a network and reference times: Haute-Corse (2B, mountain, the Corsica network) and the Essonne
and Yvelines communes the Paris-Saclay graph can judge (91, 78; suburban, with motorways and expressways). Reports:

- ``judged``: per département, why each reference commune is or is not judged (hosts of a site, off the network,
  nearest site off it or beyond its open edge);
- ``pooled``: the fit on every judged commune (the shipped model: ``--fragment`` writes it as a config fragment),
  in sample, by 5-fold cross-validation over the pooled communes, and each département by the fit on the others
  (mountain judged by suburban and the reverse); the shipped model and the legal limits on the same communes;
- ``class_groups``: kilometres the fitting trips drive on each class group and the speed as driven;
- ``origins``: the same, trips starting from each commune's chef-lieu (as the reference) against the former
  origin (the road nearest the commune's representative point), side by side;
- ``long_trips``: Porto-Vecchio and Bastia to Ajaccio, chef-lieu to chef-lieu: length, roads, bends, and minutes
  under each model and at the legal limits;
- ``exact_routing``: the largest gap between the library's commune minutes and networkx's Dijkstra.

``--smoke``: Haute-Corse alone, 40 of its communes, 2 folds, no former origin (seconds; the tests run it so).

Usage: python benchmarks/calibration.py [--run .] [--fragment speeds_fitted.yaml] [--skip-origins] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from coverage.core.access import AccessModel, Router
from coverage.core.calibration import (
    FitSettings,
    Reference,
    Trips,
    calibrate,
    config_fragment,
    reference_communes,
)  # fmt: skip
from coverage.core.geometry import buffered_area
from coverage.core.network import RoadNetwork, main_component
from coverage.core.readers import load_network
from coverage.core.speed_model import SpeedModel, speed_models
from coverage.france.constants import COLUMNS, area_crs
from coverage.france.sources.emergency import emergency_sites, find_emergency_tables
from coverage.france.sources.finess import load_finess
from coverage.france.sources.reference import load_reference_times
from coverage.pipeline.configuration import read_config
from coverage.pipeline.steps._shared import read_communes

ROOT = Path(__file__).resolve().parents[1]
CONFIG = read_config(ROOT / "workflow/config/config.yaml")
MIRROR = (ROOT / CONFIG["mirror"]).resolve()
SACLAY = MIRROR / "roads" / "paris-saclay-drive.graphml"
TERRAINS = {"2B": "corsica", "78": "saclay", "91": "saclay"}
LONG_TRIPS = {"Porto-Vecchio -> Ajaccio": ("2A247", "2A004"), "Bastia -> Ajaccio": ("2B033", "2A004")}
SUMMARY = ["communes", "timed", "median_bias_min", "mean_abs_error_min", "share_within_5_min", "population_beyond_30",
           "reference_population_beyond_30"]  # fmt: skip


def networks(run: Path) -> dict[str, RoadNetwork]:
    """The prepared Corsica network of the run, and the Paris-Saclay graph prepared as the pipeline would
    (its converter's default limits untagged, cut to 78 and 91 plus the buffer), each its main component."""
    corsica = RoadNetwork.load(run / "data/processed/networks/corse-drive.graphml.npz")
    shapes = gpd.read_file(run / "data/raw/departements.geojson")
    shapes = shapes[shapes["code"].isin(["78", "91"])]
    crs = area_crs(shapes)
    converter = CONFIG["networks"]["sources"][0]["converter_default_maxspeeds"]
    saclay = load_network("graphml", SACLAY, buffered_area(shapes, crs, CONFIG["networks"]["buffer_km"]), crs,
                          converter_defaults_kph=converter)  # fmt: skip
    return {"corsica": main_component(corsica)[0], "saclay": main_component(saclay)[0]}


def references(run: Path, origin: str, smoke: bool = False) -> list[Reference]:
    """The reference communes of every département with a network, placed with ``origin``, judged (with ``smoke``,
    40 communes of Haute-Corse)."""
    settings = CONFIG["calibration"]
    communes = read_communes(run / "data/processed/communes.gpkg")
    times = load_reference_times(MIRROR / CONFIG["sources"]["reference_times"], settings["code_column"],
                                 settings["minutes_column"], communes)  # fmt: skip
    tables = find_emergency_tables(MIRROR / CONFIG["sources"]["reference_sites"])
    sites, _ = emergency_sites(tables["URGENCES2"], tables["SMURSAMU"], load_finess(run / "data/raw/finess.csv"))
    land = gpd.read_file(run / "data/raw/departements.geojson").union_all()
    access = AccessModel.from_config({**CONFIG["access"], "origin": origin})
    minutes = times.set_index("commune")["minutes"]
    if smoke:
        corsica = main_component(RoadNetwork.load(run / "data/processed/networks/corse-drive.graphml.npz"))[0]
        few = minutes[minutes.index.str.startswith("2B")].iloc[:40]
        return [reference_communes("2B", corsica, communes, few, sites, access, direction=settings["direction"],
                                   land=land, columns=COLUMNS)]  # fmt: skip
    loaded = networks(run)
    return [reference_communes(code, loaded[terrain], communes, minutes, sites, access, direction=settings["direction"],
                               land=land, columns=COLUMNS) for code, terrain in TERRAINS.items()]  # fmt: skip


def summary(validation: pd.DataFrame) -> dict:
    """Role -> scope -> the figures, all communes of each scope."""
    every = validation[validation["band"] == "all"]
    return {role: {scope: {k: round(float(v), 4) for k, v in row[SUMMARY].items()}
                   for scope, row in group.set_index("departements").iterrows()}
            for role, group in every.groupby("role", sort=False)}  # fmt: skip


def by_band(validation: pd.DataFrame, role: str) -> dict:
    """Median bias and mean absolute error of a role by band of official minutes, every judged commune."""
    rows = validation[(validation["role"] == role) & (validation["departements"] == "all")].set_index("band")
    return {band: {"communes": int(row["timed"]), "median_bias_min": round(float(row["median_bias_min"]), 2),
                   "mean_abs_error_min": round(float(row["mean_abs_error_min"]), 2)}
            for band, row in rows.iterrows() if band != "all"}  # fmt: skip


def study(run: Path, origin: str, smoke: bool = False) -> tuple[dict, object]:
    """The pooled calibration with trips starting at ``origin``: judged communes, validation, class groups."""
    settings = CONFIG["calibration"]
    models = CONFIG["speeds"]["models"]
    shipped = SpeedModel.from_config(settings["model"], models[settings["model"]])
    legal = speed_models(CONFIG["speeds"])[1]
    placed = references(run, origin, smoke)
    started = time.perf_counter()
    result = calibrate(placed, shipped, {"shipped": shipped, "alternative": legal},
                       FitSettings.from_config(settings, models), label=settings["label"],
                       folds=2 if smoke else settings["folds"], min_communes=settings["min_communes"])  # fmt: skip
    seconds = time.perf_counter() - started
    judged = {r.departement: pd.Series(r.notes).value_counts().to_dict() for r in placed}
    groups = result.exposure.round(2).to_dict(orient="records")
    model = result.models["fitted"]
    figures = {"judged": judged, "validation": summary(result.validation), "class_groups": groups,
               "bands": {role: by_band(result.validation, role) for role in ("fitted", "k_fold")},
               "fitted_model": model.as_config(), "calibration_seconds": round(seconds, 1)}  # fmt: skip
    return figures, result


def route(network: RoadNetwork, model: SpeedModel, start: tuple[float, float], end: tuple[float, float]) -> dict:
    """The fastest route under ``model`` between two points: minutes, km, km by class, length-weighted sinuosity."""
    router = Router(network.with_times(model))
    a, b = (router.snap(np.array([p[0]]), np.array([p[1]]), 2000).node[0] for p in (start, end))
    seconds, previous = dijkstra(router.forward, indices=a, return_predecessors=True)
    path = [b]
    while path[-1] != a:
        path.append(previous[path[-1]])
    pairs = pd.DataFrame({"source": path[:0:-1], "target": path[-2::-1]})
    edges = pd.DataFrame({"source": network.source, "target": network.target, "s": router.network.travel_time_s,
                          "m": network.length_m, "highway": network.highway, "sinuosity": network.sinuosity})  # fmt: skip
    used = pairs.merge(edges.sort_values("s").drop_duplicates(["source", "target"]), on=["source", "target"])
    km = used.groupby("highway")["m"].sum() / 1000
    return {"minutes": round(float(seconds[b]) / 60, 1), "km": round(float(used["m"].sum()) / 1000, 1),
            "km_by_class": km.round(1).sort_values(ascending=False).to_dict(),
            "sinuosity": round(float(np.average(np.minimum(used["sinuosity"], 3), weights=used["m"])), 3)}  # fmt: skip


def long_trips(run: Path, fitted: SpeedModel) -> dict:
    """Porto-Vecchio and Bastia to Ajaccio (chef-lieu to chef-lieu) under the fitted, shipped and legal models."""
    communes = read_communes(run / "data/processed/communes.gpkg").set_index("code")
    corsica = main_component(RoadNetwork.load(run / "data/processed/networks/corse-drive.graphml.npz"))[0]
    models = {"fitted": fitted, **dict(zip(["shipped", "legal_limits"], speed_models(CONFIG["speeds"]), strict=True))}
    point = lambda code: (communes.at[code, "chef_lieu_lon"], communes.at[code, "chef_lieu_lat"])  # noqa: E731
    return {name: {role: route(corsica, model, point(a), point(b)) for role, model in models.items()}
            for name, (a, b) in LONG_TRIPS.items()}  # fmt: skip


def networkx_minutes(trips: Trips, model: SpeedModel) -> np.ndarray:
    """Commune minutes by networkx's multi-source Dijkstra on the edge times of ``model`` (patients to sites)."""
    network = trips.network
    graph = nx.DiGraph()
    seconds = model.edge_seconds(network)
    for u, v, s in zip(network.source.tolist(), network.target.tolist(), seconds.tolist(), strict=True):
        if not graph.has_edge(v, u) or graph[v][u]["weight"] > s:
            graph.add_edge(v, u, weight=s)  # reversed: from the sites back to the communes
    for j, (node, offset) in enumerate(zip(trips.site_node.tolist(), trips.site_s.tolist(), strict=True)):
        graph.add_edge(("site", j), node, weight=offset)
    lengths = nx.multi_source_dijkstra_path_length(graph, [("site", j) for j in range(len(trips.site_node))])
    return (np.array([lengths.get(n, np.inf) for n in trips.origin_node.tolist()]) + trips.origin_s) / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT, help="folder of a finished run")
    parser.add_argument("--fragment", type=Path, help="write the pooled fit here as a config fragment")
    parser.add_argument("--skip-origins", action="store_true", help="leave out the former origin's study")
    parser.add_argument("--smoke", action="store_true", help="40 communes of Haute-Corse: seconds")
    arguments = parser.parse_args()
    pooled, result = study(arguments.run, "chef_lieu", arguments.smoke)
    if arguments.fragment:
        arguments.fragment.write_text(config_fragment(result, CONFIG["calibration"]["label"]), encoding="utf-8")
    skip = arguments.skip_origins or arguments.smoke
    origins = {} if skip else {"nearest_road": study(arguments.run, "nearest_road")[0]["validation"]}
    corsica = references(arguments.run, "chef_lieu", arguments.smoke)[0]
    trips = corsica.trips.subset(corsica.counted)
    fitted = result.models["fitted"]
    exact = np.nanmax(np.abs(trips.minutes(fitted) - networkx_minutes(trips, fitted))) * 60
    print(json.dumps({
        "reference": CONFIG["calibration"]["label"], "pooled": pooled,
        "origins": {"chef_lieu": pooled["validation"], **origins},
        "long_trips": long_trips(arguments.run, fitted), "exact_routing": {"max_difference_s": float(exact)},
    }, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
