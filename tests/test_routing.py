"""The routing kernel against networkx (the reference), on generated graphs and hand-made cases."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.core.routing import nearest_sites, travel_matrix, within_time


def kernel(
    edges: list[tuple[int, int, float]], n: int, sites: list[int], offsets: list[float], direction: str,
    backup: bool = False,
):
    source, target, weight = (np.array(column) for column in zip(*edges, strict=True)) if edges else ([],) * 3
    forward = travel_matrix(
        np.asarray(source, dtype=np.int64), np.asarray(target, dtype=np.int64), np.asarray(weight, dtype=float), n
    )
    return nearest_sites(forward, forward.T.tocsr(), np.array(sites), np.array(offsets, dtype=float), direction,
                         backup=backup)  # fmt: skip


def reference(edges, n, sites, offsets, direction):
    """networkx multi-source Dijkstra, with one virtual source per site carrying its offset."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(edges)
    if direction == "to_site":
        graph = graph.reverse(copy=True)
    for j, (node, offset) in enumerate(zip(sites, offsets, strict=True)):
        graph.add_edge(("site", j), node, weight=offset)
    lengths = nx.multi_source_dijkstra_path_length(graph, [("site", j) for j in range(len(sites))])
    per_site = [nx.single_source_dijkstra_path_length(graph, ("site", j)) for j in range(len(sites))]
    return np.array([lengths.get(i, np.inf) for i in range(n)]), per_site


graphs = st.integers(2, 25).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 50).map(float)), max_size=80),
        st.lists(st.integers(0, n - 1), min_size=1, max_size=4),
        st.sampled_from(["to_site", "from_site"]),
    )
)


@settings(max_examples=150, deadline=None)
@given(case=graphs, data=st.data())
def test_kernel_equals_networkx_on_generated_graphs(case, data):
    n, edges, sites, direction = case
    offsets = data.draw(st.lists(st.integers(0, 20).map(float), min_size=len(sites), max_size=len(sites)))
    got = kernel(edges, n, sites, offsets, direction)
    expected, per_site = reference(edges, n, sites, offsets, direction)
    assert np.array_equal(np.isinf(got.seconds), np.isinf(expected))
    finite = np.isfinite(expected)
    assert np.max(np.abs(got.seconds[finite] - expected[finite]), initial=0) < 1e-9
    assert (got.site[~finite] == -1).all()
    for node in np.flatnonzero(finite):  # the reported site is one that achieves the minimum (ties included)
        assert per_site[got.site[node]][node] == pytest.approx(expected[node])


@settings(max_examples=150, deadline=None)
@given(case=graphs, data=st.data())
def test_backup_is_the_nearest_other_site_as_networkx_finds_it(case, data):
    """The time to the nearest site other than the reported one, equal to networkx's distances from every other
    site (the reported site left out as if it closed)."""
    n, edges, sites, direction = case
    offsets = data.draw(st.lists(st.integers(0, 20).map(float), min_size=len(sites), max_size=len(sites)))
    got = kernel(edges, n, sites, offsets, direction, backup=True)
    _, per_site = reference(edges, n, sites, offsets, direction)
    for node in range(n):
        others = [per_site[j].get(node, np.inf) for j in range(len(sites)) if j != got.site[node]]
        expected = min(others, default=np.inf) if got.site[node] >= 0 else np.inf
        assert got.backup[node] == pytest.approx(expected), node


def test_backup_on_a_road_between_two_sites():
    """Sites at both ends of a three-node road: each node's backup is the other end; a third site on the middle
    node makes the middle's backup the nearer end."""
    edges = [(0, 1, 10.0), (1, 0, 10.0), (1, 2, 30.0), (2, 1, 30.0)]
    got = kernel(edges, 3, [0, 2], [0.0, 5.0], "to_site", backup=True)
    assert got.site.tolist() == [0, 0, 1] and got.backup.tolist() == [45.0, 35.0, 40.0]
    third = kernel(edges, 3, [0, 2, 1], [0.0, 5.0, 0.0], "to_site", backup=True)
    assert third.site.tolist() == [0, 2, 1] and third.backup.tolist() == [10.0, 10.0, 30.0]
    alone = kernel(edges, 3, [0], [0.0], "from_site", backup=True)
    assert np.isinf(alone.backup).all()


def test_one_way_street_both_directions():
    edges = [(0, 1, 60.0)]  # 0 -> 1 only
    to_site = kernel(edges, 2, [1], [0.0], "to_site")
    assert to_site.seconds.tolist() == [60.0, 0.0]  # a patient at 0 drives to the site at 1
    from_site = kernel(edges, 2, [1], [0.0], "from_site")
    assert from_site.seconds[0] == np.inf and from_site.site[0] == -1  # a team at 1 cannot reach 0


def test_unreachable_nodes_and_no_sites():
    got = kernel([(0, 1, 5.0)], 4, [0], [0.0], "from_site")
    assert got.seconds.tolist() == [0.0, 5.0, np.inf, np.inf] and got.site.tolist() == [0, 0, -1, -1]
    empty = kernel([(0, 1, 5.0)], 2, [], [], "to_site")
    assert np.isinf(empty.seconds).all() and (empty.site == -1).all()


def test_tie_between_two_sites_reports_one_of_them():
    edges = [(0, 1, 10.0), (1, 0, 10.0), (1, 2, 10.0), (2, 1, 10.0)]
    got = kernel(edges, 3, [0, 2], [0.0, 0.0], "to_site")
    assert got.seconds[1] == 10.0 and got.site[1] in (0, 1)


def test_parallel_edges_keep_the_fastest_and_offsets_count():
    got = kernel([(0, 1, 30.0), (0, 1, 12.0)], 2, [0], [7.0], "from_site")
    assert got.seconds.tolist() == [7.0, 19.0]
    assert travel_matrix(np.array([0, 0]), np.array([1, 1]), np.array([30.0, 12.0]), 2)[0, 1] == 12.0


@pytest.mark.integration
def test_kernel_equals_networkx_on_the_corsica_network(corsica):
    network, graph = corsica
    rng = np.random.default_rng(7)
    sites = rng.choice(network.n_nodes, 6, replace=False)
    offsets = rng.uniform(0, 120, 6)
    forward = travel_matrix(network.source, network.target, network.travel_time_s, network.n_nodes)
    for direction in ("to_site", "from_site"):
        got = nearest_sites(forward, forward.T.tocsr(), sites, offsets, direction)
        reference_graph = graph.reverse(copy=True) if direction == "to_site" else graph.copy()
        ids = network.node_id
        for j, (node, offset) in enumerate(zip(sites, offsets, strict=True)):
            reference_graph.add_edge(("site", j), int(ids[node]), travel_time=offset)
        lengths = nx.multi_source_dijkstra_path_length(
            reference_graph, [("site", j) for j in range(6)], weight="travel_time"
        )
        expected = np.array([lengths[int(i)] for i in ids])
        assert np.max(np.abs(got.seconds - expected)) < 1e-6


@settings(max_examples=100, deadline=None)
@given(case=graphs, limit=st.integers(0, 120).map(float))
def test_nodes_within_time_are_those_networkx_reaches_either_way(case, limit):
    n, edges, sources, _ = case
    source, target, weight = (np.array(column) for column in zip(*edges, strict=True)) if edges else ([],) * 3
    forward = travel_matrix(
        np.asarray(source, dtype=np.int64), np.asarray(target, dtype=np.int64), np.asarray(weight, dtype=float), n
    )
    got = within_time(forward, forward.T.tocsr(), np.array(sources), limit)
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(edges)
    reached = set(nx.multi_source_dijkstra_path_length(graph, set(sources), cutoff=limit))
    reached |= set(nx.multi_source_dijkstra_path_length(graph.reverse(copy=True), set(sources), cutoff=limit))
    assert set(np.flatnonzero(got).tolist()) == reached
