"""The bad-input suite: each generated fault gives the outcome documented in docs/planners/inputs.md ("Input contracts and bad input").

Faults are applied to the tiny world of conftest; each test names the fault as that page's table does.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from conftest import FINESS_HEADER, ID_HEADER, write_sae_file
from shapely.geometry import box

from coverage.core.access import Router
from coverage.core.network import main_component
from coverage.core.readers import check_graph, to_arrays
from coverage.errors import ConfigError, InputError
from coverage.france.facilities import Inputs, build_facilities
from coverage.france.indicators import GapRule, compute_indicators
from coverage.france.sources.boundaries import load_area_departements
from coverage.france.sources.finess import edition_label, load_finess, read_register, write_register
from coverage.france.sources.sae import find_edition, load_identification


def build(sae: Path, finess: Path, communes, departements):
    register = load_finess(finess)
    return build_facilities(
        Inputs(
            sae=find_edition(sae), finess=register, finess_path=finess, finess_label=edition_label(register, "FINESS"),
            communes=communes, departements=departements,
        )
    )  # fmt: skip


@pytest.fixture
def world(tiny_sae, tiny_finess, tiny_communes, tiny_departements):
    return lambda: build(tiny_sae, tiny_finess, tiny_communes, tiny_departements)


def replace_in(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new))


def error_of(run) -> str:
    with pytest.raises(InputError) as error:
        run()
    return str(error.value)


def test_missing_column(world, tiny_sae):
    replace_in(tiny_sae / "PALIA_2023r.csv", b"PALIA_A8;", b"PALIA_X8;")
    text = error_of(world)
    assert "PALIA_2023r.csv" in text and "column 'PALIA_A8'" in text and "[rule required-column]" in text


def test_wrong_delimiter(world, tiny_sae):
    path = tiny_sae / "ID_2023r.csv"
    path.write_bytes(path.read_bytes().replace(b";", b","))
    text = error_of(world)
    assert "ID_2023r.csv" in text and "line 1" in text and "found comma" in text and "[rule delimiter]" in text


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
def test_latin1_and_utf8_files_are_both_decoded(tmp_path, encoding):
    row = ["ID", "2023", "2A0000001", "CH ÉTOILE DE L'ÎLE", "2A", "2A004", "", "", "", "", ""]
    path = tmp_path / "ID_2023r.csv"
    path.write_bytes(("\r\n".join([";".join(ID_HEADER), ";".join(row)]) + "\r\n").encode(encoding))
    assert load_identification(path)["name"].tolist() == ["CH ÉTOILE DE L'ÎLE"]


def test_finess_numbers_read_as_integers_are_restored_and_listed(tmp_path, tiny_finess):
    rows = [["ID", "2023", "10780195", "CLINIQUE", "1", "1053", "", "", "", "", ""]]
    identification = load_identification(write_sae_file(tmp_path / "ID_2023r.csv", ID_HEADER, rows))
    assert identification[["finess", "departement", "commune"]].values.tolist() == [["010780195", "01", "01053"]]
    assert "FI '10780195' read as '010780195'" in identification["_fixes"].iloc[0]
    register = tiny_finess.read_text(encoding="utf-8").replace("2A0000012,PHARMACIE", "10780195,PHARMACIE")
    tiny_finess.write_text(register, encoding="utf-8")
    assert "010780195" in set(load_finess(tiny_finess)["finess"])


def test_the_finess_register_the_jobs_read_is_the_table_with_its_lines_and_repairs(tmp_path, tiny_finess):
    """The ``finess`` job writes the checked table once; read back, it is the same frame, each row's line and repairs
    (a lost leading zero, coordinates outside France) kept for the messages of the jobs that read it."""
    text = tiny_finess.read_text(encoding="utf-8").replace("2A0000012,PHARMACIE", "10780195,PHARMACIE")
    tiny_finess.write_text(text.replace("41.2,8.8", "8.8,41.2"), encoding="utf-8")
    loaded = load_finess(tiny_finess)
    write_register(loaded, tmp_path / "finess.parquet")
    register = read_register(tmp_path / "finess.parquet")
    pd.testing.assert_frame_equal(register, loaded)
    fixed = register.set_index("finess")["_fixes"]
    assert "nofinesset '10780195' read as '010780195'" in fixed["010780195"] and "outside France" in fixed["2A0000004"]
    assert register.set_index("finess").loc["2A0000004", "_line"] == 3


def test_too_short_finess_number_is_refused(tmp_path):
    rows = [["ID", "2023", "780195", "CLINIQUE", "01", "01053", "", "", "", "", ""]]
    text = error_of(lambda: load_identification(write_sae_file(tmp_path / "ID_2023r.csv", ID_HEADER, rows)))
    assert "value '780195'" in text and "[rule finess-format]" in text


def test_duplicate_sites(world, tiny_sae):
    path = tiny_sae / "PALIA_2023r.csv"
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join([*lines[:2], lines[1], *lines[2:]]))
    text = error_of(world)
    assert "PALIA_2023r.csv" in text and "line 3, column 'FI'" in text and "[rule unique]" in text


@pytest.mark.parametrize("value", [b"-10", b"dix"])
def test_negative_or_non_numeric_capacity(world, tiny_sae, value):
    replace_in(tiny_sae / "PALIA_2023r.csv", b";1;10;1;", b";1;" + value + b";1;")
    text = error_of(world)
    assert f"line 2, column 'PALIA_A8': value '{value.decode()}'" in text and "[rule non-negative-number]" in text


@pytest.mark.parametrize("value", [b"12,5", b"12.5"])
def test_a_count_with_a_fraction_is_refused(world, tiny_sae, value):
    """HAD places, beds and units are counts: "12,5" is a slip, never read as 12.5 places."""
    replace_in(tiny_sae / "HAD_2023r.csv", b"HAD DU SUD;12", b"HAD DU SUD;" + value)
    text = error_of(world)
    assert "HAD_2023r.csv" in text and f"line 2, column 'PLATOT': value '{value.decode()}'" in text
    assert "expected a whole number of HAD places (a count) [rule whole-number]" in text


def test_every_fault_of_a_file_is_reported_at_once(world, tiny_sae):
    replace_in(tiny_sae / "PALIA_2023r.csv", b"2A0000001;1;3;", b"2A0000001;oui;-3;")
    replace_in(tiny_sae / "PALIA_2023r.csv", b"2B0000002;1;4;", b"2B0000002;1;quatre;")
    text = error_of(world)
    assert "3 problem(s)" in text
    assert "[rule flag-0-1]" in text and text.count("[rule non-negative-number]") == 2


def test_swapped_coordinates_are_emptied_and_the_site_placed_at_its_commune(world, tiny_finess, tiny_communes):
    replace_in(tiny_finess, b"41.5,8.5", b"8.5,41.5")
    result = world()
    usp = result.facilities.query("service == 'USP'").iloc[0]
    ajaccio = tiny_communes.set_index("code").loc["2A004"]
    assert (usp["lon"], usp["lat"], usp["location_source"]) == (ajaccio["lon"], ajaccio["lat"], "commune")
    warned = result.warnings[result.warnings["id"] == "2A0000001"]["warning"]
    assert warned.str.contains(r"outside France \[rule in-france\]").any()


def test_coordinates_in_the_sea_move_the_site_to_its_commune(world, tiny_finess, tiny_communes):
    replace_in(tiny_finess, b"41.5,8.5", b"41.5,7.2")  # 150 km west of the département, in the sea
    result = world()
    usp = result.facilities.query("service == 'USP'").iloc[0]
    ajaccio = tiny_communes.set_index("code").loc["2A004"]
    assert (usp["lon"], usp["lat"]) == (ajaccio["lon"], ajaccio["lat"])
    warned = result.warnings[result.warnings["id"] == "2A0000001"]["warning"]
    assert warned.str.contains(r"km outside département 2A \[rule in-departement\]: placed at the point").any()


def test_unknown_departement(world, tiny_sae):
    replace_in(tiny_sae / "ID_2023r.csv", b"CH DU CAP;2B;", b"CH DU CAP;99;")
    text = error_of(world)
    assert "ID_2023r.csv" in text and "line 3, column 'DEP': value '99'" in text and "[rule known-departement]" in text


def test_empty_service_in_a_departement_gives_zero_and_a_gap(world, tiny_communes, tiny_departements):
    facilities = world().facilities
    assert not ((facilities["service"] == "USP") & (facilities["departement"] == "2B")).any()
    rule = GapRule("usp_absente", "usp_count", "below", "Aucune USP", "texte", threshold=1)
    table, _ = compute_indicators(facilities, tiny_communes, tiny_departements, [rule])
    haute_corse = table.set_index("departement").loc["2B"]
    assert (haute_corse["usp_count"], haute_corse["usp_capacity"], haute_corse["usp_per_1000"]) == (0, 0, 0)
    assert bool(haute_corse["gap_usp_absente"]) and not bool(
        table.set_index("departement").loc["2A", "gap_usp_absente"]
    )


def island_graph() -> nx.MultiDiGraph:
    """A two-way mainland square (nodes 1-4) and a two-node island 30 km offshore (nodes 10, 11)."""
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in {1: (8.70, 41.90), 2: (8.71, 41.90), 3: (8.71, 41.91), 4: (8.70, 41.91),
                         10: (8.30, 41.90), 11: (8.31, 41.90)}.items():  # fmt: skip
        graph.add_node(node, x=x, y=y)
    for u, v in [(1, 2), (2, 3), (3, 4), (4, 1), (10, 11)]:
        for a, b in [(u, v), (v, u)]:
            graph.add_edge(a, b, length=830.0, highway="residential", travel_time=60.0)
    return graph


def test_network_with_a_disconnected_island(tmp_path):
    kept, pieces = main_component(to_arrays(island_graph(), "EPSG:2154"))
    assert sorted(kept.node_id.tolist()) == [1, 2, 3, 4]
    assert pieces == [(2, pytest.approx(8.305), pytest.approx(41.90))]
    router = Router(kept)
    snapped = router.snap(np.array([8.305, 8.705]), np.array([41.90, 41.905]), max_snap_m=2000)
    assert snapped.on_network.tolist() == [False, True], "the island's people are flagged, not routed over the sea"


def test_network_with_broken_nodes_and_edges_lists_them_all(tmp_path):
    graph = island_graph()
    del graph.nodes[2]["x"]
    graph.edges[3, 4, 0]["length"] = -5.0
    text = error_of(lambda: check_graph(graph, tmp_path / "roads.graphml"))
    assert "roads.graphml: 2 problem(s)" in text
    assert "column 'node 2'" in text and "[rule node-coordinates]" in text and "[rule edge-length]" in text


def test_boundaries_without_code_property(tmp_path):
    from coverage.france.sources.boundaries import load_departements

    path = tmp_path / "departements.geojson"
    gpd.GeoDataFrame({"nom": ["X"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_file(path)
    assert "column 'code'" in error_of(lambda: load_departements(path))


def test_finess_table_missing_a_column(tmp_path):
    path = tmp_path / "finess.csv"
    header = [c for c in FINESS_HEADER if c != "telephone"]
    path.write_text(
        ",".join(header) + "\n" + ",".join(["2A0000001"] + ["x"] * (len(header) - 1)) + "\n", encoding="utf-8"
    )
    text = error_of(lambda: load_finess(path))
    assert "finess.csv" in text and "column 'telephone'" in text and "[rule required-column]" in text


def test_an_area_departement_missing_from_the_boundaries_is_a_configuration_error(tiny_departements, tmp_path):
    boundaries = tmp_path / "departements.geojson"
    tiny_departements.to_file(boundaries)
    assert load_area_departements(boundaries, ["2A"])["code"].tolist() == ["2A"]
    with pytest.raises(ConfigError, match=r"area départements not in .*departements.geojson: 06, 974"):
        load_area_departements(boundaries, ["2A", "974", "06"])
