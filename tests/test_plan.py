"""Planning a run: départements and régions chosen, network sizes estimated, resources asked for each job."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from coverage.errors import ConfigError
from coverage.france.territories import Size, Territories, departement_sizes, slug
from coverage.pipeline.resources import JobCost, NodeModel, SplitCost, remembered_sizes


@pytest.fixture
def territories(tmp_path: Path) -> Territories:
    """Four départements in three régions, and an overseas collectivity that is not a département."""
    departements = [
        {"code": "2A", "region": "94", "nom": "Corse-du-Sud", "zone": "metro"},
        {"code": "2B", "region": "94", "nom": "Haute-Corse", "zone": "metro"},
        {"code": "06", "region": "93", "nom": "Alpes-Maritimes", "zone": "metro"},
        {"code": "974", "region": "04", "nom": "La Réunion", "zone": "drom"},
        {"code": "975", "region": "975", "nom": "Saint-Pierre-et-Miquelon", "zone": "com"},
    ]
    regions = [
        {"code": "94", "nom": "Corse"},
        {"code": "93", "nom": "Provence-Alpes-Côte d'Azur"},
        {"code": "04", "nom": "La Réunion"},
        {"code": "975", "nom": "Saint-Pierre-et-Miquelon"},
    ]
    (tmp_path / "d.json").write_text(json.dumps(departements), encoding="utf-8")
    (tmp_path / "r.json").write_text(json.dumps(regions), encoding="utf-8")
    return Territories.read(tmp_path / "d.json", tmp_path / "r.json")


def test_all_means_every_departement_but_not_the_collectivities(territories):
    assert territories.select("all") == ["06", "2A", "2B", "974"]
    assert territories.select(["2B", "2A", "2B"]) == ["2A", "2B"]
    with pytest.raises(ConfigError, match="975"):
        territories.select(["2A", "975"])


def test_regions_hold_the_chosen_departements_under_a_file_name(territories):
    regions = territories.regions(["06", "2A", "2B"])
    assert list(regions) == ["provence-alpes-cote-d-azur", "corse"]
    assert regions["corse"].departements == ("2A", "2B") and regions["corse"].label == "Corse"
    assert slug("Île-de-France") == "ile-de-france"


def test_cut_of_a_departement_holds_its_land_and_a_share_of_its_neighbour(tmp_path: Path):
    """Two 0.1° squares side by side at 46° N; grown by 1 km, A's cut takes a 1 km strip of B (and no sea)."""
    square = [[[2.0, 46.0], [2.1, 46.0], [2.1, 46.1], [2.0, 46.1], [2.0, 46.0]]]
    beside = [[[2.1, 46.0], [2.2, 46.0], [2.2, 46.1], [2.1, 46.1], [2.1, 46.0]]]
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square}, "properties": {"code": "01"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": beside}, "properties": {"code": "02"}},
    ]}  # fmt: skip
    communes = [
        {"type": "commune-actuelle", "code": "01001", "departement": "01", "population": 700},
        {"type": "commune-actuelle", "code": "01002", "departement": "01", "population": 300},
        {"type": "arrondissement-municipal", "code": "01101", "departement": "01", "population": 100},
        {"type": "commune-actuelle", "code": "02001", "departement": "02", "population": 772},
    ]
    (tmp_path / "d.geojson").write_text(json.dumps(geojson), encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps(communes), encoding="utf-8")
    size = departement_sizes(tmp_path / "d.geojson", tmp_path / "c.json", buffer_km=1)["01"]
    height = 0.1 * 111.2  # km: 0.1 degree of latitude
    width = 0.1 * 111.32 * math.cos(math.radians(46.05))  # km: 0.1 degree of longitude at 46.05° N
    assert size.area_km2 == pytest.approx(width * height + 1 * height, rel=5e-3)
    assert size.population == pytest.approx(1000 + 772 * 1 / width, abs=2)


def test_sizes_are_measured_once_per_plan_and_again_when_a_file_or_setting_changes(tmp_path: Path):
    """What the next Snakemake start of the same plan reads back equals what was measured; another file content or
    setting is measured again; a folder that cannot be written only loses the saving."""
    boundaries, people = tmp_path / "d.geojson", tmp_path / "c.json"
    boundaries.write_text('{"features": []}', encoding="utf-8")
    people.write_text("[]", encoding="utf-8")
    measured = []

    def measure(area: float) -> Callable[[], dict[str, Size]]:
        return lambda: measured.append(area) or {"2A": Size(area_km2=area, population=355_486)}

    kept = tmp_path / ".snakemake/coverage"
    first = remembered_sizes(kept, measure(8775.93268982662), [boundaries, people], [["2A"], 120])
    again = remembered_sizes(kept, measure(1.0), [boundaries, people], [["2A"], 120])
    assert first == again == {"2A": Size(area_km2=8775.93268982662, population=355_486)}
    assert measured == [8775.93268982662], "read back, not measured again"
    assert remembered_sizes(kept, measure(2.0), [boundaries, people], [["2A"], 60])["2A"].area_km2 == 2.0
    people.write_text('[{"type": "commune-actuelle"}]', encoding="utf-8")
    assert remembered_sizes(kept, measure(3.0), [boundaries, people], [["2A"], 120])["2A"].area_km2 == 3.0
    assert measured == [8775.93268982662, 2.0, 3.0] and len(list(kept.glob("sizes-*.json"))) == 3
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert remembered_sizes(tmp_path / "file" / "kept", measure(4.0), [people], [])["2A"].area_km2 == 4.0


def test_resources_scale_with_nodes_and_grow_with_each_attempt():
    cost = JobCost(mb=300, s=20, mb_per_knode=2.0, s_per_knode=0.5)
    assert cost.resources(nodes=100_000, safety=1.5) == {"mem_mb": 750, "runtime": 2}  # (300+200)x1.5; (20+50)x1.5 s
    assert cost.resources(nodes=100_000, safety=1.5, attempt=2) == {"mem_mb": 1500, "runtime": 4}
    assert cost.resources(nodes=0, safety=1.0) == {"mem_mb": 300, "runtime": 1}
    overhead = JobCost(mb=450, s=15)  # the Snakemake process of a cluster job: after safety, before the attempts
    assert cost.resources(nodes=100_000, safety=1.5, attempt=2, overhead=overhead) == {"mem_mb": 2400, "runtime": 4}
    assert NodeModel(per_km2=2.0, per_inhabitant=0.01).nodes(Size(area_km2=1000.5, population=50_000)) == 2501


def test_a_split_cuts_as_many_pieces_per_pass_as_fit_in_its_memory():
    """osmium's memory: a pass's own part plus each piece's (a fixed part and a part per GB of extract); its time:
    each pass reads the extract, each piece is written."""
    cost = SplitCost(mb=150, mb_per_piece=17, mb_per_piece_gb=40, s_per_pass_gb=60, s_per_piece_gb=15)
    assert cost.piece_mb(4.0) == 177
    assert cost.pieces_per_pass(101, 4.0, memory_mb=16_000, safety=1.0) == 89  # (16000 - 150) / 177
    assert cost.pieces_per_pass(101, 4.0, memory_mb=16_000, safety=1.5) == 59  # (16000 / 1.5 - 150) / 177
    assert cost.pieces_per_pass(101, 0.1, memory_mb=16_000, safety=1.5) == 101, "a small extract: one pass"
    assert cost.pieces_per_pass(101, 4.0, memory_mb=100, safety=1.5) == 1, "never none"
    # Passes of 59 pieces: two passes (60 s x 4 GB each) and 101 pieces (15 s x 4 GB each), x 1.5 = 9,810 s.
    assert cost.resources(101, 4.0, memory_mb=16_000, safety=1.5) == {"mem_mb": 15890, "runtime": 164}  # (150 + 59 x 177) x 1.5
    assert cost.resources(101, 0.1, memory_mb=16_000, safety=1.5)["mem_mb"] == math.ceil((150 + 101 * 21) * 1.5)
