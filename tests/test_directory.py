"""Directory: nearest sites by road on a hand-made network, straight-line neighbours against brute force, the page."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_access import LON, line_network

from coverage.core.access import AccessModel, Router, ranked_sites
from coverage.france.constants import RUN_COLUMNS
from coverage.outputs.directory import (
    directory_entries,
    directory_page,
    directory_payload,
    straight_line_sites,
)
from coverage.outputs.french import capacity_text

MODEL = AccessModel({"USP": "to_site", "EMSP": "from_site"}, offroad_kph=20, max_snap_m=2000)


def sites() -> pd.DataFrame:
    """Two USP on nodes 0 and 3 of the line network, one USP in Paris (off it), one EMSP on node 2."""
    return pd.DataFrame(
        {
            "finess": ["2B0000001", "2B0000003", "750000001", "2B0000002"],
            "name": ["Ouest", "Est", "Paris", "Équipe </script> mobile"],
            "service": ["USP", "USP", "USP", "EMSP"],
            "lon": [LON[0], LON[3], 2.35, LON[2]],
            "lat": [42.0, 42.0, 48.85, 42.0],
            "address": ["1 rue A", "", "", "2 rue B"],
            "phone": ["0495000001", "", "0100000000", "0495000002"],
            "capacity": [10.0, 1.0, 12.0, 1.0],
            "capacity_unit": ["beds", "beds", "beds", "team"],
            "departement": ["2B", "2B", "75", "2B"],
        }
    )


def places() -> pd.DataFrame:
    """A commune on node 1 and one 50 km away from any road."""
    return pd.DataFrame(
        {"commune": ["2B001", "2B002"], "nom": ["Près", "Loin"], "departement": ["2B", "2B"],
         "lon": [LON[1], 9.6], "lat": [42.0, 42.3], "postcodes": ["20200", "20250 20251"], "population": [120, 45]}
    )  # fmt: skip


def test_nearest_sites_by_road_are_ranked_by_minutes_within_the_limit():
    ranked = ranked_sites(Router(line_network()), places(), sites(), MODEL, count=3, limit_min=10, columns=RUN_COLUMNS)
    usp = ranked[ranked["service"] == "USP"]
    assert usp["commune"].tolist() == ["2B001", "2B001"], "the far commune and the Paris site have no road time"
    assert usp["finess"].tolist() == ["2B0000001", "2B0000003"] and usp["minutes"].tolist() == [1.0, 2.0]
    assert usp["rank"].tolist() == [1, 2]
    assert ranked[ranked["service"] == "EMSP"]["minutes"].tolist() == [1.0]
    bounded = ranked_sites(Router(line_network()), places(), sites(), MODEL, count=3, limit_min=1.5,
                           columns=RUN_COLUMNS)
    assert bounded[bounded["service"] == "USP"]["finess"].tolist() == ["2B0000001"]


def test_a_commune_without_road_time_gets_its_nearest_sites_as_the_crow_flies():
    ranked = ranked_sites(Router(line_network()), places(), sites(), MODEL, count=3, limit_min=10, columns=RUN_COLUMNS)
    entries = directory_entries(places(), ranked, sites(), count=2)
    near = entries[(entries["commune"] == "2B001") & (entries["service"] == "USP")]
    assert near["finess"].tolist() == ["2B0000001", "2B0000003"] and near["minutes"].tolist() == [1.0, 2.0]
    far = entries[(entries["commune"] == "2B002") & (entries["service"] == "USP")]
    assert far["minutes"].isna().all() and far["finess"].tolist() == ["2B0000003", "2B0000001"]
    assert far["km"].iloc[0] == pytest.approx(haversine_km(9.6, 42.3, LON[3], 42.0), rel=1e-9)
    assert entries["service"].drop_duplicates().tolist() == ["EMSP", "USP"], "services in the project's order"


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance by the haversine formula (the directory uses chords on the unit sphere)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return float(2 * 6371.0088 * np.arcsin(np.sqrt(a)))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 4))
def test_straight_line_neighbours_equal_a_brute_force_search(seed: int, count: int):
    rng = np.random.default_rng(seed)
    communes = pd.DataFrame({"commune": [f"c{i}" for i in range(30)], "lon": rng.uniform(-5, 9, 30),
                             "lat": rng.uniform(41, 51, 30)})  # fmt: skip
    points = pd.DataFrame({"finess": [f"s{i}" for i in range(12)], "service": "USP", "lon": rng.uniform(-5, 9, 12),
                           "lat": rng.uniform(41, 51, 12)})  # fmt: skip
    found = straight_line_sites(communes, points, count)
    for commune in communes.itertuples():
        distances = [haversine_km(commune.lon, commune.lat, p.lon, p.lat) for p in points.itertuples()]
        expected = [points["finess"].iloc[i] for i in np.argsort(distances)[:count]]
        rows = found[found["commune"] == commune.commune]
        assert rows["finess"].tolist() == expected
        assert np.allclose(rows["km"], np.sort(distances)[:count], rtol=1e-9)


def test_an_msp_has_no_capacity_line_and_other_sites_theirs_in_number():
    assert capacity_text(1.0, "structure") == "" and capacity_text(2.0, "beds") == "2 lits"
    assert capacity_text(1.0, "team") == "1 équipe" and capacity_text(0.0, "beds") == "0 lit"
    assert capacity_text(1.5, "places") == "1,5 place" and capacity_text(12.0, "places") == "12 places"


def test_page_holds_its_data_inline_and_escapes_what_could_end_its_script():
    ranked = ranked_sites(Router(line_network()), places(), sites(), MODEL, count=3, limit_min=10, columns=RUN_COLUMNS)
    maps = {"2A": "corse.html", "2B": "corse.html"}
    entries = directory_entries(places(), ranked, sites(), 3)
    payload = directory_payload(places(), entries, sites(), MODEL.directions, maps)
    assert [s["code"] for s in payload["services"]] == ["EMSP", "USP"]
    assert payload["services"][0]["traveller"] == "team" and payload["services"][1]["traveller"] == "patient"
    near = payload["communes"][0]
    assert near[:4] == ["2B001", "Près", "2B", "20200"] and near[5:] == [120, True]
    usp_cells = near[4][1]
    assert [payload["sites"][cell[0]][0] for cell in usp_cells] == ["2B0000001", "2B0000003"]
    assert [cell[1] for cell in usp_cells] == [1, 2], "whole minutes by road"
    far_cells = payload["communes"][1][4][1]
    assert [cell[1] for cell in far_cells] == [None, None, None], "no road: as the crow flies, Paris third"
    assert payload["sites"][usp_cells[0][0]][6] == "10 lits" and payload["sites"][usp_cells[1][0]][6] == "1 lit"
    assert {site[0]: site[7] for site in payload["sites"]} == {
        "2B0000001": "corse.html", "2B0000003": "corse.html", "750000001": "index.html", "2B0000002": "corse.html"
    }, "a site outside the région's areas opens the national map"
    page = directory_page(payload, "Corse", ["SAE 2023"], "Méthode.")
    assert "Équipe <\\/script> mobile" in page and page.count("</script>") == 2
    data = re.search(r'<script type="application/json" id="donnees">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data.replace("<\\/", "</")) == payload
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "nothing loaded from the internet"
