"""Faults that once gave a changed table and exit 0: each now stops with the planner's file, or is listed.

Whole-territory checks (populations, boundaries, commune polygons, national files), the config's domain
and keys, and the workflow's own YAML. The files are built by the tests; the end-to-end cases plan or
run the workflow with the venv off PATH, as a user running ``.venv/bin/snakemake`` would.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SHARED, snakemake
from shapely.geometry import box

from coverage.errors import ConfigError, InputError
from coverage.france.geography import build_communes
from coverage.france.sources.population import load_population
from coverage.france.territories import check_boundaries_cover
from coverage.pipeline.configuration import check_config, check_run_departements, read_schema

SCHEMA = read_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")


def config_error(config: dict) -> str:
    with pytest.raises(ConfigError) as error:
        check_config(config, SCHEMA)
    return str(error.value)


def with_change(default_config: dict, change) -> dict:
    config = copy.deepcopy(default_config)
    change(config)
    return config


def test_the_default_config_is_in_its_domain(default_config):
    check_config(default_config, SCHEMA)
    check_run_departements(default_config, ["2A", "2B"])


def test_a_mistyped_key_names_the_nearest_valid_one(default_config):
    config = with_change(default_config, lambda c: c["access"].update(isochrone_bufer_m=100))
    text = config_error(config)
    assert text == "configuration: 'access.isochrone_bufer_m': unknown key; did you mean 'isochrone_buffer_m'?"
    assert "'acces': unknown key; did you mean 'access'?" in config_error({**default_config, "acces": {}})


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda c: c["gaps"][1].update(threshold=-1),
         "'gaps[1].threshold': value -1 is not allowed: expected a number of at least 0"),
        (lambda c: c["gaps"][0].update(threshold=0),
         "'gaps[0].threshold': value 0 is not allowed: expected a number above 0 (nothing is below a bar of 0"),
        (lambda c: c["access"].update(max_unknown_share=1.5),
         "'access.max_unknown_share': value 1.5 is not allowed: expected a number of at most 1"),
        (lambda c: c["e2sfca"]["steps"][1].update(weight=1.2),
         "'e2sfca.steps[1].weight': value 1.2 is not allowed: expected a number of at most 1"),
        (lambda c: c["speeds"]["models"]["calibrated"]["class_kph"].update(primary=547.6),
         "'speeds.models.calibrated.class_kph.primary': value 547.6 is not allowed: expected a number of at most 150"),
        (lambda c: c["access"].update(thresholds_min=[15, 45, 30, 60]),
         "'access.thresholds_min': value [15, 45, 30, 60] is not allowed: expected minutes in increasing order"),
        (lambda c: c["e2sfca"]["steps"][2].update(weight=0.9),
         "'e2sfca.steps': weight [1.0, 0.68, 0.9] is not allowed: expected weights that decrease with time"),
        (lambda c: c["access"].update(horizon_min=50),
         "'access.horizon_min': value 50 is not allowed: expected at least 60 minutes"),
        (lambda c: c["maps"].update(drive_time_min=20),
         "'maps.drive_time_min': value 20 is not allowed: expected one of access.thresholds_min [15, 30, 45, 60]"),
        (lambda c: c["siting"]["candidates"].pop("EMSP"),
         "'siting.candidates': no entry for EMSP: expected where a new site of each service of siting.services"),
        (lambda c: c["maps"].update(indicators={"usp_beds_per_1000": "Lits"}),
         "'maps.indicators': value ['usp_beds_per_1000'] is not allowed: expected indicators of the registry"),
        (lambda c: c["speeds"].update(model="calibre"),
         "'speeds.model': value 'calibre' is not allowed: expected a model of speeds.models (calibrated, legal_limits, osrm_car)"),
    ],
)  # fmt: skip
def test_a_value_out_of_its_domain_names_key_value_and_what_is_allowed(default_config, change, expected):
    text = config_error(with_change(default_config, change))
    assert expected in text and len(text.splitlines()) <= 3


def test_several_faults_are_listed_one_per_line(default_config):
    def change(config):
        config["access"]["offroad_kph"] = -20
        config["siting"]["count"] = 0
        config["mapz"] = {}

    lines = config_error(with_change(default_config, change)).splitlines()
    assert lines[0] == "configuration: 3 faults" and len(lines) == 4


def test_listed_calibration_departements_must_be_in_the_run_and_the_default_never_stops(default_config):
    check_run_departements(default_config, ["2A"])  # `run`: the run's départements the reference covers, maybe none
    listed = {**default_config, "calibration": {**default_config["calibration"], "departements": ["2B"]}}
    with pytest.raises(ConfigError, match=r"'calibration.departements': value \['2B'\] is not allowed"):
        check_run_departements(listed, ["2A"])


@pytest.mark.integration
def test_a_config_typo_stops_the_planning_in_a_few_lines(tmp_path):
    result = snakemake(tmp_path, {"acces": {"thresholds_min": [15]}}, "-n")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"coverage: configuration: 'acces': unknown key; did you mean 'access'? ({tmp_path / 'config.yaml'}, line 1)" in output
    assert len(output.splitlines()) < 4 and "common.smk" not in output and "File " not in output, output


@pytest.mark.parametrize(("text", "expected"), [
    ("departements: 2A\n", "'departements': value '2A' is not allowed: expected a list of département codes in "
                            "brackets, e.g. [\"2A\", \"2B\"], or all"),
    ("sources:\n  sae: x\ndepartements:\n  - 2C\n", "'departements[0]': value '2C' is not allowed: expected a "
                                                  "département code (2 digits, 2A or 2B, or 971 to 976) (planner.yaml, "
                                                  "line 4)"),
])  # fmt: skip
def test_a_config_fault_is_said_in_a_planners_words_with_its_file_and_line(default_config, tmp_path, monkeypatch,
                                                                           text, expected):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    Path("planner.yaml").write_text(text, encoding="utf-8")
    planner = yaml.safe_load(text)
    with pytest.raises(ConfigError) as error:
        check_config({**default_config, "departements": planner["departements"]}, SCHEMA, ["planner.yaml"])
    assert expected in str(error.value) and "^(" not in str(error.value)


def test_population_file_missing_a_departement(tmp_path):
    path = tmp_path / "communes.json"
    path.write_text(json.dumps([{"code": "2A004", "nom": "Ajaccio", "type": "commune-actuelle",
                                 "departement": "2A", "population": 1000}]), encoding="utf-8")  # fmt: skip
    with pytest.raises(InputError) as error:
        load_population(path, {"2A", "2B"})
    text = str(error.value)
    assert str(path) in text and "value '2B'" in text and "[rule whole-territory]" in text


def test_commune_polygons_missing_a_departement(tiny_communes, tmp_path):
    table = pd.DataFrame(tiny_communes.drop(columns=["geometry", "lon", "lat"]))
    polygons = gpd.GeoDataFrame(tiny_communes[["code", "nom"]], geometry=tiny_communes.geometry, crs="EPSG:4326")
    with pytest.raises(InputError, match=r"(?s)value '2B'.*communes-<département>.geojson.*\[rule whole-territory\]"):
        build_communes(table, polygons[polygons["code"] != "2B033"], tmp_path / "communes")
    merged, warnings = build_communes(table, polygons[polygons["code"] != "2A041"], tmp_path / "communes")
    assert merged.set_index("code").loc["2A041"].geometry is None, "a single commune without polygon is listed only"
    assert "current commune without a polygon" in warnings.set_index("id").loc["2A041", "warning"]


def test_boundaries_missing_a_departement(tmp_path):
    path = tmp_path / "departements.geojson"
    shapes = gpd.GeoDataFrame({"code": ["2B", "1"], "nom": ["Haute-Corse", "Ain"]},
                              geometry=[box(9, 42, 10, 43), box(5, 46, 6, 47)], crs="EPSG:4326")  # fmt: skip
    shapes.to_file(path)
    check_boundaries_cover(path, ["01", "2B"])
    with pytest.raises(InputError, match=r"(?s)departements.geojson.*value '2A'.*\[rule whole-territory\]"):
        check_boundaries_cover(path, ["01", "2A", "2B"])


@pytest.mark.integration
def test_boundaries_missing_a_departement_stop_the_planning_naming_the_file(tmp_path):
    """It once ended in a traceback of the resource estimator, and SAE rows of that département were blamed."""
    path = tmp_path / "departements.geojson"
    features = json.loads((SHARED / "admin" / "departements.geojson").read_text(encoding="utf-8"))
    features["features"] = [f for f in features["features"] if f["properties"]["code"] != "2A"]
    path.write_text(json.dumps(features), encoding="utf-8")
    result = snakemake(tmp_path / "run", {"sources": {"departements": str(path)}}, "-n")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and f"bad input in {path}" in output and "value '2A'" in output
    assert "[rule whole-territory]" in output and "KeyError" not in output


def test_a_national_file_without_any_establishment_of_a_departement_is_listed(tiny_sae, tiny_finess, tiny_communes):
    from coverage.france.facilities import Inputs, build_facilities
    from coverage.france.sources.finess import edition_label, load_finess
    from coverage.france.sources.sae import find_edition

    register = load_finess(tiny_finess)
    three = gpd.GeoDataFrame({"code": ["2A", "2B", "04"], "nom": ["Corse-du-Sud", "Haute-Corse", "Alpes"]},
                             geometry=[box(8, 41, 9, 42), box(9, 42, 10, 43), box(6, 44, 7, 45)], crs="EPSG:4326")  # fmt: skip
    result = build_facilities(Inputs(sae=find_edition(tiny_sae), finess=register, finess_path=tiny_finess,
                                     finess_label=edition_label(register, "FINESS"), communes=tiny_communes,
                                     departements=three))  # fmt: skip
    absent = result.warnings[result.warnings["warning"].str.contains("rule whole-territory")]
    assert sorted(zip(absent["file"].map(lambda f: Path(f).name), absent["id"], strict=True)) == [
        ("ID_2023r.csv", "04"), ("finess.csv", "04"),
    ]  # fmt: skip


def test_the_workflow_yaml_passes_its_linter_and_a_key_given_twice_does_not(tmp_path):
    """The workflow's YAML is linted here unless `make lint` just did (``COVERAGE_LINTED``, set by `make test`)."""
    lint = [sys.executable, "-m", "yamllint", "--strict", "-c", str(ROOT / ".yamllint.yaml")]
    if not os.environ.get("COVERAGE_LINTED"):
        assert subprocess.run([*lint, str(ROOT / "workflow")], check=False, capture_output=True).returncode == 0
    twice = tmp_path / "config.yaml"
    twice.write_text("speeds:\n  model: calibrated\naccess:\n  origin: nearest_road\nspeeds:\n  model: legal_limits\n")
    result = subprocess.run([*lint, str(twice)], check=False, capture_output=True, text=True)
    assert result.returncode != 0 and 'duplication of key "speeds"' in result.stdout


def test_a_service_a_national_file_does_not_cover_is_unknown_not_zero(tiny_communes, tiny_departements):
    """FINESS 2021 lists no establishment of Mayotte: its MSP are unknown, and no gap is raised or cleared."""
    from coverage.france.indicators import GapRule, compute_indicators, national_totals
    from coverage.outputs.report import gap_labels

    facilities = pd.DataFrame({"finess": ["2A0000011", "2A0000012"], "service": ["MSP", "MSP"], "capacity": [1.0, 1.0],
                               "departement": ["2A", "2A"], "usp_units": float("nan"), "emsp_fte": float("nan")})  # fmt: skip
    rule = GapRule("msp", "msp_per_1000", "below", "Peu de MSP", "texte", threshold=10)
    unlisted = pd.DataFrame({"departement": ["2B"], "service": ["MSP"], "file": ["finess.csv"]})
    table, national = compute_indicators(facilities, tiny_communes, tiny_departements, [rule], unlisted)
    table = table.set_index("departement")
    assert np.isnan(table.loc["2B", "msp_count"]) and np.isnan(table.loc["2B", "msp_per_1000"])
    assert table.loc["2B", "usp_count"] == 0, "other services of the département stay known"
    assert pd.isna(table.loc["2B", "gap_msp"]) and bool(table.loc["2A", "gap_msp"])
    assert gap_labels(table.loc["2B"], [rule]) == [
        "Peu de MSP : inconnu (donnée nationale absente pour ce département)"
    ]
    totals = national_totals(national, table.reset_index()).set_index("service")
    assert totals.loc["MSP", "sites"] == 2 and totals.loc["MSP", "departements_unknown"] == 1
    assert totals.loc["MSP", "departements_without_service"] == 0
    assert national["msp_per_1000"] == pytest.approx(2 / 1500 * 1000), "over the population where MSP are known"
    assert totals.loc["MSP", "population"] == 1500 and totals.loc["USP", "population"] == 3500


def test_the_communes_step_stops_on_boundaries_missing_a_departement_of_the_territory(tiny_departements, tmp_path):
    """Whatever the target, the first step after the copies names the boundaries file, not an SAE line."""
    from coverage.pipeline.steps import facilities as facilities_steps

    boundaries = tmp_path / "departements.geojson"
    tiny_departements.to_file(boundaries)
    with pytest.raises(InputError, match=r"(?s)departements.geojson.*value '01'.*\[rule whole-territory\]"):
        facilities_steps.communes(population=tmp_path / "unused.json", polygons=tmp_path / "unused",
                                  departements=boundaries, chefs_lieux=tmp_path / "unused.csv",
                                  territory=["01", "2A", "2B"], communes=tmp_path / "c.gpkg",
                                  rejects=tmp_path / "r.csv", warnings=tmp_path / "w.csv")  # fmt: skip


@pytest.mark.parametrize(("years", "warned"), [(("2022", "2023", "2023"), True), (("2024", "2023", "2024"), False),
                                               (("2023", "2023", "2023"), False)])  # fmt: skip
def test_an_identification_file_of_no_table_s_year_is_warned_of(years, warned, tiny_sae, tiny_finess, tiny_communes,
                                                                tiny_departements):  # fmt: skip
    """A stale ID beside newer PALIA and HAD tables is named; an edition mixing PALIA 2023 with HAD and ID 2024 (PALIA
    is surveyed every other year) is not."""
    from coverage.france.facilities import Inputs, build_facilities
    from coverage.france.sources.finess import load_finess
    from coverage.france.sources.sae import find_edition

    for kind, year in zip(("ID", "PALIA", "HAD"), years, strict=True):
        (tiny_sae / f"{kind}_2023r.csv").rename(tiny_sae / f"{kind}_{year}r.csv")
    result = build_facilities(Inputs(sae=find_edition(tiny_sae), finess=load_finess(tiny_finess),
                                     finess_path=tiny_finess, finess_label="FINESS", communes=tiny_communes,
                                     departements=tiny_departements))  # fmt: skip
    found = result.warnings[result.warnings["warning"].str.contains("[rule id-year]", regex=False)]
    assert len(found) == warned
    if warned:
        assert Path(found["file"].iloc[0]).name == "ID_2022r.csv"
        assert found["warning"].iloc[0].startswith("identification file of 2022 beside tables of other years (PALIA "
                                                   "2023, HAD 2023) [rule id-year]: ")  # fmt: skip
        assert "cited as 'SAE 2022 (PALIA 2023, HAD 2023)'" in found["warning"].iloc[0]


def test_communes_missing_from_the_chef_lieu_file_are_counted_and_their_rows_do_not_cite_it(tmp_path):
    """Without Corse-du-Sud's chefs-lieux its trips start from the road nearest each commune's point: said per
    département in the warnings, and those communes' rows cite no chef-lieu file."""
    from coverage.france.sources.chefs_lieux import missing_chefs_lieux
    from coverage.outputs.citations import cited_by_row

    communes = pd.DataFrame({"code": ["2A004", "2A041", "2A001", "2B033"], "departement": ["2A", "2A", "2A", "2B"],
                             "chef_lieu_lon": [np.nan, np.nan, np.nan, 9.4]})  # fmt: skip
    warned = missing_chefs_lieux(communes, tmp_path / "chefs.csv", examples=2)
    assert warned[["id", "warning"]].values.tolist() == [["2A", (
        "3 communes of département 2A have no chef-lieu point in this file (e.g. 2A001, 2A004) [rule chef-lieu-known]: "
        "with access.origin chef_lieu their trips start from the road nearest the commune's point instead "
        "(point_source nearest_road), and their rows do not cite this file")]]  # fmt: skip
    assert "1 commune of département 2A has no" in missing_chefs_lieux(communes.iloc[2:], "chefs.csv")["warning"][0]
    access = pd.DataFrame({"commune": ["2A004", "2B033"], "point_source": ["nearest_road", "chef_lieu"],
                           "sources": "SAE 2023 ; chefs-lieux 2020"})  # fmt: skip
    cited = cited_by_row(access, {"origins": ["chefs-lieux 2020"]})
    assert cited["sources"].tolist() == ["SAE 2023", "SAE 2023 ; chefs-lieux 2020"]
