"""Road networks: the speed model, compact arrays, OSM extracts and the download path."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely
from shapely.geometry import box

from coverage.core.horizon import HorizonNetwork
from coverage.core.network import RoadNetwork, cut_to, neighbour_counts, stretch_sinuosity
from coverage.core.readers import load_network, to_arrays
from coverage.core.speed_model import SpeedModel, speed_models
from coverage.core.tags import main_class, parse_maxspeed
from coverage.errors import InputError

CALIBRATED = SpeedModel(
    name="test", class_kph={"tertiary": 60, "primary": 70, "default": 30}, maxspeed="cap", bend_coefficient=0.5,
    max_sinuosity=3.0, built_up_kph=40, built_up_min_junctions=8, junction_delay_s=10,
)  # fmt: skip
LEGAL = SpeedModel(name="legal", class_kph={"tertiary": 80, "primary": 80, "default": 50}, maxspeed="target")


def _four_edges() -> RoadNetwork:
    """A loop 0->1->2->3->0 of 1 km edges: node 1 a junction in a built-up area, edge 2 a loop-like stretch."""
    return RoadNetwork(
        node_id=np.arange(4), lon=np.array([9.0, 9.01, 9.02, 9.03]), lat=np.full(4, 42.0),
        source=np.array([0, 1, 2, 3]), target=np.array([1, 2, 3, 0]), length_m=np.full(4, 1000.0),
        travel_time_s=np.zeros(4), highway=np.array(["tertiary", "tertiary", "busway", "primary"]), crs="EPSG:2154",
        sinuosity=np.array([1.5, 1.0, 5.0, 1.0]), maxspeed_kph=np.array([np.nan, 50, np.nan, 110]),
        neighbours=np.array([2, 3, 2, 2]), nearby_junctions=np.array([0, 9, 0, 0]),
    )  # fmt: skip


def test_speed_model_by_hand():
    network = _four_edges()
    # 60 / (1 + 0.5 x 0.5) = 48 km/h, + 10 s entering the junction; min(60, tag 50) capped at 40 in the built-up
    # area; default 30 / (1 + 0.5 x (3 - 1)) = 15 (sinuosity capped at 3); min(70, tag 110).
    expected = [1000 / (48 / 3.6) + 10, 1000 / (40 / 3.6), 1000 / (15 / 3.6), 1000 / (70 / 3.6)]
    assert CALIBRATED.edge_seconds(network) == pytest.approx(expected)
    # Legal limits: a tag is the speed (50, 110), else the class speed; no bends, no delays.
    assert LEGAL.edge_seconds(network) == pytest.approx([45.0, 72.0, 72.0, 1000 / (110 / 3.6)])
    both = network.with_times(CALIBRATED, LEGAL)
    assert both.travel_time_s == pytest.approx(expected) and both.under_alternative().travel_time_s[0] == 45.0


def test_default_models_are_the_configured_ones(default_config):
    model, alternative = speed_models(default_config["speeds"])
    assert (model.name, alternative.name) == ("calibrated", "legal_limits")
    assert model.maxspeed == "cap" and alternative.maxspeed == "target" and alternative.junction_delay_s == 0
    assert set(model.as_config()) == set(default_config["speeds"]["models"]["calibrated"])


@pytest.mark.parametrize(
    ("tag", "kph"),
    [("50", 50.0), (" 90 ", 90.0), ("30 mph", 30 * 1.609344), ("FR:urban", 50.0), ("FR:rural", 80.0),
     ("none", np.nan), ("signals", np.nan), (None, np.nan), ("50;70", 60.0), (["50", "90"], 70.0), ("0", np.nan)],
)  # fmt: skip
def test_maxspeed_tags_are_parsed(tag, kph):
    assert parse_maxspeed(tag) == pytest.approx(kph, nan_ok=True)


def test_sinuosity_is_that_of_the_stretch_between_junctions():
    # 0 (junction with 4 and 5) -> 1 -> 2 -> 3 (dead end): 1 and 2 are shape points of one stretch 0..3.
    source = np.array([0, 1, 2, 1, 2, 3, 0, 4, 0, 5])
    target = np.array([1, 2, 3, 0, 1, 2, 4, 0, 5, 0])
    xy = np.array([[0, 0], [1, 1], [2, 0], [3, 0], [0, -5], [-5, 0]], dtype=float) * 100
    length = np.hypot(*(xy[source] - xy[target]).T)
    neighbours = neighbour_counts(source, target, 6)
    assert neighbours.tolist() == [3, 2, 2, 1, 1, 1]
    stretch = (2 * np.sqrt(2) + 1) / 3  # length along the stretch (2 x 141.4 + 100 m) over its chord (300 m)
    assert stretch_sinuosity(source, target, length, xy, neighbours) == pytest.approx([stretch] * 6 + [1.0] * 4)


def test_sinuosity_does_not_depend_on_simplification():
    graph = nx.MultiDiGraph(crs="epsg:4326")
    points = {1: (9.0, 42.0), 2: (9.005, 42.004), 3: (9.01, 42.0), 4: (9.02, 42.0), 5: (9.02, 42.01), 6: (9.02, 41.99)}
    for node, (x, y) in points.items():
        graph.add_node(node, x=x, y=y)
    for u, v in [(1, 2), (2, 3), (3, 4), (4, 5), (4, 6)]:
        length = float(ox.distance.great_circle(graph.nodes[u]["y"], graph.nodes[u]["x"], graph.nodes[v]["y"],
                                                graph.nodes[v]["x"]))  # fmt: skip
        graph.add_edge(u, v, highway="tertiary", length=length)
        graph.add_edge(v, u, highway="tertiary", length=length)
    full = to_arrays(graph, "EPSG:2154")
    simple = to_arrays(ox.simplify_graph(graph), "EPSG:2154")
    stretch = full.sinuosity[(full.source == 1) & (full.target == 2)][0]
    assert stretch > 1.1
    assert simple.sinuosity[(simple.node_id[simple.source] == 1) & (simple.node_id[simple.target] == 4)][0] == (
        pytest.approx(stretch, rel=1e-6)
    )


@pytest.mark.integration
def test_corsica_converter_defaults_are_untagged_and_real_limits_kept(corsica):
    network, _ = corsica
    by_class = {h: network.maxspeed_kph[network.highway == h] for h in ("residential", "tertiary", "primary")}
    assert not np.isin(by_class["residential"], [15.0]).any(), "every 15 km/h residential tag is the converter's"
    assert np.isnan(by_class["residential"]).mean() > 0.95
    assert not np.isin(by_class["tertiary"], [25.0]).any() and {50.0, 110.0} <= set(by_class["primary"].tolist())
    assert network.n_nodes == 31333 and len(network.source) == 65009
    assert np.median(network.sinuosity[network.highway == "tertiary"]) > 1.2, "Corsican tertiary roads wind"


def test_arrays_round_trip_and_load_fast(corsica, tmp_path: Path):
    network, _ = corsica
    network.save(tmp_path / "n.npz")
    started = time.perf_counter()
    loaded = RoadNetwork.load(tmp_path / "n.npz")
    assert time.perf_counter() - started < 1.0
    assert loaded.crs == "EPSG:2154"
    for name in network.__dataclass_fields__:
        if name not in ("crs", "extent"):
            assert np.array_equal(getattr(loaded, name), getattr(network, name), equal_nan=name == "maxspeed_kph"), name


def test_merged_classes_take_the_most_important_whatever_the_order():
    assert main_class(["residential", "secondary", "tertiary"]) == main_class(["tertiary", "secondary", "residential"])
    assert main_class(["residential", "secondary"]) == "secondary" and main_class("primary;secondary") == "primary"


def test_a_slice_keeps_its_roads_shapes_and_features(corsica):
    network, _ = corsica
    west = shapely.box(8.5, 41.3, 8.9, 42.4)
    piece = cut_to(network, west)
    inside = shapely.contains_xy(west, network.lon, network.lat)
    kept = inside[network.source] & inside[network.target]
    assert piece.n_nodes == inside.sum() and len(piece.source) == kept.sum()
    assert piece.length_m.sum() == pytest.approx(network.length_m[kept].sum())
    assert (piece.nearby_junctions == network.nearby_junctions[inside]).all(), "features measured before the cut"
    assert piece.sinuosity == pytest.approx(network.sinuosity[kept])
    points, owner = piece.edge_points(np.arange(len(piece.source)))
    ends = np.column_stack([piece.shape_lon[points], piece.shape_lat[points]])
    first = np.searchsorted(owner, np.arange(len(piece.source)))
    assert ends[first] == pytest.approx(np.column_stack([piece.lon[piece.source], piece.lat[piece.source]]))
    assert len(piece.shape_lon) < len(network.shape_lon), "only the slice's shapes are stored"
    crossing = inside[network.source] != inside[network.target]
    lost = np.union1d(network.node_id[network.source[crossing]], network.node_id[network.target[crossing]])
    assert sorted(piece.node_id[piece.cut].tolist()) == sorted(np.intersect1d(lost, piece.node_id).tolist())


def test_download_without_internet_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    monkeypatch.setattr(ox.settings, "use_cache", False)
    monkeypatch.setattr(ox.settings, "requests_timeout", 2)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    with pytest.raises(InputError, match="offline"):
        load_network("download", None, box(9.0, 42.0, 9.01, 42.01), "EPSG:2154")


def test_missing_network_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(InputError, match="road network"):
        load_network("graphml", tmp_path / "nowhere.graphml", box(9.0, 42.0, 9.01, 42.01), "EPSG:2154")


def test_a_network_without_any_maxspeed_tag_is_warned_of():
    """The speed models cap (or set) speeds with the tag: without any, that rule silently does nothing."""
    tagged = _four_edges()
    untagged = replace(tagged, maxspeed_kph=np.full(len(tagged.source), np.nan))
    texts = [text for _, _, text in HorizonNetwork(untagged, [], 0).warnings(["2B"], horizon_min=240, buffer_km=120)]
    assert texts == ["no road within 240 minutes of 2B carries a maxspeed tag [rule maxspeed-tags]: the speed model's "
                     "maxspeed rule changes nothing, every road runs at its class speed (a network written without "
                     "that tag, or with only its converter's defaults: networks.sources[].converter_default_maxspeeds)"]
    assert HorizonNetwork(tagged, [], 0).warnings(["2B"], horizon_min=240, buffer_km=120) == []
