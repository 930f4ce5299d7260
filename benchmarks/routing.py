"""Benchmark of the routing kernel against networkx, on the Corsica network and a 1M-node synthetic graph.

Times, for five services, the nearest-site search of ``coverage.core.routing`` (scipy.sparse.csgraph) and
networkx's multi-source Dijkstra on the same graph and sources, and prints one JSON line with both
times, their ratio and the largest difference between the two results.

Usage: python benchmarks/routing.py [--mirror ../shared/data] [--side 1000] [--smoke]

``--smoke``: a grid of 100 x 100 nodes beside Corsica, in seconds (the tests run it so).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pyproj

from coverage.core.network import RoadNetwork
from coverage.core.readers import to_arrays
from coverage.core.speed_model import speed_models
from coverage.core.routing import nearest_sites, travel_matrix
from coverage.pipeline.configuration import read_config

ROOT = Path(__file__).resolve().parents[1]
# Sites per service and who travels, as in the default configuration.
SERVICES = {"MSP": (60, "to_site"), "HAD": (25, "from_site"), "EMSP": (30, "from_site"), "USP": (12, "to_site"),
            "LISP": (70, "to_site")}  # fmt: skip


def corsica(mirror: Path) -> RoadNetwork:
    """The Corsica road network with the default speed model."""
    config = read_config(ROOT / "workflow/config/config.yaml")
    area = config["networks"]["sources"][0]
    graph = ox.load_graphml(mirror / area["path"])
    network = to_arrays(graph, "EPSG:2154", converter_defaults_kph=area["converter_default_maxspeeds"])
    return network.with_times(speed_models(config["speeds"])[0])


def synthetic(side: int, seed: int = 0) -> RoadNetwork:
    """A road-like graph: a jittered grid of side x side nodes, 10 % of links missing, 5 % one-way.

    Link lengths follow the jittered node positions (about 100 m apart) and speeds are drawn from
    road classes (30 to 90 km/h), so travel times vary like on real roads. The grid lies in Lambert-93 from
    (600 km, 6,600 km), central France, its nodes placed in WGS84 like a real network's: the road features
    the network measures on its nodes (junctions within 300 m) need real coordinates.
    """
    rng = np.random.default_rng(seed)
    index = np.arange(side * side).reshape(side, side)
    x = (np.tile(np.arange(side), side) + rng.uniform(-0.3, 0.3, side * side)) * 100.0
    y = (np.repeat(np.arange(side), side) + rng.uniform(-0.3, 0.3, side * side)) * 100.0
    lon, lat = pyproj.Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(x + 6e5, y + 6.6e6)
    u = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    v = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.10
    u, v = u[keep], v[keep]
    one_way = rng.random(len(u)) < 0.05
    speed = rng.choice([30.0, 50.0, 70.0, 90.0], len(u), p=[0.4, 0.3, 0.2, 0.1]) / 3.6
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    source = np.concatenate([u, v[~one_way]]).astype(np.int32)
    target = np.concatenate([v, u[~one_way]]).astype(np.int32)
    length = np.concatenate([length, length[~one_way]])
    seconds = np.concatenate([length[: len(u)] / speed, (length[: len(u)] / speed)[~one_way]])
    return RoadNetwork(
        node_id=np.arange(side * side, dtype=np.int64), lon=np.asarray(lon), lat=np.asarray(lat), source=source,
        target=target, length_m=length, travel_time_s=seconds, highway=np.full(len(source), "synthetic"),
        crs="EPSG:2154",
    )  # fmt: skip


def draw_sites(network: RoadNetwork, seed: int = 1) -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
    """Random site nodes and off-road offsets (0 to 120 s) per service."""
    rng = np.random.default_rng(seed)
    return {
        service: (rng.choice(network.n_nodes, count, replace=False), rng.uniform(0, 120, count), direction)
        for service, (count, direction) in SERVICES.items()
    }


def run_kernel(network: RoadNetwork, sites: dict) -> tuple[float, float, dict[str, np.ndarray]]:
    """Time the preparation of the matrices (once per network) and the searches of all services."""
    started = time.perf_counter()
    forward = travel_matrix(network.source, network.target, network.travel_time_s, network.n_nodes)
    backward = forward.T.tocsr()
    prepared = time.perf_counter()
    results = {
        service: nearest_sites(forward, backward, nodes, offsets, direction).seconds
        for service, (nodes, offsets, direction) in sites.items()
    }
    return prepared - started, time.perf_counter() - prepared, results


def run_networkx(network: RoadNetwork, sites: dict) -> tuple[float, dict[str, np.ndarray]]:
    """Time networkx's multi-source Dijkstra for all services (graph construction not counted, like
    the kernel's matrix preparation)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.n_nodes))
    order = np.argsort(-network.travel_time_s)  # the last edge added wins: keep the fastest of parallel edges
    graph.add_weighted_edges_from(
        zip(
            network.source[order].tolist(),
            network.target[order].tolist(),
            network.travel_time_s[order].tolist(),
            strict=True,
        )
    )
    reverse = graph.reverse(copy=True)
    started = time.perf_counter()
    results = {}
    for service, (nodes, offsets, direction) in sites.items():
        search = reverse if direction == "to_site" else graph
        virtual = [("site", j) for j in range(len(nodes))]
        search.add_weighted_edges_from(
            (("site", j), int(n), float(o)) for j, (n, o) in enumerate(zip(nodes, offsets, strict=True))
        )
        lengths = nx.multi_source_dijkstra_path_length(search, virtual)
        search.remove_nodes_from(virtual)
        results[service] = np.array([lengths.get(i, np.inf) for i in range(network.n_nodes)])
    return time.perf_counter() - started, results


def compare(network: RoadNetwork) -> dict:
    """Both engines on one network: times, ratio, largest difference, unreachable nodes agreeing."""
    sites = draw_sites(network)
    prepare_s, kernel_s, kernel = run_kernel(network, sites)
    networkx_s, reference = run_networkx(network, sites)
    differences, same_unreachable = [], True
    for service in sites:
        finite = np.isfinite(reference[service])
        same_unreachable &= bool(np.array_equal(finite, np.isfinite(kernel[service])))
        differences.append(float(np.max(np.abs(kernel[service][finite] - reference[service][finite]), initial=0.0)))
    return {
        "nodes": network.n_nodes,
        "edges": len(network.source),
        "services": len(sites),
        "prepare_s": round(prepare_s, 3),
        "kernel_s": round(kernel_s, 3),
        "networkx_s": round(networkx_s, 3),
        "speedup": round(networkx_s / kernel_s, 1),
        "speedup_with_prepare": round(networkx_s / (prepare_s + kernel_s), 1),
        "max_abs_diff_s": max(differences),
        "same_unreachable": same_unreachable,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--side", type=int, default=1000, help="the synthetic grid has side x side nodes")
    parser.add_argument("--smoke", action="store_true", help="a grid of 100 x 100 nodes: seconds")
    arguments = parser.parse_args()
    side = 100 if arguments.smoke else arguments.side
    result = {"corsica": compare(corsica(arguments.mirror)), "synthetic": compare(synthetic(side))}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
