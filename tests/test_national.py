"""National scale: one job per département, merged by région and for the run, with the resources of each job."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import ROOT, SAE, SHARED, snakemake

from coverage.pipeline.steps import access as access_steps
from coverage.tables import read_csv

pytestmark = pytest.mark.integration
PER_DEPARTEMENT = ("network", "access", "isochrones", "commune_site_times", "siting")
NETWORK_LABEL = "Réseau routier © contributeurs OpenStreetMap (corse-drive.graphml)"


def planned_jobs(output: str) -> list[dict]:
    """The jobs a dry run prints: rule, wildcards and resources of each (a group's jobs are printed indented)."""
    jobs = []
    for block in re.split(r"\n(?=[ \t]*(?:local)?rule \w+:\n)", output):
        rule = re.match(r"\s*(?:local)?rule (\w+):", block)
        if not rule:
            continue
        fields = dict(re.findall(r"^\s+(wildcards|resources|threads): (.*)$", block, flags=re.MULTILINE))
        jobs.append(
            {
                "rule": rule.group(1),
                "wildcards": dict(re.findall(r"(\w+)=([^,\s]+)", fields.get("wildcards", ""))),
                "resources": dict(re.findall(r"(\w+)=([^,\s]+)", fields.get("resources", ""))),
            }
        )
    return jobs


def national_config(default: dict) -> dict:
    """Every département: Corsica from the GraphML on hand as by default, the others downloaded (not run here)."""
    corsica = default["networks"]["sources"][0]
    return {
        "sources": {"sae": str(SAE)},
        "departements": "all",
        "networks": {"sources": [corsica, {"departements": "all", "source": "download"}]},
    }


def test_national_dry_run_plans_one_job_per_departement_with_resources(tmp_path: Path, default_config):
    started = time.monotonic()
    result = snakemake(tmp_path, national_config(default_config), "--dry-run")
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(result.stdout)
    codes = {d["code"] for d in json.loads((SHARED / "population/departements.json").read_text(encoding="utf-8"))
             if d["zone"] in ("metro", "drom")}  # fmt: skip
    assert len(codes) == 101
    for rule in PER_DEPARTEMENT:
        planned = [job for job in jobs if job["rule"] == rule]
        per_service = 2 if rule == "siting" else 1
        assert sorted(job["wildcards"]["departement"] for job in planned) == sorted(list(codes) * per_service), rule
        fixed_mb = default_config["resources"]["departement_jobs"][rule]["mb"] * default_config["resources"]["safety"]
        for job in planned:
            assert int(job["resources"]["mem_mb"]) > fixed_mb and int(job["resources"]["runtime"]) >= 1, job
    memory = {job["wildcards"]["departement"]: int(job["resources"]["mem_mb"]) for job in jobs
              if job["rule"] == "network"}  # fmt: skip
    assert memory["75"] > memory["2A"] and memory["33"] > memory["90"], "bigger départements ask for more"
    regions = {job["wildcards"]["region"] for job in jobs if job["rule"] == "report"}
    assert len(regions) == 18 and {"corse", "ile-de-france", "la-reunion"} <= regions
    assert seconds < 60


def test_a_france_extract_is_split_once_then_prepared_per_departement(tmp_path: Path, default_config):
    """One national PBF with ``split: true``: one osmium-tool pass, then one piece, prepared network and job set each.
    (Only planned: the file is a stand-in, which the planning's check finds where the config says.)"""
    (tmp_path / "france-latest.osm.pbf").touch()
    config = {
        "sources": {"sae": str(SAE)},
        "departements": "all",
        "networks": {"sources": [{"departements": "all", "source": "osm", "path": "france-latest.osm.pbf",
                                  "split": True}]},
    }  # fmt: skip
    result = snakemake(tmp_path, config, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(result.stdout)
    rules = [job["rule"] for job in jobs]
    assert rules.count("split_network") == 1 and rules.count("raw_network") == 1
    prepared = sorted(job["wildcards"]["name"] for job in jobs if job["rule"] == "prepare_network")
    networks = sorted(job["wildcards"]["departement"] for job in jobs if job["rule"] == "network")
    assert len(networks) == 101 and prepared == sorted(f"france-latest.osm.pbf-{code}" for code in networks)


def test_adding_a_departement_recomputes_only_its_jobs_and_the_merges(run: Path, default_config):
    """The run's config plus the Alpes-Maritimes (06) and a network source for it: only 06 and the merges are planned.
    The speed model stays fitted on Haute-Corse (listed: with `run`, 06's reference times would join the fit)."""
    calibration = {**default_config["calibration"], "departements": ["2B"]}
    config = {**national_config(default_config), "departements": ["2A", "2B", "06"], "calibration": calibration}
    result = snakemake(run, config, "--dry-run", config_name="with-06.yaml")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(result.stdout)
    for rule in PER_DEPARTEMENT:
        assert {job["wildcards"]["departement"] for job in jobs if job["rule"] == rule} == {"06"}, rule
    rules = {job["rule"] for job in jobs}
    assert {"merge_run", "capacity_access", "merge_region", "area_map", "report", "manifest"} <= rules
    assert "provence-alpes-cote-d-azur" in {job["wildcards"].get("region") for job in jobs if job["rule"] == "report"}
    assert not rules & {"facilities", "communes", "indicators", "raw_network"}


def test_split_by_departement_then_merged_equals_one_network_on_corsica(run: Path, tmp_path: Path, default_config):
    """The run computed 2A and 2B on their own networks and merged them; here both go through one network."""
    network = default_config["networks"]["sources"][0]
    codes, settings, processed = ["2A", "2B"], default_config["access"], run / "data/processed"
    editions = {**default_config["editions"], "networks": [NETWORK_LABEL], "origins": [default_config["editions"]["chefs_lieux"]]}
    boundaries, facilities = run / "data/raw/departements.geojson", processed / "facilities.csv"
    buffer_km = default_config["networks"]["buffer_km"]
    network_npz, access, times, pairs = (tmp_path / n for n in ("network.npz", "access_commune.csv", "node_times.npz",
                                                                "travel_times.parquet"))  # fmt: skip
    access_steps.prepare_network(departements=boundaries, kind="graphml", path=str(SHARED / network["path"]),
                                 codes=codes, buffer_km=buffer_km,
                                 converter_defaults=network["converter_default_maxspeeds"], overpass_url="",
                                 prepared=tmp_path / "prepared.npz")  # fmt: skip
    access_steps.network(prepared=tmp_path / "prepared.npz", departements=boundaries, origin=network["path"],
                         codes=codes, buffer_km=buffer_km, horizon_min=settings["horizon_min"],
                         speeds=default_config["speeds"], fitted=[processed / "calibration/speeds_fitted.yaml"],
                         network=network_npz, warnings=tmp_path / "warnings.csv")  # fmt: skip
    referrals = {f"referral_{kind}": tmp_path / f"referral_{kind}.csv" for kind in ("ehpad", "lisp", "departement")}
    access_steps.access(network=network_npz, communes=processed / "communes.gpkg", facilities=facilities,
                        population_by_age=run / "data/raw/population_by_age.xls", origin=network["path"], codes=codes,
                        settings=settings, editions=editions, alternative=default_config["speeds"]["alternative"],
                        age_year=default_config["population_75_plus"]["year"], access=access,
                        sites=tmp_path / "access_sites.csv", coverage=tmp_path / "coverage_departement.csv",
                        critical=tmp_path / "critical_sites.csv", times=times, ehpad=processed / "ehpad.csv",
                        referral=default_config["referral"],
                        **referrals,
                        warnings=tmp_path / "warnings_access.csv")  # fmt: skip
    access_steps.isochrones(network=network_npz, times=times, access=access, departements=boundaries, codes=codes,
                            settings=settings, isochrones=tmp_path / "isochrones.gpkg")  # fmt: skip
    access_steps.commune_site_times(network=network_npz, access=access, facilities=facilities, settings=settings,
                                    e2sfca=default_config["e2sfca"], travel_times=pairs)  # fmt: skip
    access_steps.capacity_access(travel_times=pairs, access=access, facilities=facilities, settings=settings,
                                 indicators=processed / "indicators_departement.csv", catchment_services=[],
                                 catchment_tables=[], e2sfca=default_config["e2sfca"],
                                 scores=tmp_path / "e2sfca_commune.csv")  # fmt: skip
    for name in ("access_commune.csv", "access_sites.csv", "coverage_departement.csv", "critical_sites.csv",
                 "e2sfca_commune.csv"):
        one, merged = (sorted_rows(read_csv(folder / name)) for folder in (tmp_path, processed))
        pd.testing.assert_frame_equal(merged, one, check_exact=False, rtol=1e-9, obj=name)
    one, merged = (sorted_rows(pd.read_parquet(folder / "travel_times.parquet")) for folder in (tmp_path, processed))
    pd.testing.assert_frame_equal(merged, one, check_exact=False, rtol=1e-9, obj="travel_times.parquet")
    one, merged = (gpd.read_file(folder / "isochrones.gpkg") for folder in (tmp_path, processed))
    assert merged[["service", "min_from", "min_to", "population"]].equals(
        one[["service", "min_from", "min_to", "population"]]
    )
    projected = (shapely.make_valid(frame.to_crs(2154).geometry.to_numpy()) for frame in (merged, one))  # rings may touch
    for mine, reference in zip(*projected, strict=True):
        assert mine.symmetric_difference(reference).area < 0.01 * reference.area, "bands drawn apart then united"
    assert read_csv(tmp_path / "warnings.csv").empty, "one network: no piece dropped, the horizon inside the cut"
    for departement in codes:
        warnings = read_csv(processed / f"logs/warnings_network_{departement}.csv")
        assert not warnings["id"].eq("horizon").any(), "the horizon of each département stays inside its cut"


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order, whatever the order the parts were put together in."""
    keys = [c for c in ("service", "departement", "commune", "finess", "threshold_min") if c in frame.columns]
    return frame.sort_values(keys, ignore_index=True)


def local_rules() -> list[str]:
    """The rules the Snakefile runs without submitting them (its ``localrules:`` block)."""
    snakefile = (ROOT / "Snakefile").read_text(encoding="utf-8")
    block = re.search(r"^localrules:\n((?:    \w+,\n)+)", snakefile, re.MULTILINE)
    return re.findall(r"\w+", block.group(1))


def test_the_slurm_profile_submits_each_departement_as_one_job(tmp_path: Path, default_config):
    """The national plan through the SLURM profile: the 707 département jobs go in 96 submissions (one group job per
    département, the six small ones — Corsica and four DROM — together), the 50 copies of the inputs and merges of
    small tables run by Snakemake itself (the Snakefile's ``localrules``): 300 submissions instead of 961."""
    (tmp_path / "roads").mkdir()
    (tmp_path / "roads/france-latest.osm.pbf").touch()  # only planned: a stand-in beside the config
    config = {"sources": {"sae": str(SAE)}, "departements": "all",
              "networks": {"sources": [{"departements": "all", "source": "osm", "path": "roads/france-latest.osm.pbf",
                                        "split": True}]}}  # fmt: skip
    profile = str(ROOT / "workflow/profiles/slurm")
    result = snakemake(tmp_path, config, "--dry-run", "--workflow-profile", profile)
    assert result.returncode == 0, result.stderr[-3000:]
    groups = re.findall(r"Group job (\w+) ", result.stdout)
    stats = result.stdout[result.stdout.index("Job stats:") :]
    counts = {rule: int(count) for rule, count in re.findall(r"^(\w+)\s+(\d+)$", stats, flags=re.MULTILINE)}
    grouped = sum(counts[rule] for rule in (*PER_DEPARTEMENT, "nearest_sites"))
    assert grouped == 101 * 7 and counts["total"] == 961
    assert len(groups) == 96 and groups.count("small_departements") == 1
    local = sum(counts.get(rule, 0) for rule in local_rules())
    assert local == 50 and counts["total"] - grouped - local + len(groups) == 300
