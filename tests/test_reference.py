"""The official road-time reference as a source: the emergency sites built from the SAE tables and FINESS, the
national DREES table read by its columns, the chef-lieu points trips start from, and which départements a run
fits its speed model on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED

from coverage.errors import InputError
from coverage.france.sources.chefs_lieux import load_chefs_lieux
from coverage.france.sources.emergency import emergency_sites, find_emergency_tables
from coverage.france.sources.finess import load_finess
from coverage.france.sources.reference import load_reference_times, reference_departements
from coverage.pipeline.configuration import adopt_fitted, calibration_departements

NATIONAL = SHARED / "reference" / "drees-urgences-2019-communes.csv"


def test_emergency_sites_built_from_the_sae_tables_equal_the_published_list():
    """General emergency departments (URGENCES2, URG = GEN) and SMUR (SMURSAMU, SMUR = 1, antennas included), at their
    FINESS 2021 coordinates: the 689 sites of reference/sae-2019-urgences-smur.csv, kinds and points alike; the 2
    sites absent from FINESS 2021 are rejected, each table row of theirs named."""
    tables = find_emergency_tables(SHARED / "facilities" / "sae-2019-urgences")
    finess = load_finess(SHARED / "facilities" / "finess-2021-01" / "finess_etablissements.csv")
    sites, rejects = emergency_sites(tables["URGENCES2"], tables["SMURSAMU"], finess)
    published = pd.read_csv(SHARED / "reference" / "sae-2019-urgences-smur.csv", dtype={"finess": str})
    pd.testing.assert_frame_equal(sites, published[["finess", "name", "kind", "lon", "lat"]], check_exact=True)
    assert sorted(set(rejects["id"])) == ["400782769", "980500011"] and rejects["line"].notna().all()
    urgences = pd.read_csv(tables["URGENCES2"], sep=";", encoding="latin-1", dtype=str)
    smur = pd.read_csv(tables["SMURSAMU"], sep=";", encoding="latin-1", dtype=str)
    paediatric_only = (set(urgences.loc[urgences["URG"] == "PED", "FI"]) - set(urgences.loc[urgences["URG"] == "GEN", "FI"])
                       - set(smur.loc[smur["SMUR"] == "1", "FI"]))  # fmt: skip
    assert paediatric_only and not paediatric_only & set(sites["finess"]), "a paediatric department alone is no site"


def test_emergency_tables_missing_from_the_folder_are_named(tmp_path: Path):
    (tmp_path / "URGENCES2_2019r.csv").write_text("FI;URG\r\n", encoding="latin-1")
    with pytest.raises(InputError, match="SMURSAMU_<year>r.csv"):
        find_emergency_tables(tmp_path)


def test_the_national_reference_is_read_by_its_official_columns(tiny_communes, tmp_path: Path):
    """The DREES table as published (codgeo, libgeo, tps_SU_SMUR; 34,003 communes): read by the configured columns,
    its départements known while planning, Corse-du-Sud (left out of this copy) among none of them."""
    covered = reference_departements(NATIONAL, "codgeo")
    assert len(covered) == 95 and {"2B", "91", "78", "971", "976"} <= covered and "2A" not in covered
    header = NATIONAL.read_text(encoding="utf-8").splitlines()[0]
    assert header == "codgeo,libgeo,tps_SU_SMUR"
    with pytest.raises(InputError, match="'code_commune'.*required-column"):
        reference_departements(NATIONAL, "code_commune")
    raw = pd.read_csv(NATIONAL, dtype={"codgeo": str})
    first = raw[raw["codgeo"].str.startswith("2B")].iloc[0]
    subset = tmp_path / "ref.csv"
    raw[raw["codgeo"].isin(["2A004", first["codgeo"]])].to_csv(subset, index=False)  # the official layout
    communes = tiny_communes.assign(code=["2A004", "2A041", first["codgeo"]])
    table = load_reference_times(subset, "codgeo", "tps_SU_SMUR", communes)
    assert table["commune"].tolist() == [first["codgeo"]] and table["minutes"].tolist() == [first["tps_SU_SMUR"]]


def test_chef_lieu_points_are_filed_under_todays_codes(tmp_path: Path, tiny_communes):
    """A current code keeps its point; the former commune 2B999 (now part of 2B033) gives none to 2B033; a code
    unknown today is ignored; a commune without a point has none."""
    path = tmp_path / "chefs-lieux.csv"
    path.write_text("code,nom,lon,lat,source\n2A004,Ajaccio,8.7369,41.9267,chef_lieu_carto\n"
                    "2B999,Ancienne,9.40,42.60,wpgp\n01999,Ailleurs,5.0,46.0,wpgp\n", encoding="utf-8")  # fmt: skip
    points = load_chefs_lieux(path, tiny_communes)
    assert points.to_dict("records") == [{"code": "2A004", "lon": 8.7369, "lat": 41.9267}]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,lon,lat\n2A004,200,41.9\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2.*'lon'.*200"):
        load_chefs_lieux(bad, tiny_communes)


def test_a_run_fits_on_its_departements_the_reference_covers_spread_over_its_list():
    covered = {"2B", "91", "78", "01", "02", "03"}
    assert calibration_departements("run", ["2A", "2B"], covered, 12) == ["2B"]
    assert calibration_departements("run", ["2A"], covered, 12) == [], "Corse-du-Sud alone: the shipped model"
    national = ["01", "02", "03", "2A", "2B", "78", "91"]
    assert calibration_departements("run", national, covered, 3) == ["01", "03", "91"], "first, middle, last"
    assert calibration_departements(["78"], national, covered, 3) == ["78"]


def test_a_fitted_fragment_replaces_the_configured_model_of_its_name(tmp_path: Path):
    fragment = tmp_path / "speeds_fitted.yaml"
    fragment.write_text("# fitted\nspeeds:\n  models:\n    calibrated: {class_kph: {default: 33}}\n", encoding="utf-8")
    speeds = {"model": "calibrated", "alternative": "legal_limits",
              "models": {"calibrated": {"class_kph": {"default": 26}}, "legal_limits": {"class_kph": {"default": 50}}}}
    adopted = adopt_fitted(speeds, [fragment])
    assert adopted["models"]["calibrated"] == {"class_kph": {"default": 33}}
    assert adopted["models"]["legal_limits"] == {"class_kph": {"default": 50}} and adopt_fitted(speeds, []) == speeds
