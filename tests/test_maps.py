"""Map pieces: contact popups (one text per kind of location), and pages that load nothing from the internet."""

import ast
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import ROOT

from coverage.france.contracts import LocationSource
from coverage.france.facilities import Inputs, build_facilities
from coverage.france.indicators import GapRule, compute_indicators
from coverage.france.sources.finess import load_finess
from coverage.france.sources.own_sites import OwnList
from coverage.france.sources.sae import find_edition
from coverage.outputs._classes import minute_classes, off_network
from coverage.outputs._web_assets import external_references
from coverage.outputs.explorer import national_indicators, national_page
from coverage.outputs.maps import LOCATION_NOTES, _class_digits, site_popup
from coverage.outputs.page import write_map

SITE = {
    "finess": "2A0000001", "name": "CH L'ÉTOILE", "service": "USP", "capacity": 10.0, "capacity_unit": "beds",
    "address": "1 AV DE LA MER 20000 AJACCIO", "phone": "0495000000", "edition": "SAE 2023",
    "location_source": "finess", "emsp_fte": np.nan, "lon": 8.5, "lat": 41.5, "departement": "2A", "usp_units": 1.0,
}  # fmt: skip


def test_popup_gives_name_service_capacity_address_and_phone():
    text = site_popup(pd.Series(SITE))
    assert "CH L&#x27;ÉTOILE" in text and "Unités de soins palliatifs" in text and "Capacité : 10 lits" in text
    assert '<a href="tel:0495000000">04 95 00 00 00</a>' in text and "FINESS 2A0000001" in text


def test_popup_of_an_msp_gives_no_capacity():
    text = site_popup(pd.Series({**SITE, "service": "MSP", "capacity": 1.0, "capacity_unit": "structure"}))
    assert "Maisons de santé" in text and "Capacité" not in text and "structure" not in text


def test_popup_without_phone_or_address_has_no_empty_lines():
    text = site_popup(pd.Series({**SITE, "phone": "", "address": "", "location_source": "commune"}))
    assert "Tél." not in text and "nan" not in text and "point de la commune" in text


def test_external_references_are_detected():
    assert external_references('<script src="https://cdn.example/x.js"></script><link href="//a/b.css">') != []
    assert external_references("<script>var u = 'https://tile/{z}/{x}/{y}.png';</script>") == []


def test_written_map_is_self_contained(tmp_path: Path, tiny_departements):
    facilities = pd.DataFrame([SITE])
    communes = pd.DataFrame({"departement": ["2A", "2B"], "population": [1000, 2000]})
    rules = [GapRule("usp", "usp_count", "below", "Aucune USP", "texte", threshold=1)]
    table, _ = compute_indicators(facilities, communes, tiny_departements, rules)
    path = tmp_path / "table.csv"
    table.to_csv(path, index=False)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    choices = national_indicators(table, raw, {"usp_beds_per_100k": "Lits d'USP"}, rules, "Sources : SAE 2023")
    fmap = national_page(table, tiny_departements, facilities, choices, rules, {})
    write_map(fmap, tmp_path / "map.html")
    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert external_references(page) == []
    assert "L.markerClusterGroup" in page and "Aucune USP" in page and "CH L&#x27;ÉTOILE" in page


def test_every_location_source_the_tables_can_hold_has_its_popup_text():
    assert set(LOCATION_NOTES) == set(LocationSource)
    for source in LocationSource:
        text = site_popup(pd.Series({**SITE, "location_source": source.value}))
        assert "SAE 2023" in text and "{" not in text, source


def written_location_sources(tree: ast.AST) -> list[ast.expr]:
    """The expressions a module writes to a ``location_source`` column: ``x["location_source"] = ...``,
    ``x.loc[..., "location_source"] = ...``, ``{"location_source": ...}`` and ``location_source=...``."""

    def names_it(node: ast.expr) -> bool:
        keys = node.elts if isinstance(node, ast.Tuple) else [node]
        return any(isinstance(key, ast.Constant) and key.value == "location_source" for key in keys)

    written = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            written += [node.value for target in node.targets
                        if isinstance(target, ast.Subscript) and names_it(target.slice)]  # fmt: skip
        elif isinstance(node, ast.Dict):
            written += [value for key, value in zip(node.keys, node.values, strict=True) if key and names_it(key)]
        elif isinstance(node, ast.keyword) and node.arg == "location_source":
            written.append(node.value)
    return written


def test_location_sources_are_written_only_from_their_enumeration():
    """A value written to ``location_source`` anywhere in the package comes from LocationSource, never a bare
    string: a new kind of location cannot reach the table without the popup knowing it."""
    writers = {}
    for module in sorted((ROOT / "src" / "coverage").rglob("*.py")):
        for value in written_location_sources(ast.parse(module.read_text(encoding="utf-8"))):
            strings = [n.value for n in ast.walk(value) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            uses = [n.attr for n in ast.walk(value) if isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name) and n.value.id == "LocationSource"]  # fmt: skip
            writers.setdefault(module.name, []).append((strings, uses))
    assert set(writers) == {"facilities.py", "own_sites.py"}, "the modules that write the column"
    assert all(strings == [] and uses for found in writers.values() for strings, uses in found), writers


def test_built_sites_from_registers_and_a_planners_list_all_have_their_popup_note(
    tiny_sae, tiny_finess, tiny_communes, tiny_departements, tmp_path: Path
):
    own = tmp_path / "ars.csv"
    own.write_text("finess,name,service,capacity,lon,lat,commune\n2B0000020,CH DE CORTE,LISP,6,9.5,42.4,\n"
                   "2A0000021,SSR DU SUD,USP,4,,,2A041\n", encoding="utf-8")  # fmt: skip
    register = load_finess(tiny_finess)
    built = build_facilities(Inputs(
        sae=find_edition(tiny_sae), finess=register, finess_path=tiny_finess, finess_label="FINESS",
        communes=tiny_communes, departements=tiny_departements,
        own_lists=(OwnList(own, "ARS de Corse, LISP reconnus (2025)"),),
    )).facilities  # fmt: skip
    assert set(built["location_source"]) == {"finess", "commune", "list", "list_commune"}
    popups = {row["finess"]: site_popup(row) for _, row in built.iterrows()}
    assert "liste « ARS de Corse, LISP reconnus (2025) » ; localisation donnée par la liste" in popups["2B0000020"]
    assert "liste « ARS de Corse, LISP reconnus (2025) » ; localisation approchée" in popups["2A0000021"]


def test_one_topology_holds_every_layer_each_border_once(tiny_departements):
    """Two squares sharing a side and a layer of two bands (one empty, as when no road is reached) become one
    topology: the shared side is one arc used by both squares, the empty band and the empty layer are left out, and
    the features keep their columns."""
    import geopandas as gpd
    from shapely.geometry import Polygon, box

    from coverage.outputs.page import topology

    squares = tiny_departements.assign(geometry=[box(8, 41, 9, 42), box(9, 41, 10, 42)], i=[0, 1])
    bands = gpd.GeoDataFrame({"i": [0, 1]}, geometry=[Polygon(), box(8.2, 41.2, 8.8, 41.8)], crs="EPSG:4326")
    empty = gpd.GeoDataFrame({"i": [0]}, geometry=[Polygon()], crs="EPSG:4326")
    topo = topology({"squares": squares[["i", "code", "geometry"]], "bands": bands, "none": empty},
                    tolerance=0.001, cell=0.001)
    assert set(topo["objects"]) == {"squares", "bands"}
    shapes = topo["objects"]["squares"]["geometries"]
    assert [g["properties"] for g in shapes] == [{"i": 0, "code": "2A"}, {"i": 1, "code": "2B"}]
    used = [abs(a) if a >= 0 else ~a for g in shapes for ring in g["arcs"] for a in ring]
    assert len(used) - len(set(used)) == 1, "the shared side: one arc, used twice"
    assert [g["properties"]["i"] for g in topo["objects"]["bands"]["geometries"]] == [1]


def test_a_commune_off_the_network_is_unknown_not_unreached():
    """Its minutes are unknown, neither near nor beyond the horizon: a class of its own on the maps."""
    classes = minute_classes([15, 30], 60)
    minutes = pd.Series([10.0, 45.0, np.nan, np.nan])
    rows = pd.DataFrame({"on_network": ["True", "True", "True", "False"]})
    assert off_network(rows).tolist() == [False, False, False, True]
    assert _class_digits(minutes, classes, off_network(rows)) == "0234", "15, 30, 60 min; beyond; unknown"
    assert not off_network(pd.DataFrame({"x": [1]})).any(), "a table without the column: all on the network"
