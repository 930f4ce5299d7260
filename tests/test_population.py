"""INSEE populations: current communes counted once, every other record accounted for."""

import json
from pathlib import Path

import pytest

from coverage.errors import InputError
from coverage.sources.population import load_population

RECORDS = [
    {"code": "13055", "nom": "Marseille", "type": "commune-actuelle", "departement": "13", "population": 870000},
    {"code": "13201", "nom": "Marseille 1er", "type": "arrondissement-municipal", "departement": "13", "population": 40000},
    {"code": "01015", "nom": "Arbignieu", "type": "commune-deleguee", "departement": "01"},
    {"code": "01001", "nom": "L'Abergement", "type": "commune-actuelle", "departement": "01", "population": 860,
     "anciensCodes": ["01999"]},
    {"code": "97501", "nom": "Saint-Pierre", "type": "commune-actuelle", "departement": "975", "population": 5500},
]  # fmt: skip


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n", encoding="utf-8")
    return path


def test_arrondissements_are_not_counted_twice_and_others_are_rejected_with_lines(tmp_path: Path):
    communes, rejects = load_population(_write(tmp_path / "c.json", RECORDS), {"01", "13"})
    assert communes.groupby("departement")["population"].sum().to_dict() == {"01": 860, "13": 870000}
    assert communes.set_index("code").loc["01001", "former_codes"] == "01999"
    assert sorted(zip(rejects["line"], rejects["id"], strict=True)) == [(3, "13201"), (4, "01015"), (6, "97501")]


def test_missing_population_is_an_error_naming_the_line(tmp_path: Path):
    records = RECORDS[:1] + [{"code": "01001", "type": "commune-actuelle", "departement": "01"}]
    with pytest.raises(InputError, match="line 3.*population"):
        load_population(_write(tmp_path / "c.json", records), {"01", "13"})
