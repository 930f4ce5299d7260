"""The speed models shipped in the package (coverage.speeds), the config naming and overriding them, and the networks
a researcher hands load_network: an osmnx graph in memory, a graph whose converter wrote default maxspeeds."""

from __future__ import annotations

import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest

import coverage as cov
from coverage.core.readers import to_arrays
from coverage.core.speed_model import speed_models
from coverage.errors import ArgumentError, ArgumentTypeError, ConfigError
from coverage.pipeline.configuration import check_config, read_schema, with_shipped
from coverage.speeds import CALIBRATED, LEGAL_LIMITS, OSRM_CAR, PRESETS, with_presets

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = read_schema(ROOT / "workflow/schemas/config.schema.yaml")


def test_the_pipeline_drives_at_the_shipped_models(default_config):
    assert speed_models(default_config["speeds"]) == (CALIBRATED, LEGAL_LIMITS)
    assert default_config["speeds"]["models"] == PRESETS
    settings = cov.FitSettings.from_config(default_config["calibration"], default_config["speeds"]["models"])
    assert settings.prior == OSRM_CAR.class_kph and settings.limits == LEGAL_LIMITS.class_kph
    assert OSRM_CAR.class_kph["motorway"] == 90 and CALIBRATED.class_kph["primary"] == 60.77


def test_a_model_of_a_shipped_name_overrides_the_keys_it_gives():
    models = with_presets({"calibrated": {"class_kph": {"primary": 55.0}, "junction_delay_s": 2.0},
                           "mine": {"class_kph": {"default": 40.0}}})  # fmt: skip
    assert models["calibrated"]["class_kph"]["primary"] == 55.0 and models["calibrated"]["junction_delay_s"] == 2.0
    assert models["calibrated"]["class_kph"]["secondary"] == 57.97 and models["calibrated"]["bend_coefficient"] == 0.549
    assert models["mine"] == {"class_kph": {"default": 40.0}} and PRESETS["calibrated"]["class_kph"]["primary"] == 60.77


def test_a_config_names_a_shipped_model_and_converter_defaults(default_config):
    raw = {**default_config, "speeds": {"model": "osrm_car", "alternative": None,
                                        "models": {"calibrated": {"bend_coefficient": 0.3}}}}  # fmt: skip
    raw["networks"] = {**raw["networks"], "sources": [{**raw["networks"]["sources"][0],
                                                       "converter_default_maxspeeds": "eqasim"}]}  # fmt: skip
    config = with_shipped(raw)
    check_config(config, SCHEMA)
    assert speed_models(config["speeds"])[0] == OSRM_CAR
    assert config["speeds"]["models"]["calibrated"]["bend_coefficient"] == 0.3
    assert config["networks"]["sources"][0]["converter_default_maxspeeds"] == cov.speeds.EQASIM_CONVERTER_DEFAULTS
    assert with_shipped(config) == config, "a config already resolved (a run's, written out) is left as it is"
    raw["networks"]["sources"][0]["converter_default_maxspeeds"] = "eqasm"
    with pytest.raises(ConfigError, match="converter_default_maxspeeds"):
        check_config(with_shipped(raw), SCHEMA)


def small_graph(maxspeed: dict[str, str] | None = None) -> nx.MultiDiGraph:
    """A ladder of three classes, 60 two-way edges each, as osmnx builds graphs (WGS84 x/y, lengths in metres)."""
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for row, road in enumerate(("residential", "tertiary", "secondary")):
        for i in range(31):
            graph.add_node(row * 100 + i, x=9.0 + i * 0.002, y=42.0 + row * 0.002)
        for i in range(30):
            u, v = row * 100 + i, row * 100 + i + 1
            data = {"highway": road, "length": 164.0, **({"maxspeed": maxspeed[road]} if maxspeed else {})}
            graph.add_edge(u, v, **data)
            graph.add_edge(v, u, **data)
    for row in range(2):
        graph.add_edge(row * 100, row * 100 + 100, highway="residential", length=222.0)
        graph.add_edge(row * 100 + 100, row * 100, highway="residential", length=222.0)
    return graph


def test_a_graph_in_memory_loads_as_its_graphml_file(tmp_path: Path):
    graph = small_graph()
    ox.save_graphml(graph, tmp_path / "g.graphml")
    in_memory = cov.load_network("graph", graph, None, "EPSG:2154").with_times(CALIBRATED)
    from_file = cov.load_network("graphml", tmp_path / "g.graphml", None, "EPSG:2154").with_times(CALIBRATED)
    assert in_memory.n_nodes == 93 and np.array_equal(in_memory.travel_time_s, from_file.travel_time_s)
    assert np.array_equal(in_memory.travel_time_s, to_arrays(graph, "EPSG:2154").with_times(CALIBRATED).travel_time_s)
    with pytest.raises(ArgumentError, match=r"source.graph\['crs'\].*ox.project_graph"):
        cov.load_network("graph", ox.project_graph(graph, to_crs="EPSG:2154"), None, "EPSG:2154")
    with pytest.raises(ArgumentTypeError, match="MultiDiGraph"):
        cov.load_network("graph", str(tmp_path / "g.graphml"), None, "EPSG:2154")
    with pytest.raises(ArgumentError, match="kind"):
        cov.load_network("gpkg", graph, None, "EPSG:2154")


def test_a_converters_default_maxspeeds_are_warned_of_unless_given():
    graph = small_graph({"residential": "15", "tertiary": "25", "secondary": "30"})
    with pytest.warns(UserWarning, match=r"residential \(15 km/h\).*EQASIM_CONVERTER_DEFAULTS"):
        tagged = cov.load_network("graph", graph, None, "EPSG:2154")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        untagged = cov.load_network("graph", graph, None, "EPSG:2154",
                                    converter_defaults_kph=cov.speeds.EQASIM_CONVERTER_DEFAULTS)  # fmt: skip
        cov.load_network("graph", small_graph(), None, "EPSG:2154")
    assert np.nanmax(tagged.maxspeed_kph) == 30 and np.isnan(untagged.maxspeed_kph).all()
    residential = tagged.highway == "residential"
    assert tagged.with_times(CALIBRATED).travel_time_s[residential].sum() > 1.9 * (
        untagged.with_times(CALIBRATED).travel_time_s[residential].sum())
