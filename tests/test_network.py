"""Road networks: the speed model, compact arrays, OSM extracts and the download path."""

from __future__ import annotations

import time
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pytest

from coverage.errors import InputError
from coverage.network import RoadNetwork, SpeedModel, apply_speeds, load_graph, to_arrays

MODEL = SpeedModel(
    defaults_kph={"tertiary": 80, "residential": 50, "default": 40},
    factors={"tertiary": 0.5},
    converter_defaults_kph={"tertiary": 25},
)


def _graph(edges: list[dict]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node(1, x=9.0, y=42.0)
    graph.add_node(2, x=9.01, y=42.0)
    for data in edges:
        graph.add_edge(1, 2, **data)
    return graph


def test_speeds_tags_converter_defaults_class_defaults_and_factors():
    graph = apply_speeds(
        _graph(
            [
                {"highway": "tertiary", "length": 1000.0, "maxspeed": "25"},  # converter default: untagged
                {"highway": "tertiary", "length": 1000.0, "maxspeed": "90"},  # genuine tag
                {"highway": "residential", "length": 1000.0},  # no tag: class default
                {"highway": "busway", "length": 1000.0},  # unknown class: default
            ]
        ),
        MODEL,
    )
    speeds = [d["speed_kph"] for _, _, d in graph.edges(data=True)]
    assert speeds == [40.0, 45.0, 50.0, 40.0]  # 80 x 0.5, 90 x 0.5, 50, 40
    for _, _, data in graph.edges(data=True):
        assert data["travel_time"] == pytest.approx(data["length"] / (data["speed_kph"] / 3.6))


def test_corsica_converter_defaults_are_replaced_and_real_limits_kept(corsica):
    network, graph = corsica
    speeds = {(d["highway"], d.get("maxspeed")): d["speed_kph"] for _, _, d in graph.edges(data=True)}
    assert speeds[("tertiary", None)] == 80 and speeds[("residential", None)] == 50
    assert speeds[("primary", "110")] == 110 and speeds[("primary", "50")] == 50
    assert network.n_nodes == 31333 and len(network.source) == 65009


def test_arrays_round_trip_and_load_fast(corsica, tmp_path: Path):
    network, _ = corsica
    network.save(tmp_path / "n.npz")
    started = time.perf_counter()
    loaded = RoadNetwork.load(tmp_path / "n.npz")
    assert time.perf_counter() - started < 1.0
    assert loaded.crs == "EPSG:2154"
    for name in ("node_id", "lon", "source", "travel_time_s", "highway"):
        assert np.array_equal(getattr(loaded, name), getattr(network, name))


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" version="1" lat="42.000" lon="9.000"/>
  <node id="2" version="1" lat="42.000" lon="9.010"/>
  <node id="3" version="1" lat="42.010" lon="9.010"/>
  <node id="4" version="1" lat="42.010" lon="9.000"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="tertiary"/><tag k="maxspeed" v="70"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="12" version="1"><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="highway" v="unclassified"/></way>
  <way id="13" version="1"><nd ref="4"/><nd ref="2"/><tag k="highway" v="footway"/></way>
</osm>
"""


def _check_extract(graph: nx.MultiDiGraph) -> None:
    edges = {(u, v) for u, v in graph.edges()}
    assert (2, 3) in edges and (3, 2) not in edges, "one-way street kept one-way"
    classes = {c for _, _, h in graph.edges(data="highway") for c in (h if isinstance(h, list) else [h])}
    assert {"tertiary", "residential", "unclassified"} <= classes and "footway" not in classes


def test_osm_xml_extract(tmp_path: Path):
    path = tmp_path / "area.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    _check_extract(load_graph("osm", path))


def test_osm_pbf_extract(tmp_path: Path):
    xml = tmp_path / "area.osm"
    xml.write_text(OSM_XML, encoding="utf-8")
    pbf = tmp_path / "area.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for entity in osmium.FileProcessor(str(xml)):
            writer.add(entity)
    graph = load_graph("osm", pbf)
    _check_extract(graph)
    assert sorted(graph.edges()) == sorted(load_graph("osm", xml).edges())
    network = to_arrays(apply_speeds(graph, MODEL), "EPSG:2154")
    assert network.n_nodes == graph.number_of_nodes() and len(network.source) == graph.number_of_edges()


def test_download_without_internet_is_a_clear_error(monkeypatch):
    from shapely.geometry import box

    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")
    monkeypatch.setattr(ox.settings, "use_cache", False)
    monkeypatch.setattr(ox.settings, "requests_timeout", 2)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", False)
    with pytest.raises(InputError, match="offline"):
        load_graph("download", polygon=box(9.0, 42.0, 9.01, 42.01))


def test_missing_network_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(InputError, match="road network"):
        load_graph("graphml", tmp_path / "nowhere.graphml")
