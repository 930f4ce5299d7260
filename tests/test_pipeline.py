"""End-to-end runs of the Snakemake pipeline on the real data of ../shared/data.

Expected values are computed here straight from the source files with the csv and json modules,
independently of the pipeline's code.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SAE, SAE_2021, SHARED, examples, snakemake

from coverage.france.constants import SERVICES
from coverage.pipeline.provenance import table_digests

pytestmark = pytest.mark.integration
SAE_OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9F": "976"}
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--virtual-time-budget=10000",
]  # fmt: skip


def read_sae(name: str, folder: Path = SAE) -> list[dict]:
    path = next(folder.glob(f"{name}_*.csv"))
    rows = list(csv.DictReader(open(path, encoding="latin-1", newline=""), delimiter=";"))
    return [{k.upper(): v for k, v in row.items()} for row in rows]


def number(text: str) -> float:
    return float(text) if text.strip() else 0.0


def expected_by_departement(sae: Path = SAE) -> dict[tuple[str, str], list[float]]:
    """(département, service) -> [sites, capacity], summed from the source columns."""
    departement = {r["FI"]: SAE_OVERSEAS.get(r["DEP"], r["DEP"]) for r in read_sae("ID", sae)}
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])

    def add(fi: str, service: str, capacity: float) -> None:
        totals[(departement[fi], service)][0] += 1
        totals[(departement[fi], service)][1] += capacity

    for r in read_sae("PALIA", sae):
        if r["PALIA_A6"] == "1":
            add(r["FI"], "USP", number(r["PALIA_A8"]))
        if r["PALIA_A1"] == "1":
            add(r["FI"], "LISP", number(r["PALIA_A2"]) + number(r["PALIA_A3"]) + number(r["PALIA_A4"]))
        if r["PALIA_A10"] == "1":
            add(r["FI"], "EMSP", 1)
    for r in read_sae("HAD", sae):
        if number(r["PLATOT"]) > 0:
            add(r["FI"], "HAD", number(r["PLATOT"]))
    with open(SHARED / "facilities/finess-2021-01/finess_etablissements.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["categetab"] == "603":
                code = r["codepostal"][:3] if r["nofinesset"][:2] in ("97", "98") else r["nofinesset"][:2]
                totals[(code, "MSP")][0] += 1
                totals[(code, "MSP")][1] += 1
    return totals


def finess_departements() -> set[str]:
    """The départements of the FINESS table's establishments, from their own codes."""
    with open(SHARED / "facilities/finess-2021-01/finess_etablissements.csv", encoding="utf-8", newline="") as f:
        return {r["codepostal"][:3] if r["nofinesset"][:2] in ("97", "98") else r["nofinesset"][:2]
                for r in csv.DictReader(f)}  # fmt: skip


def expected_population() -> dict[str, int]:
    records = json.loads((SHARED / "population/communes.json").read_text(encoding="utf-8"))
    population: dict[str, int] = defaultdict(int)
    for r in records:
        if r["type"] == "commune-actuelle":
            population[r["departement"]] += r.get("population", 0)
    return population


def read_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"departement": str, "finess": str, "commune": str, "id": str})


def test_national_totals_equal_the_sums_of_the_source_columns(run: Path):
    totals = read_table(run / "data/processed/national_totals.csv").set_index("service")
    assert totals.loc["USP", ["sites", "capacity"]].tolist() == [168, 1960]
    assert totals.loc["LISP", "capacity"] == 6993
    assert totals.loc["EMSP", "sites"] == 424
    assert totals.loc["HAD", "capacity"] == 24093
    assert totals.loc["MSP", "sites"] == 1763
    assert (totals["departements"] == 101).all()


def palia_mco_beds(folder: Path) -> pd.Series:
    """PALIA_A2 (LISP beds in acute care, MCO) of the establishments with LISP (PALIA_A1) of an SAE edition, by
    département of its ID file, read here."""
    departement = {r["FI"]: SAE_OVERSEAS.get(r["DEP"], r["DEP"]) for r in read_sae("ID", folder)}
    beds: dict[str, float] = defaultdict(float)
    for r in read_sae("PALIA", folder):
        if r["PALIA_A1"] == "1":
            beds[departement[r["FI"]]] += number(r["PALIA_A2"])
    return pd.Series(beds)


@pytest.mark.parametrize(("edition", "published"), [("", 5557), ("editions/sae-2021/", 5566)])
def test_lisp_beds_in_acute_care_as_the_national_observatory_publishes_them(run: Path, edition: str, published: int):
    """The LISP beds in MCO (PALIA_A2) beside the total of every sector: nationally, the sum of the column in the
    edition's file (5,566 in SAE 2021, as the observatory's Atlas publishes it; 5,557 in SAE 2023), and by
    département."""
    folder = SAE if not edition else SAE_2021
    totals = read_table(run / f"data/processed/{edition}national_totals.csv").set_index("service")
    assert totals.loc["LISP", "capacity_mco"] == palia_mco_beds(folder).sum() == published
    assert totals.loc["LISP", "capacity"] > published and totals["capacity_mco"].drop("LISP").isna().all()
    table = read_table(run / f"data/processed/{edition}indicators_departement.csv").set_index("departement")
    by_departement = palia_mco_beds(folder).reindex(table.index, fill_value=0)
    assert table["lisp_mco_capacity"].tolist() == by_departement.tolist()
    assert np.allclose(table["lisp_mco_per_1000"], table["lisp_mco_capacity"] / table["population"] * 1000)


def test_people_aged_75_and_over_and_the_supply_set_against_them(run: Path):
    """Read from INSEE's file with pandas: each département's people aged 75+ in 2023, and USP beds per 100,000."""
    sheet = pd.read_excel(SHARED / "population/estim-pop-dep-sexe-gca-1975-2023.xls", sheet_name="2023", header=None,
                          engine="calamine")  # fmt: skip
    column = list(sheet.iloc[4]).index("75 ans et plus")
    elderly = {str(code): int(value) for code, value in zip(sheet[0], sheet[column], strict=True)
               if re.fullmatch(r"\d{2}|2A|2B|97\d", str(code))}  # fmt: skip
    table = read_table(run / "data/processed/indicators_departement.csv").set_index("departement")
    assert table["population_75_plus"].to_dict() == elderly
    expected = table["usp_capacity"] / table["population_75_plus"] * 100_000
    assert np.allclose(table["usp_per_100k_75plus"], expected)
    totals = read_table(run / "data/processed/national_totals.csv").set_index("service")
    assert totals.loc["USP", "per_100k_75plus"] == pytest.approx(1960 / 6_849_764 * 100_000)
    assert "estimations de population au 1er janvier 2023" in table["sources"].iloc[0]


def test_supply_counted_against_deaths_from_the_files_own_cells(run: Path):
    """Deaths read here with the csv module: USP and LISP beds per 1,000 deaths of 2023, EMSP per 10,000 deaths at
    75+, USP + LISP beds per 1,000 cancer deaths of 2022, by département and for France (the 1,960 USP beds of SAE
    2023 over the 637,324 deaths of the 100 départements INSEE gives); Mayotte, absent from INSEE's file, empty in
    the tables, « non disponible » in the Markdown and listed in warnings.csv, naming the configured file."""
    with open(SHARED / "population/deces-departements-ages-2019-2022-2023.csv", encoding="utf-8", newline="") as f:
        rows = {r["Zone"].removeprefix("Dept_"): r for r in csv.DictReader(f, delimiter=";")}
    deaths = pd.Series({code: int(r["Total_Deces2023"]) for code, r in rows.items()})
    elderly = pd.Series({code: int(r["Total_75_84ans_Deces2023"]) + int(r["Total_85ans_plus_Deces2023"])
                         for code, r in rows.items()})  # fmt: skip
    cancer: Counter = Counter()
    with open(SHARED / "population/deces-tumeurs-departements-1990-2022.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter=";"):
            cancer[r["departement_de_domicile"]] += int(r["effectif_de_deces"]) if r["annee_de_deces"] == "2022" else 0
    table = read_table(run / "data/processed/indicators_departement.csv").set_index("departement")
    known = table.drop(index="976")
    assert known["deaths"].astype(int).to_dict() == deaths.to_dict()
    assert np.allclose(known["usp_per_1000_deaths"], known["usp_capacity"] / deaths * 1000)
    assert np.allclose(known["lisp_per_1000_deaths"], known["lisp_capacity"] / deaths * 1000)
    assert np.allclose(known["emsp_per_10k_elderly_deaths"], known["emsp_count"] / elderly * 10_000)
    beds = table["usp_capacity"] + table["lisp_capacity"]
    assert np.allclose(table["palliative_beds_per_1000_cancer_deaths"], beds / pd.Series(cancer) * 1000)
    assert table.loc["976", ["deaths", "usp_per_1000_deaths", "emsp_per_10k_elderly_deaths"]].isna().all()
    totals = read_table(run / "data/processed/national_totals.csv").set_index("service")
    assert deaths.sum() == 637_324 and known["usp_capacity"].sum() == 1960 - table.loc["976", "usp_capacity"]
    assert totals.loc["USP", "per_1000_deaths"] == pytest.approx(known["usp_capacity"].sum() / 637_324 * 1000)
    assert "Inserm CépiDc, décès de 2022" in table["sources"].iloc[0] and "décès domiciliés de 2023" in table["sources"].iloc[0]
    markdown = (run / "data/processed/indicators_departement.md").read_text(encoding="utf-8")
    mayotte = next(line for line in markdown.splitlines() if line.startswith("| Mayotte (976)"))
    assert mayotte.count("non disponible") == 5 and "Non disponible pour Mayotte : la source ne donne pas" in markdown
    warnings = read_table(run / "data/processed/warnings.csv")
    listed = warnings[warnings["file"].str.endswith("deces-departements-ages-2019-2022-2023.csv")]
    assert listed["id"].tolist() == ["976"] and "no deaths for this département in 2023" in listed["warning"].iloc[0]


def test_every_departement_matches_an_independent_computation(run: Path):
    table = read_table(run / "data/processed/indicators_departement.csv").set_index("departement")
    assert len(table) == 101 and table.index.is_unique
    expected = expected_by_departement()
    population = expected_population()
    listed = finess_departements()
    assert sorted(set(table.index) - listed) == ["976"], "FINESS 2021-01 lists no establishment of Mayotte"
    for code, row in table.iterrows():
        assert row["population"] == population[code], code
        for service in ("USP", "LISP", "EMSP", "HAD", "MSP"):
            s = service.lower()
            if service == "MSP" and code not in listed:
                assert np.isnan(row["msp_count"]) and np.isnan(row["msp_per_1000"]), "unknown, not 0"
                continue
            sites, capacity = expected.get((code, service), [0, 0.0])
            assert (row[f"{s}_count"], row[f"{s}_capacity"]) == (sites, pytest.approx(capacity)), (code, service)
            assert row[f"{s}_per_1000"] == pytest.approx(capacity / population[code] * 1000, rel=1e-5)
    corse_du_sud = table.loc["2A"]
    assert (
        corse_du_sud["usp_capacity"] == 8 and corse_du_sud["lisp_capacity"] == 31 and corse_du_sud["had_capacity"] == 70
    )


@pytest.mark.parametrize("edition", ["data/processed", "data/processed/editions/sae-2021"])
def test_no_sae_row_is_lost(run: Path, edition: str):
    """Every row of each edition's files is used or listed in rejects.csv (earlier editions' rejects included)."""
    facilities = read_table(run / edition / "facilities.csv")
    rejects = read_table(run / "data/processed/rejects.csv")
    used = set(facilities["finess"])
    folder, year = (SAE_2021, "2021") if edition.endswith("2021") else (SAE, "2023")
    for name in ("ID", "PALIA", "HAD"):
        rows = read_sae(name, folder)
        rejected = set(rejects.loc[rejects["file"].str.contains(f"{name}_{year}"), "id"])
        assert len(rows) == len(used & {r["FI"] for r in rows}) + len(rejected), name
        assert not used & rejected


def test_facilities_keep_codes_contacts_and_locations(run: Path):
    facilities = read_table(run / "data/processed/facilities.csv")
    assert facilities["finess"].str.fullmatch(r"(\d{2}|2A|2B)\d{7}").all()
    assert {"2A", "2B", "971", "976"} <= set(facilities["departement"])
    assert set(facilities["location_source"]) <= {"finess", "commune"}
    assert facilities["lon"].notna().all()
    msp = facilities[facilities["service"] == "MSP"]
    assert msp["phone"].notna().mean() > 0.5 and msp["address"].notna().all()
    absent = {"2A0004842", "440055945", "540026895", "740014691", "790020960", "980500011", "980502298"}
    assert set(facilities.loc[facilities["location_source"] == "commune", "finess"]) == absent


def expected_emsp_fte(sae: Path) -> dict[str, float]:
    """Salaried FTE of the EMSP by département: every profession's column, the trained-staff subsets left out."""
    departement = {r["FI"]: SAE_OVERSEAS.get(r["DEP"], r["DEP"]) for r in read_sae("ID", sae)}
    fte: dict[str, float] = defaultdict(float)
    for r in read_sae("PALIA", sae):
        if r["PALIA_A10"] == "1":
            prefix = "EMSP_ETPSAL_" if "EMSP_ETPSAL_PM" in r else "EMSP_ETP_"
            professions = ("PM", "CADRES", "IDE", "AIDES", "PSY", "PNMAUT")
            fte[departement[r["FI"]]] += sum(number(r[prefix + p]) for p in professions)
    return fte


def test_change_between_editions_is_the_difference_of_the_source_sums(run: Path):
    """Each edition summed from its own files (2021: other columns, HAD_2021a), by département and nationally."""
    processed = run / "data/processed"
    change = read_table(processed / "change_departement.csv").set_index(["departement", "indicator"])
    national = read_table(processed / "change_national.csv").set_index("indicator")
    before, after = expected_by_departement(SAE_2021), expected_by_departement(SAE)
    fte_before, fte_after = expected_emsp_fte(SAE_2021), expected_emsp_fte(SAE)
    for service, measure, position in (("USP", "capacity", 1), ("USP", "count", 0), ("LISP", "capacity", 1),
                                       ("EMSP", "count", 0), ("HAD", "capacity", 1), ("HAD", "count", 0)):  # fmt: skip
        indicator = f"{service.lower()}_{measure}"
        for code in change.index.unique("departement"):
            old, new = before.get((code, service), [0, 0.0])[position], after.get((code, service), [0, 0.0])[position]
            row = change.loc[(code, indicator)]
            assert (row["value_from"], row["value_to"], row["change"]) == (old, new, new - old), (code, indicator)
        total_old = sum(v[position] for (_, s), v in before.items() if s == service)
        total_new = sum(v[position] for (_, s), v in after.items() if s == service)
        assert national.loc[indicator, ["value_from", "value_to", "change"]].tolist() == [
            total_old, total_new, total_new - total_old]
    assert national.loc["emsp_fte", "value_from"] == pytest.approx(sum(fte_before.values()))
    assert national.loc["emsp_fte", "value_to"] == pytest.approx(sum(fte_after.values()))
    assert change.loc[("2B", "emsp_fte"), "value_to"] == pytest.approx(fte_after["2B"])
    assert national.loc["usp_capacity", "change"] == 1960 - 1968
    assert set(national["edition_from"]) == {"SAE 2021"} and set(national["edition_to"]) == {"SAE 2023"}
    assert national["sources"].iloc[0].startswith("SAE 2021 ; SAE 2023 ; FINESS")
    text = (processed / "change.md").read_text(encoding="utf-8")
    assert "| Lits d'USP | SAE 2021 | 1\u202f968 | SAE 2023 | 1\u202f960 | -8 | -0,4 % |" in text
    assert "| 2B | Haute-Corse | SAE 2021 → SAE 2023 | 0 → 12 (+12) |" in text


def test_markdown_table_states_the_editions(run: Path):
    text = (run / "data/processed/indicators_departement.md").read_text(encoding="utf-8")
    assert "SAE 2023" in text and "FINESS (mis à jour jusqu'au 2021-01-08)" in text
    assert text.count("\n| 2A | Corse-du-Sud |") == 1


def test_static_maps_are_pictures(run: Path, default_config):
    from matplotlib.image import imread

    pictures = sorted((run / "maps/static").glob("*.png"))
    assert [p.stem for p in pictures] == sorted(default_config["maps"]["indicators"]) and len(pictures) == 15
    for picture in pictures:
        height, width, _ = imread(picture).shape
        assert width > 1000 and height > 1000


def open_in_chromium(page: Path, profile: Path) -> tuple[str, DrawnElements]:
    """The DOM of a page after it ran in headless Chromium, offline, and its elements counted by class."""
    chromium = shutil.which("chromium")
    assert chromium, "chromium is installed by `make test`"
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", page.read_text(encoding="utf-8"))
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000", "--dump-dom"]
    dom = subprocess.run([*command, page.as_uri()], capture_output=True, text=True, timeout=180).stdout
    drawn = DrawnElements()
    drawn.feed(dom)
    return dom, drawn


def test_map_opens_offline_in_chromium_and_draws_its_layers(run: Path, tmp_path: Path, default_config):
    dom, drawn = open_in_chromium(run / "maps/index.html", tmp_path / "profile")
    sites = drawn.classes["coverage-site"]
    insets = drawn.classes["coverage-inset"]
    assert insets == 5 and drawn.classes["coverage-departement"] == 101 + insets, "one shared polygon per département"
    assert drawn.classes["coverage-cluster-usp"] > 5 and drawn.classes["coverage-cluster-emsp"] > 5
    assert drawn.classes["coverage-cluster-msp"] == drawn.classes["coverage-site-msp"] == 0, "MSP hidden at opening"
    assert sites == drawn.classes["coverage-site-usp"] + drawn.classes["coverage-site-emsp"] > 0
    picked = len(default_config["maps"]["indicators"]) + len(default_config["changes"]["maps"]) + len(SERVICES)
    assert drawn.tags["option"] - 101 == picked, "the picker's choices, beside the search's 101 départements"
    assert drawn.tags["optgroup"] == 5 and drawn.classes["leaflet-control-layers-selector"] == 1 + 5 + 1
    assert "leaflet-control-layers-expanded" not in drawn.classes, "overlays folded"
    assert "Évolution entre éditions" in dom and "Lits d'USP : évolution SAE 2021 → SAE 2023" in dom
    assert 'href="corse.html"' in dom


class DrawnElements(HTMLParser):
    """Count the elements of a dumped DOM by class, and note which legends are displayed."""

    def __init__(self):
        super().__init__()
        self.classes: Counter = Counter()
        self.tags: Counter = Counter()
        self.visible_legends: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags[tag] += 1
        self.classes.update((attributes.get("class") or "").split())
        if "coverage-legend" in (attributes.get("class") or "") and "none" not in (attributes.get("style") or ""):
            self.visible_legends.append(attributes.get("data-layer"))


def test_bad_input_stops_the_run_with_a_message_naming_file_line_and_column(tmp_path: Path):
    folder = tmp_path / "sae-bad"
    shutil.copytree(SAE, folder)
    palia = folder / "PALIA_2023r.csv"
    lines = palia.read_bytes().split(b"\r\n")
    cells = lines[5].split(b";")
    cells[12] = b"douze"  # PALIA_A8, the USP beds
    lines[5] = b";".join(cells)
    palia.write_bytes(b"\r\n".join(lines))
    result = snakemake(tmp_path / "run", {"sources": {"sae": str(folder)}}, "data/processed/facilities.csv")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert (
        "PALIA_2023r.csv" in output
        and "line 6" in output
        and "'PALIA_A8'" in output
        and "'douze'" in output
        and "USP beds" in output
    )
    assert f"{folder}/PALIA_2023r.csv (read from its copy data/raw/sae/PALIA_2023r.csv)" in output, "the planner's file"
    assert "Error in rule facilities" in output
    assert "Traceback" not in output


CORSICA = ("2A", "2B")
SERVICES = ("MSP", "HAD", "EMSP", "USP", "LISP")


def test_access_covers_every_commune_of_corsica(run: Path, default_config):
    access = read_table(run / "data/processed/access_commune.csv")
    records = json.loads((SHARED / "population/communes.json").read_text(encoding="utf-8"))
    expected = {
        r["code"]: r["population"] for r in records if r["type"] == "commune-actuelle" and r["departement"] in CORSICA
    }
    assert dict(zip(access["commune"], access["population"], strict=True)) == expected
    assert access["on_network"].all()
    for service in SERVICES:
        minutes, nearest = access[f"{service.lower()}_minutes"], access[f"{service.lower()}_nearest"].fillna("")
        assert (minutes.notna() == (nearest != "")).all() and minutes.notna().all(), "every commune gets a time"
        assert (minutes <= default_config["access"]["horizon_min"]).all()
        assert nearest[minutes.notna()].str.fullmatch(r"(\d{2}|2A|2B)\d{7}").all()


def test_travel_times_match_an_independent_networkx_computation(run: Path, run_corsica, default_config):
    """Same points and speeds (the model the run fitted); snapping by osmnx on a projected graph, routing by networkx."""
    import networkx as nx
    import osmnx as ox
    import pyproj

    _, graph = run_corsica
    settings = default_config["access"]
    projected = ox.project_graph(graph, to_crs="EPSG:2154")
    to_l93 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    access = read_table(run / "data/processed/access_commune.csv")
    facilities = read_table(run / "data/processed/facilities.csv")
    commune_x, commune_y = to_l93.transform(access["lon"].to_numpy(), access["lat"].to_numpy())
    commune_nodes, commune_m = ox.distance.nearest_nodes(projected, commune_x, commune_y, return_dist=True)
    speed = settings["offroad_kph"] / 3.6
    for service, direction in settings["directions"].items():
        sites = facilities[facilities["service"] == service]
        x, y = to_l93.transform(sites["lon"].to_numpy(), sites["lat"].to_numpy())
        nodes, metres = ox.distance.nearest_nodes(projected, x, y, return_dist=True)
        reference = graph.reverse(copy=True) if direction == "to_site" else graph.copy()
        sources = []
        for finess, node, distance in zip(sites["finess"], nodes, metres, strict=True):
            if distance <= settings["max_snap_m"]:
                reference.add_edge(("site", finess), node, travel_time=distance / speed)
                sources.append(("site", finess))
        lengths = nx.multi_source_dijkstra_path_length(reference, sources, weight="travel_time")
        expected = np.array([lengths[n] for n in commune_nodes]) + np.asarray(commune_m) / speed
        got = access[f"{service.lower()}_minutes"].to_numpy() * 60
        within = expected <= settings["horizon_min"] * 60
        assert np.max(np.abs(got[within] - expected[within])) < 1e-3, service  # seconds; 10 digits of minutes
        assert np.isnan(got[~within]).all(), "no time beyond the horizon"


def test_coverage_by_departement_matches_the_commune_table(run: Path, default_config):
    coverage = read_table(run / "data/processed/coverage_departement.csv")
    access = read_table(run / "data/processed/access_commune.csv")
    thresholds = default_config["access"]["thresholds_min"]
    assert len(coverage) == len(CORSICA) * len(SERVICES) * len(thresholds)
    for row in coverage.itertuples():
        part = access[access["departement"] == row.departement]
        within = part.loc[part[f"{row.service.lower()}_minutes"] <= row.threshold_min, "population"].sum()
        assert row.population_within == within
        assert row.share_within == pytest.approx(within / part["population"].sum())


def test_isochrones_are_valid_bands_with_their_population(run: Path):
    import geopandas as gpd

    isochrones = gpd.read_file(run / "data/processed/isochrones.gpkg")
    assert len(isochrones) == len(SERVICES) * 4 and isochrones.is_valid.all()
    assert set(isochrones.geom_type) <= {"Polygon", "MultiPolygon"}
    coverage = read_table(run / "data/processed/coverage_departement.csv")
    for service in SERVICES:
        within_60 = coverage[(coverage["service"] == service) & (coverage["threshold_min"] == 60)][
            "population_within"
        ].sum()
        assert isochrones.loc[isochrones["service"] == service, "population"].sum() == within_60
        assert isochrones.loc[isochrones["service"] == service].geometry.union_all().area > 0


def test_a_region_that_is_the_whole_run_has_the_tables_its_departements_merge_into(run: Path, tmp_path: Path):
    """Corsica is the whole run: its région tables are the run's, copied; merged again from the two départements'
    tables they are the same bytes, so the copy is what the merge would give."""
    from coverage.pipeline.steps.access import region_tables

    names = sorted(p.name for p in (run / "data/processed/regions/corse").iterdir() if p.name != "e2sfca_commune.csv")
    parts = [run / f"data/processed/departements/{code}/{name}" for code in ("2A", "2B") for name in names]
    region_tables(parts=parts, merged=[tmp_path / name for name in names], whole_run=False)
    for name in names:
        merged, copied = (tmp_path / name).read_bytes(), (run / "data/processed/regions/corse" / name).read_bytes()
        assert merged == copied == (run / "data/processed" / name).read_bytes(), name


def test_area_map_opens_offline_and_draws_communes_bands_and_sites(run: Path, tmp_path: Path, default_config):
    """The communes are painted on a canvas (their pixels are tested in test_national_map); the bands, outlines and
    sites are elements of the page."""
    dom, drawn = open_in_chromium(run / "maps/corse.html", tmp_path / "profile")
    assert drawn.tags["canvas"] == 1
    assert drawn.classes["coverage-isochrone"] == 4, "the bands of the opening service"
    assert drawn.classes["coverage-outline"] == 2
    opening = default_config["access"]["map_service"].lower()
    assert drawn.classes[f"coverage-site-{opening}"] + drawn.classes[f"coverage-cluster-{opening}"] >= 2
    assert drawn.visible_legends == [f"Minutes jusqu'au site {default_config['access']['map_service']} le plus proche"]
    layers = [f"Propositions d'implantation {service}" for service in default_config["siting"]["services"]]
    assert all(name in dom for name in layers)


def test_e2sfca_on_corsica_equals_pysal_access(run: Path, default_config):
    from test_e2sfca import pysal_e2sfca

    from coverage.core.e2sfca import DecaySteps

    steps = DecaySteps.from_config(default_config["e2sfca"]["steps"])
    pairs = pd.read_parquet(run / "data/processed/travel_times.parquet")
    access = read_table(run / "data/processed/access_commune.csv")
    scores = read_table(run / "data/processed/e2sfca_commune.csv").set_index("commune")
    facilities = read_table(run / "data/processed/facilities.csv")
    population = access.set_index("commune")["population"]
    for service, column in default_config["e2sfca"]["supply"].items():
        supply = facilities[facilities["service"] == service].drop_duplicates("finess").set_index("finess")[column]
        expected = pysal_e2sfca(pairs[pairs["service"] == service], population, supply.fillna(0.0), steps)
        assert np.allclose(scores[f"{service.lower()}_access"].reindex(expected.index), expected, rtol=1e-6), service


def test_bounded_pairs_agree_with_the_nearest_site_times(run: Path):
    """Two kernels: the nearest pair within 45 minutes is the nearest-site time of access_commune."""
    pairs = pd.read_parquet(run / "data/processed/travel_times.parquet")
    access = read_table(run / "data/processed/access_commune.csv").set_index("commune")
    assert pairs["commune"].map(type).eq(str).all() and pairs["finess"].str.len().eq(9).all()
    for service, group in pairs.groupby("service"):
        nearest = group.groupby("commune")["minutes"].min()
        minutes = access[f"{service.lower()}_minutes"]
        assert np.allclose(nearest, minutes.loc[nearest.index], atol=1e-6)
        assert not (minutes.drop(nearest.index) <= 45 - 1e-6).any(), "communes without a pair are beyond 45 minutes"


def test_each_proposed_site_gain_is_recomputed_independently(run: Path, run_corsica, default_config):
    """networkx from each proposal (snapped by osmnx) on the whole island, against coverage by the existing sites.

    Proposals are made département by département, for the communes of their département.
    """
    import networkx as nx
    import osmnx as ox
    import pyproj

    _, graph = run_corsica
    settings, siting = default_config["access"], default_config["siting"]
    speed, limit = settings["offroad_kph"] / 3.6, siting["minutes"] * 60
    projected = ox.project_graph(graph, to_crs="EPSG:2154")
    to_l93 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    every_commune = read_table(run / "data/processed/access_commune.csv")
    for service in siting["services"]:
        every_proposal = read_table(run / f"data/processed/siting_{service.lower()}.csv")
        assert set(every_proposal["departement"]) == set(CORSICA)
        for departement, proposals in every_proposal.groupby("departement"):
            assert (
                proposals["rank"].tolist() == list(range(1, len(proposals) + 1)) and len(proposals) <= siting["count"]
            )
            access = every_commune[every_commune["departement"] == departement]
            x, y = to_l93.transform(access["lon"].to_numpy(), access["lat"].to_numpy())
            commune_nodes, commune_m = ox.distance.nearest_nodes(projected, x, y, return_dist=True)
            covered = access[f"{service.lower()}_minutes"].to_numpy() <= siting["minutes"]
            search = graph.reverse(copy=False) if settings["directions"][service] == "to_site" else graph
            for proposal in proposals.itertuples():
                px, py = to_l93.transform(proposal.lon, proposal.lat)
                node, metres = ox.distance.nearest_nodes(projected, px, py, return_dist=True)
                lengths = nx.single_source_dijkstra_path_length(search, node, cutoff=limit, weight="travel_time")
                seconds = (
                    np.array([lengths.get(n, np.inf) for n in commune_nodes])
                    + metres / speed
                    + np.asarray(commune_m) / speed
                )
                new = (seconds <= limit) & ~covered
                assert proposal.population_gain == access.loc[new, "population"].sum(), (service, proposal.rank)
                covered |= seconds <= limit
                assert proposal.share_covered_after == pytest.approx(
                    access.loc[covered, "population"].sum() / access["population"].sum()
                )


def test_proposed_sites_follow_each_services_candidate_rule(run: Path, default_config):
    """Read from the sources: a proposed USP has identified palliative beds (PALIA_A1) or a category of
    inpatient establishments, and is never an MSP; no proposal is an SMUR antenna; the report states each rule."""
    with open(SHARED / "facilities/finess-2021-01/finess_etablissements.csv", encoding="utf-8", newline="") as f:
        category = {r["nofinesset"]: r["categetab"] for r in csv.DictReader(f)}
    palia = read_sae("PALIA")
    offering = {"LISP": {r["FI"] for r in palia if r["PALIA_A1"] == "1"},
                "USP": {r["FI"] for r in palia if r["PALIA_A6"] == "1"}}  # fmt: skip
    rules = default_config["siting"]["candidates"]
    for service in default_config["siting"]["services"]:
        for proposal in read_table(run / f"data/processed/siting_{service.lower()}.csv").itertuples():
            rule = rules[service]
            allowed = category.get(proposal.finess) in rule["categories"]
            allowed |= any(proposal.finess in offering[other] for other in rule["services"])
            allowed |= rule["msp"] and category.get(proposal.finess) == "603"
            assert allowed, (service, proposal.finess, proposal.name)
            assert "SMUR" not in proposal.name, (service, proposal.name)
            if service == "USP":
                assert category.get(proposal.finess) != "603", proposal.name
    text = (run / "reports/corse.md").read_text(encoding="utf-8")
    assert "USP : établissements FINESS des catégories 106, 109" in text and "EMSP : " in text


SHOWN_SITES = """Array.from(document.querySelectorAll('section.service')).map(s => [s.dataset.service,
  Array.from(s.querySelectorAll('.site')).map(d => [d.dataset.finess, d.querySelector('.temps, .vol').textContent,
  (d.querySelector('a.tel') || {}).textContent || '', d.querySelector('a.carte').getAttribute('href')])])"""


def test_directory_shows_what_the_tables_hold_for_a_commune_typed_in_chromium(run: Path, tmp_path: Path):
    """Typed as a person would, in Chromium offline: the sites shown for Bastia are the nearest by road of
    nearest_sites.csv, the first one that of the access table (computed apart), with FINESS phones."""
    from browser import Browser

    page = run / "maps/annuaire-corse.html"
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", page.read_text(encoding="utf-8"))
    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        browser.evaluate("document.getElementById('recherche').focus()")
        browser.type("20250")
        suggestions = browser.evaluate("Array.from(document.querySelectorAll('#suggestions li')).map(l => l.textContent)")
        browser.evaluate("document.getElementById('recherche').value = ''")
        browser.type("bastia")
        browser.press("Enter")
        title = browser.evaluate("document.querySelector('h2.commune').textContent")
        shown = dict(browser.evaluate(SHOWN_SITES))
    assert suggestions[0] == "Corte (20250)" and len(suggestions) > 5, "the most populous commune of 20250 first"
    assert title == "Bastia (2B033, 20200, 20600)"
    nearest = read_table(run / "data/processed/nearest_sites.csv")
    access = read_table(run / "data/processed/access_commune.csv").set_index("commune").loc["2B033"]
    contacts = pd.read_csv(run / "data/processed/facilities.csv", dtype=str, keep_default_na=False)
    phones = dict(zip(contacts["finess"], contacts["phone"], strict=True))
    places = read_table(run / "data/processed/facilities.csv").drop_duplicates("finess").set_index("finess")
    for service in ("MSP", "HAD", "EMSP", "USP", "LISP"):
        expected = nearest[(nearest["commune"] == "2B033") & (nearest["service"] == service)].sort_values("rank")
        sites = shown[service]
        assert [s[0] for s in sites] == expected["finess"].tolist(), service
        assert [int(s[1].split(" min")[0]) for s in sites] == [round(m) for m in expected["minutes"]], service
        assert sites[0][0] == access[f"{service.lower()}_nearest"]
        assert int(sites[0][1].split(" min")[0]) == round(access[f"{service.lower()}_minutes"])
        for finess, _, phone, link in sites:
            digits = phones[finess]
            assert phone == (f"Tél. {' '.join(digits[i : i + 2] for i in range(0, len(digits), 2))}" if digits else "")
            lat, lon, zoom = link.removeprefix("corse.html#").split(",")
            assert zoom == "15" and (float(lat), float(lon)) == pytest.approx(
                (places.loc[finess, "lat"], places.loc[finess, "lon"]), abs=6e-6
            )
    assert "l'équipe se déplace au domicile" in shown["EMSP"][0][1] and "équipe" not in shown["USP"][0][1]


def test_directory_link_opens_the_area_map_centred_on_the_site(run: Path, tmp_path: Path):
    from browser import Browser

    with Browser(tmp_path / "profile") as browser:
        browser.open((run / "maps/corse.html").as_uri() + "#42.69707,9.44151,15")
        centre = browser.evaluate("(() => { for (const k in window) { if (window[k] instanceof L.Map) {"
                                  " const c = window[k].getCenter(); return [c.lat, c.lng, window[k].getZoom()]; } } })()")
        rings = browser.evaluate("document.querySelectorAll('.coverage-target').length")
    assert centre == pytest.approx([42.69707, 9.44151, 15], abs=1e-4) and rings == 1


def test_library_example_gives_the_pipelines_commune_minutes(run: Path, tmp_path: Path):
    """The documentation's library example, run as written in a fresh Python, gives the minutes of
    access_commune.csv."""
    code = examples("researchers/library.md")[0]
    out = tmp_path / "minutes.csv"
    dump = "\nimport sys\naccess.communes.to_csv(sys.argv[1], index=False)\n"
    result = subprocess.run([sys.executable, "-c", code + dump, str(out)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    mine = pd.read_csv(out, dtype={"code": str}).set_index("code").sort_index()
    pipeline = read_table(run / "data/processed/access_commune.csv").set_index("commune").sort_index()
    assert mine.index.tolist() == pipeline.index.tolist() and len(mine) == 360
    for service in ("msp", "had", "emsp", "usp", "lisp"):
        # The pipeline reads the sites back from facilities.csv (10 significant digits: 0.1 mm): 1e-4 minutes.
        assert np.allclose(mine[f"{service}_minutes"], pipeline[f"{service}_minutes"], rtol=0, atol=1e-4,
                           equal_nan=True), service  # fmt: skip
        assert (mine[f"{service}_nearest"].fillna("") == pipeline[f"{service}_nearest"].fillna("")).all()
    assert "CH CORTE" in result.stdout


def test_departement_jobs_are_measured_by_snakemake_and_read_by_the_jobs_benchmark(run: Path):
    """Snakemake's benchmark: files of each département job, read by benchmarks/jobs.py --from-run (no rerun)."""
    command = [sys.executable, str(ROOT / "benchmarks/jobs.py"), "--run", str(run), "--from-run"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    jobs = json.loads(result.stdout)["jobs"]
    for job in ("network", "access", "isochrones", "commune_site_times", "nearest_sites"):
        measures = jobs[job]["measures"]
        assert [m["name"] for m in measures] == ["2A", "2B"], job
        assert all(m["nodes"] == 31_333 and m["s"] > 0 and m["mb"] > 0 for m in measures), "the whole island"
        assert jobs[job]["fitted"] is None, "one network size: nothing to fit"
    assert [m["name"] for m in jobs["siting"]["measures"]] == ["2A_emsp", "2A_usp", "2B_emsp", "2B_usp"]
    assert [m["name"] for m in jobs["prepare_network"]["measures"]] == ["corse-drive.graphml"]


def test_pdf_report_is_the_page_printed_on_a4(run: Path, tmp_path: Path):
    """The PDF holds the report's numbers and its maps, page by page (poppler's pdftotext and pdftoppm)."""
    pdf = run / "reports/corse.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "A4" in info and int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 5
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    coverage = read_table(run / "data/processed/coverage_departement.csv")
    row = coverage.query("departement == '2B' and service == 'USP' and threshold_min == 45").iloc[0]
    beyond = int(row["population"] - row["population_within"] - row["population_unknown"])
    assert f"{beyond:,}".replace(",", " ") in text and "Propositions d'implantation" in text  # thin spaces come out plain
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 5 and all(page.stat().st_size > 2000 for page in pages), "every page has something drawn"


def test_report_states_numbers_from_the_tables_and_opens_offline(run: Path, tmp_path: Path):
    text = (run / "reports/corse.md").read_text(encoding="utf-8")
    coverage = read_table(run / "data/processed/coverage_departement.csv")
    access = read_table(run / "data/processed/access_commune.csv")
    row = coverage[
        (coverage["departement"] == "2A") & (coverage["service"] == "USP") & (coverage["threshold_min"] == 60)
    ].iloc[0]
    beyond = int(access.loc[access["departement"] == "2A", "population"].sum() - row["population_within"])
    assert f"{beyond:,}".replace(",", "\u202f") in text
    first = read_table(run / "data/processed/siting_usp.csv").iloc[0]
    assert first["finess"] in text and "SAE 2023" in text and "Circulaire DHOS/O2/2008/99" in text
    _, drawn = open_in_chromium(run / "reports/corse.html", tmp_path / "profile")
    assert drawn.tags["img"] == 7 and drawn.tags["table"] >= 6, "five minute maps, the national map, the ranking"


def summary_rows(text: str) -> dict[str, list[str]]:
    """The report's summary table: first cell -> the others (the area, France, the source)."""
    section = text.split("## L'essentiel")[1].split("\n## ")[0]
    return {
        cells[0]: cells[1:]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| Chiffre")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }


def test_report_opens_on_a_summary_page_whose_figures_are_the_tables(run: Path):
    rows = summary_rows((run / "reports/corse.md").read_text(encoding="utf-8"))
    number = lambda value, places=0: f"{value:,.{places}f}".replace(",", "\u202f").replace(".", ",")  # noqa: E731
    access = read_table(run / "data/processed/access_commune.csv")
    facilities = read_table(run / "data/processed/facilities.csv")
    totals = read_table(run / "data/processed/national_totals.csv").set_index("service")
    population = access["population"].sum()
    usp = facilities[(facilities["service"] == "USP") & facilities["departement"].isin(["2A", "2B"])]
    assert rows["Population"][:2] == [number(population), number(totals.loc["HAD", "population"])]
    assert rows["Population"][2].startswith("INSEE, populations légales")
    assert rows["Unités de soins palliatifs (USP)"] == [
        f"{number(usp['capacity'].sum())} lits ({len(usp)} sites)",
        f"{number(totals.loc['USP', 'capacity'])} lits ({number(totals.loc['USP', 'sites'])} sites)", "SAE 2023",
    ]  # fmt: skip
    assert rows["Lits d'USP pour 100 000 habitants"][:2] == [
        number(usp["capacity"].sum() / population * 1e5, 2), number(totals.loc["USP", "per_1000"] * 100, 2)
    ]
    corsica_mco = palia_mco_beds(SAE).reindex(["2A", "2B"]).sum()
    mco = next(row for label, row in rows.items() if label.startswith("dont lits en MCO") and "PALIA_A2" in label)
    assert [cell.split(" (")[0] for cell in mco] == [f"{number(corsica_mco)} lits", f"{number(5557)} lits", "SAE 2023"]
    assert rows["Lits identifiés de soins palliatifs (LISP)"][1].startswith(number(6993))
    coverage = read_table(run / "data/processed/coverage_departement.csv")
    coverage = coverage.query("service == 'USP' and threshold_min == 30")
    beyond = (coverage["population"] - coverage["population_within"] - coverage["population_unknown"]).sum()
    assert rows["Habitants à plus de 30 min par la route d'un site USP"][0].startswith(number(beyond))
    change = read_table(run / "data/processed/change_departement.csv").query(
        "indicator == 'usp_capacity' and departement in ['2A', '2B']"
    )
    area = f"{number(change['value_from'].sum())} → {number(change['value_to'].sum())}"
    assert rows["Lits d'USP : SAE 2021 → SAE 2023"][0].startswith(area)
    assert rows["Lits d'USP : SAE 2021 → SAE 2023"][2] == "SAE 2021 ; SAE 2023"
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(run / "reports/corse.pdf"), "-"],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "L'essentiel : Corse" in first_page and "Offre par département" not in first_page, "one page, alone"


def test_manifest_names_every_input_with_its_checksum_and_edition(run: Path):
    manifest = json.loads((run / "data/processed/manifest.json").read_text(encoding="utf-8"))
    inputs = {entry["path"]: entry for entry in manifest["inputs"]}
    sae = inputs["data/raw/sae/PALIA_2023r.csv"]
    assert sae["sha256"] == hashlib.sha256((SAE / "PALIA_2023r.csv").read_bytes()).hexdigest()
    assert sae["edition"] == "SAE 2023" and sae["bytes"] == (SAE / "PALIA_2023r.csv").stat().st_size
    assert inputs["data/raw/finess.csv"]["edition"] == "FINESS (mis à jour jusqu'au 2021-01-08)"
    assert "corse-drive.graphml" in inputs["data/raw/networks/corse-drive.graphml"]["edition"]
    assert len([p for p in inputs if p.startswith("data/raw/communes/")]) == 101
    ages = SHARED / "population/estim-pop-dep-sexe-gca-1975-2023.xls"
    assert inputs["data/raw/population_by_age.xls"]["sha256"] == hashlib.sha256(ages.read_bytes()).hexdigest()
    outputs = {entry["path"] for entry in manifest["outputs"]}
    assert {"data/processed/indicators_departement.csv", "maps/index.html", "reports/corse.html"} <= outputs
    assert manifest["config"]["sources"]["sae"] == [str(SAE_2021), str(SAE)]
    assert inputs["data/raw/sae_editions/sae-2021/HAD_2021a.csv"]["edition"] == "SAE 2021"
    assert manifest["packages"]["snakemake"] == "9.27.1" and manifest["generated_at"].startswith("20")
    table = read_table(run / "data/processed/indicators_departement.csv")
    assert table["sources"].unique().tolist() == [
        "FINESS (mis à jour jusqu'au 2021-01-08) ; SAE 2023 ; " + "INSEE, populations légales en vigueur au 1er janvier"
        " 2026 (découpage administratif 6.0.0) ; INSEE, estimations de population au 1er janvier 2023 (provisoires),"
        " 75 ans et plus ; IGN Admin Express COG 2018, simplifié ; INSEE, état civil, décès domiciliés de 2023 par"
        " département et tranche d'âge (provisoires) ; Inserm CépiDc, décès de 2022 dont la cause initiale est une"
        " tumeur, par département de domicile"
    ]
    deaths = SHARED / "population/deces-departements-ages-2019-2022-2023.csv"
    assert inputs["data/raw/deaths.csv"]["sha256"] == hashlib.sha256(deaths.read_bytes()).hexdigest()
    assert inputs["data/raw/cancer_deaths.csv"]["edition"].startswith("Inserm CépiDc, décès de 2022")
    access = read_table(run / "data/processed/access_commune.csv")
    assert access["sources"].str.contains("© contributeurs OpenStreetMap (corse-drive.graphml) ; ", regex=False).all()
    assert access["sources"].str.endswith("IGN Admin Express, chefs-lieux des communes (2020, via comhisto)").all()
    assert inputs["data/raw/chefs_lieux.csv"]["edition"].startswith("IGN Admin Express, chefs-lieux")
