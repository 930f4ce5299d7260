"""Map pieces: contact popups, and pages that load nothing from the internet."""

from pathlib import Path

import numpy as np
import pandas as pd

from coverage.france.indicators import GapRule, compute_indicators
from coverage.outputs._web_assets import external_references
from coverage.outputs.maps import _popup, build_map, write_map

SITE = {
    "finess": "2A0000001", "name": "CH L'ÉTOILE", "service": "USP", "capacity": 10.0, "capacity_unit": "beds",
    "address": "1 AV DE LA MER 20000 AJACCIO", "phone": "0495000000", "edition": "SAE 2023",
    "location_source": "finess", "emsp_fte": np.nan, "lon": 8.5, "lat": 41.5, "departement": "2A", "usp_units": 1.0,
}  # fmt: skip


def test_popup_gives_name_service_capacity_address_and_phone():
    text = _popup(pd.Series(SITE))
    assert "CH L&#x27;ÉTOILE" in text and "Unités de soins palliatifs" in text and "Capacité : 10 lits" in text
    assert '<a href="tel:0495000000">04 95 00 00 00</a>' in text and "FINESS 2A0000001" in text


def test_popup_without_phone_or_address_has_no_empty_lines():
    text = _popup(pd.Series({**SITE, "phone": "", "address": "", "location_source": "commune"}))
    assert "Tél." not in text and "nan" not in text and "point de la commune" in text


def test_external_references_are_detected():
    assert external_references('<script src="https://cdn.example/x.js"></script><link href="//a/b.css">') != []
    assert external_references("<script>var u = 'https://tile/{z}/{x}/{y}.png';</script>") == []


def test_written_map_is_self_contained(tmp_path: Path, tiny_departements):
    facilities = pd.DataFrame([SITE])
    communes = pd.DataFrame({"departement": ["2A", "2B"], "population": [1000, 2000]})
    rules = [GapRule("usp", "usp_count", "below", "Aucune USP", "texte", threshold=1)]
    table, _ = compute_indicators(facilities, communes, tiny_departements, rules)
    fmap = build_map(table, tiny_departements, facilities, {"usp_beds_per_100k": "Lits d'USP"}, rules, ["SAE 2023"])
    write_map(fmap, tmp_path / "map.html")
    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert external_references(page) == []
    assert "L.markerClusterGroup" in page and "Aucune USP" in page and "coverage-site-usp" in page
