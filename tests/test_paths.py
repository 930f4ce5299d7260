"""Drive paths kept between routings: a kept path's time is its edges' times under any model, the fastest kept path
of a routed model is networkx's shortest path, and parallel roads take their fastest edge under each model."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest

from coverage.core.network import RoadNetwork
from coverage.core.speed_model import SpeedModel
from coverage.core.paths import PathStore, path_steps

MODEL = SpeedModel("m", {"primary": 80, "tertiary": 50, "residential": 30, "default": 30}, bend_coefficient=0.4,
                   built_up_kph=40, junction_delay_s=5)  # fmt: skip
SLOW_PRIMARY = replace(MODEL, class_kph={**MODEL.class_kph, "primary": 20})


def grid(seed: int = 1, side: int = 9) -> RoadNetwork:
    """A grid of two-way roads of three classes, with bends, a built-up quarter and a one-way street."""
    rng = np.random.default_rng(seed)
    index = np.arange(side * side).reshape(side, side)
    pairs = np.concatenate([np.column_stack([index[:, :-1].ravel(), index[:, 1:].ravel()]),
                            np.column_stack([index[:-1, :].ravel(), index[1:, :].ravel()])])  # fmt: skip
    two_way = np.ones(len(pairs), bool)
    two_way[5] = False
    source = np.concatenate([pairs[:, 0], pairs[two_way, 1]])
    target = np.concatenate([pairs[:, 1], pairs[two_way, 0]])
    classes = rng.choice(["primary", "tertiary", "residential"], len(pairs))
    return RoadNetwork(
        node_id=np.arange(side * side), lon=np.zeros(side * side), lat=np.zeros(side * side), source=source,
        target=target, length_m=np.concatenate([l := rng.uniform(300, 2500, len(pairs)), l[two_way]]),
        travel_time_s=np.zeros(len(source)), highway=np.concatenate([classes, classes[two_way]]).astype("U16"),
        crs="EPSG:2154", sinuosity=np.concatenate([b := rng.uniform(1, 2, len(pairs)), b[two_way]]),
        maxspeed_kph=np.full(len(source), np.nan), neighbours=np.full(side * side, 4),
        nearby_junctions=rng.choice([0, 12], side * side, p=[0.7, 0.3]),
    )  # fmt: skip


def networkx_seconds(network: RoadNetwork, model: SpeedModel, sites: np.ndarray, offsets: np.ndarray, direction: str
                     ) -> np.ndarray:  # fmt: skip
    """Seconds between every node and its nearest site by networkx's multi-source Dijkstra (the reference)."""
    graph = nx.DiGraph()
    for u, v, s in zip(network.source.tolist(), network.target.tolist(), model.edge_seconds(network).tolist(),
                       strict=True):  # fmt: skip
        a, b = (u, v) if direction == "from_site" else (v, u)
        if not graph.has_edge(a, b) or graph[a][b]["weight"] > s:
            graph.add_edge(a, b, weight=s)
    for j, (node, offset) in enumerate(zip(sites.tolist(), offsets.tolist(), strict=True)):
        graph.add_edge(("site", j), node, weight=offset)
    lengths = nx.multi_source_dijkstra_path_length(graph, [("site", j) for j in range(len(sites))])
    return np.array([lengths.get(n, np.inf) for n in range(network.n_nodes)])


def test_steps_follow_each_origin_to_its_site_in_order():
    previous = np.array([-1, 0, 1, 2, -1, 4])  # 3 -> 2 -> 1 -> 0 (a site), 5 -> 4 (a site)
    owner, here, there = path_steps(previous, np.array([3, 5, 0]))
    assert owner.tolist() == [0, 0, 0, 1] and here.tolist() == [3, 2, 1, 5] and there.tolist() == [2, 1, 0, 4]


@pytest.mark.parametrize("direction", ["to_site", "from_site"])
def test_the_fastest_kept_path_of_a_routed_model_is_the_shortest_path(direction):
    network = grid()
    sites, offsets = np.array([0, 40, 80]), np.array([0.0, 30.0, 12.0])
    store = PathStore(network, sites, offsets, direction)
    origins = np.arange(network.n_nodes)
    for model in (MODEL, SLOW_PRIMARY):
        store.add(store.route(model), origins)
    for model in (MODEL, SLOW_PRIMARY):
        expected = networkx_seconds(network, model, sites, offsets, direction)
        assert store.seconds(model, origins) == pytest.approx(expected)


def test_a_kept_path_is_timed_edge_by_edge_under_any_model():
    """Paths kept under one model, timed under another: each origin's time is that of its own path, summed here by
    hand, and never faster than the shortest path under that model."""
    network = grid(seed=2)
    sites = np.array([0])
    store = PathStore(network, sites, np.zeros(1), "to_site")
    nearest = store.route(MODEL)
    origins = np.array([80, 44, 17])
    store.add(nearest, origins)
    seconds = SLOW_PRIMARY.edge_seconds(network)
    by_hand = []
    for origin in origins.tolist():
        total, node = 0.0, origin
        while nearest.previous[node] >= 0:
            step = nearest.previous[node]
            total += seconds[(network.source == node) & (network.target == step)].min()
            node = step
        by_hand.append(total)
    assert store.seconds(SLOW_PRIMARY, origins) == pytest.approx(by_hand)
    shortest = networkx_seconds(network, SLOW_PRIMARY, sites, np.zeros(1), "to_site")[origins]
    assert (store.seconds(SLOW_PRIMARY, origins) >= shortest - 1e-9).all()
    assert np.isinf(store.seconds(MODEL, np.array([5, -1]))).all(), "never routed, off the network"


def test_parallel_roads_take_their_fastest_edge_under_each_model():
    """Two roads join nodes 0 and 1: a primary of 3 km and a residential of 1 km; the kept pair is timed by the
    faster of them under each model, and the kilometres driven are that edge's."""
    network = RoadNetwork(
        node_id=np.arange(2), lon=np.zeros(2), lat=np.zeros(2), source=np.array([1, 1]), target=np.array([0, 0]),
        length_m=np.array([3000.0, 1000.0]), travel_time_s=np.zeros(2), highway=np.array(["primary", "residential"]),
        crs="EPSG:2154", sinuosity=np.ones(2), maxspeed_kph=np.full(2, np.nan), neighbours=np.ones(2, int),
        nearby_junctions=np.zeros(2, int),
    )  # fmt: skip
    fast = SpeedModel("f", {"primary": 120, "residential": 30, "default": 30})
    slow = SpeedModel("s", {"primary": 20, "residential": 30, "default": 30})
    store = PathStore(network, np.array([0]), np.zeros(1), "to_site")
    store.add(store.route(fast), np.array([1]))
    assert store.seconds(fast, np.array([1]))[0] == pytest.approx(90.0)
    assert store.seconds(slow, np.array([1]))[0] == pytest.approx(120.0)
    edges, uses, seconds = store.driven(fast, np.array([1, 1]))
    assert (edges.tolist(), uses.tolist(), seconds.tolist()) == ([0], [2.0], [pytest.approx(90.0)])
    edges, uses, seconds = store.driven(slow, np.array([1]))
    assert (edges.tolist(), uses.tolist(), seconds.tolist()) == ([1], [1.0], [pytest.approx(120.0)])
