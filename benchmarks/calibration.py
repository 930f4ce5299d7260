"""Validation of the speed model against the official Haute-Corse road times, printed as one JSON object.

Reads a finished run (``make run``: the 2B network ``data/processed/departements/2B/network.npz`` and
``communes.gpkg``) and the reference files of the configuration, then reports:

- ``shipped``: the configured model (``speeds.model``) and its alternative against the reference,
  all communes and by band of official minutes (median bias, mean absolute error, share within 5 min,
  population beyond 30 min against the reference's);
- ``cross_validation``: the model refitted on 4/5 of the communes and judged on the fifth left out
  (5 folds), and refitted on the northern half then judged on the southern one and back: how it holds
  on communes it was not fitted on;
- ``origins``: the fit with each way of placing a commune's inhabitants (``access.origin``);
- ``exact_routing``: the largest gap between the library's commune minutes and networkx's Dijkstra
  on the same edge times;
- ``fit_seconds``: the time of one fit.

Usage: python benchmarks/calibration.py [--run .]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import yaml

from coverage.core.access import AccessModel
from coverage.core.calibration import Trips, fit_speed_model, prepare_trips, validation_table
from coverage.core.network import RoadNetwork, SpeedModel, speed_models
from coverage.france.sources.reference import load_reference_sites, load_reference_times
from coverage.pipeline.steps import _read_communes

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "workflow/config/config.yaml").read_text(encoding="utf-8"))
FOLDS = 5


def stats(observed: np.ndarray, modelled: np.ndarray, population: np.ndarray, bands: bool = False) -> dict:
    """The validation figures, rounded: all communes, and by band when asked."""
    table = validation_table(observed, modelled, population).set_index("band").round(4)
    rows = table.to_dict(orient="index")
    return rows if bands else rows["all"]


def fit(trips: list[Trips], observed: list[np.ndarray], model: SpeedModel) -> SpeedModel:
    """The model fitted as the calibration rule fits it."""
    settings = CONFIG["calibration"]
    return fit_speed_model(trips, observed, model, class_groups=settings["class_groups"], scalars=settings["fit"],
                           initial=settings["initial"], loss=settings["loss"],
                           scale_min=settings["loss_scale_min"]).model  # fmt: skip


def subset(trips: Trips, keep: np.ndarray) -> Trips:
    """The same trips for some communes only."""
    return replace(trips, origin_node=trips.origin_node[keep], origin_s=trips.origin_s[keep])


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
    arguments = parser.parse_args()
    settings, processed = CONFIG["calibration"], arguments.run / "data/processed"
    communes = _read_communes(processed / "communes.gpkg")
    table = load_reference_times(arguments.run / "data/raw/reference_times.csv", settings["code_column"],
                                 settings["minutes_column"], communes)  # fmt: skip
    table = table.merge(communes.drop(columns="geometry"), left_on="commune", right_on="code")
    sites = load_reference_sites(arguments.run / "data/raw/reference_sites.csv")
    polygons = communes.set_index("code").loc[table["commune"]].reset_index()
    network = RoadNetwork.load(processed / f"departements/{settings['departements'][0]}/network.npz")
    access = AccessModel.from_config(CONFIG["access"])
    trips = prepare_trips(network, polygons, sites["lon"], sites["lat"], access, direction=settings["direction"])
    observed, population = table["minutes"].to_numpy(float), table["population"].to_numpy(float)
    model, alternative = speed_models(CONFIG["speeds"])
    started = time.perf_counter()
    fit([trips], [observed], model)
    fit_seconds = time.perf_counter() - started

    predicted = np.full(len(observed), np.nan)
    fold = np.random.default_rng(0).integers(0, FOLDS, len(observed))
    for k in range(FOLDS):
        fitted = fit([subset(trips, fold != k)], [observed[fold != k]], model)
        predicted[fold == k] = subset(trips, fold == k).minutes(fitted)
    north = network.lat[trips.origin_node] >= np.median(network.lat[trips.origin_node])
    halves = {}
    for name, part in (("fitted_north_judged_south", north), ("fitted_south_judged_north", ~north)):
        fitted = fit([subset(trips, part)], [observed[part]], model)
        halves[name] = stats(observed[~part], subset(trips, ~part).minutes(fitted), population[~part])

    origins = {}
    for origin in ("nearest_road", "densest_junctions"):
        placed = prepare_trips(network, polygons, sites["lon"], sites["lat"], replace(access, origin=origin))
        fitted = fit([placed], [observed], model)
        origins[origin] = {"fitted": stats(observed, placed.minutes(fitted), population),
                           "legal_limits": stats(observed, placed.minutes(alternative), population)}  # fmt: skip

    exact = np.nanmax(np.abs(trips.minutes(model) - networkx_minutes(trips, model))) * 60
    print(json.dumps({
        "reference": settings["label"], "communes": len(observed),
        "shipped": {model.name: stats(observed, trips.minutes(model), population, bands=True),
                    alternative.name: stats(observed, trips.minutes(alternative), population, bands=True)},
        "cross_validation": {f"{FOLDS}_fold": stats(observed, predicted, population), **halves},
        "origins": origins, "exact_routing": {"max_difference_s": float(exact)}, "fit_seconds": round(fit_seconds, 1),
    }, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
