"""Every documented way of using the pipeline builds every default target, and its pages open without a script
error: an option is tested on everything downstream that reads it, not only on the table it feeds.

Each row of the matrix starts from a copy of the default run (the session's ``run``: Corsica, SAE 2021 and
2023) and reruns the default targets with its own configuration, as a planner rerunning in a folder would:
Snakemake reruns what the option changes (its parameters, inputs or code) and keeps what it does not (the
copied inputs, the prepared networks when the roads and speeds are the same). Then every page is opened in
headless Chromium and its console read, the PDF report is checked as A4, and the row's own effect is
checked on the tables and pages.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from browser import Browser
from conftest import ROOT, SAE, SAE_2021, SHARED, copy_of_run, snakemake, write_pbf

from coverage.outputs.french import MCO_UNKNOWN
from coverage.tables import read_csv as read_table

pytestmark = pytest.mark.integration

BASE_CONFIG = {"sources": {"sae": [str(SAE_2021), str(SAE)]}}
PAGES = ["maps/index.html", "maps/{region}.html", "maps/annuaire-{region}.html", "reports/{region}.html"]
LIST_COLUMNS = ["finess", "name", "service", "capacity", "lon", "lat", "commune", "phone"]
ADD_LABEL = "ARS de Corse, sites reconnus (2025)"
TRUSTED_LABEL = "ARS de Corse, antennes d'EMSP (2025)"
REPLACE_USP = "ARS de Corse, USP reconnues (2025)"
REPLACE_EMSP = "ARS de Corse, EMSP de Haute-Corse (2025)"


@dataclass(frozen=True)
class Row:
    """A documented way of using the pipeline: what it writes in the planner's folder and sets in the config
    (over the default run's), and what it must change in the outputs."""

    config: Callable[[Path, dict], dict]
    check: Callable[[Path], None]
    departements: tuple[str, ...] = ("2A", "2B")
    region: str = "corse"
    fixtures: tuple[str, ...] = field(default=())


def write_list(path: Path, rows: list[list]) -> Path:
    """A planner's list, CSV or XLSX by its suffix."""
    frame = pd.DataFrame(rows, columns=LIST_COLUMNS)
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def site_popups(browser: Browser) -> dict[tuple[str, str], str]:
    """(FINESS number, service) -> the text of its popup as a reader sees it, for every site marker of the open map
    (each page keeps its markers in its clusters, one per service)."""
    texts = browser.evaluate(
        """coveragePage.clusters.flatMap(c => c.getLayers())
             .filter(v => v instanceof L.CircleMarker && v.getPopup()).map(v => {
               const text = document.createElement('div');
               text.innerHTML = v.getPopup().getContent();
               return text.textContent; })"""
    )
    names = {"Unités de soins palliatifs": "USP", "Lits identifiés": "LISP", "Équipes mobiles": "EMSP",
             "Hospitalisation à domicile": "HAD", "Maisons de santé": "MSP"}  # fmt: skip
    popups = {}
    for text in texts:
        finess = re.search(r"FINESS (\w{9})", text)
        service = [code for name, code in names.items() if name in text]
        if finess and len(service) == 1:
            popups[finess.group(1), service[0]] = text
    return popups


def sites(folder: Path, service: str, departements=("2A", "2B")) -> pd.DataFrame:
    """The run's sites of a service in some départements."""
    table = read_table(folder / "data/processed/facilities.csv")
    return table[(table["service"] == service) & table["departement"].isin(departements)].set_index("finess")


# The rows ---------------------------------------------------------------------------------------------------------


def lists_added(planner: Path, _) -> dict:
    """A CSV list adding a LISP (Corse-du-Sud, as the issue met it) and a USP placed at its commune; an XLSX list
    adding an EMSP antenna of Bastia's team whose point lies in Corse-du-Sud (trust_coordinates)."""
    added = write_list(planner / "sites.csv", [
        ["2A0002614", "CENTRE HOSPITALIER DE SARTENE", "LISP", 4, 8.9263, 41.6137, "", "0495770000"],
        ["2B0000038", "CH CORTE", "USP", 6, "", "", "2B096", ""],
    ])  # fmt: skip
    antennas = write_list(planner / "antennes.xlsx", [
        ["2B0099001", "EMSP ANTENNE SUD (CH BASTIA)", "EMSP", 1, 9.2795, 41.5912, "", "0495590000"],
    ])  # fmt: skip
    return {"own_sites": [
        {"path": str(added), "label": ADD_LABEL, "mode": "add"},
        {"path": str(antennas), "label": TRUSTED_LABEL, "mode": "add", "trust_coordinates": True},
    ]}  # fmt: skip


def check_lists_added(folder: Path) -> None:
    lisp, usp, emsp = sites(folder, "LISP"), sites(folder, "USP"), sites(folder, "EMSP")
    assert lisp.loc["2A0002614", ["capacity", "location_source", "edition"]].tolist() == [4, "list", ADD_LABEL]
    assert usp.loc["2B0000038", ["location_source", "commune"]].tolist() == ["list_commune", "2B096"]
    assert {"2A0004842", "2B0005664"} <= set(usp.index), "mode add keeps the national sites"
    assert emsp.loc["2B0099001", "departement"] == "2A", "trusted coordinates count where they lie"
    warnings = read_table(folder / "data/processed/warnings.csv")
    assert warnings["warning"].str.contains("kept (trust_coordinates), counted in département 2A", regex=False).any()
    indicators = read_table(folder / "data/processed/indicators_departement.csv").set_index("departement")
    assert indicators.loc["2A", "emsp_count"] == 2 and indicators.loc["2B", "usp_count"] == 2
    access = read_table(folder / "data/processed/access_commune.csv").set_index("commune")
    assert access.loc["2B096", "usp_nearest"] == "2B0000038", "Corte's USP is at its own commune's point"
    with Browser(folder / "profile-popups") as browser:
        browser.open((folder / "maps/corse.html").as_uri())
        popups = site_popups(browser)
    assert f"liste « {ADD_LABEL} » ; localisation donnée par la liste" in popups["2A0002614", "LISP"]
    assert f"liste « {TRUSTED_LABEL} »" in popups["2B0099001", "EMSP"]
    assert f"liste « {ADD_LABEL} » ; localisation approchée (point de la commune)" in popups["2B0000038", "USP"]
    assert "SAE 2023 ; localisation FINESS" in popups["2A0002614", "HAD"], "the national HAD of Sartène is kept"
    report = (folder / "reports/corse.md").read_text(encoding="utf-8")
    assert ADD_LABEL in report and TRUSTED_LABEL in report
    # The listed LISP gives no split by sector: its département's MCO beds, and France's, are unknown, said so.
    assert np.isnan(indicators.loc["2A", "lisp_mco_capacity"]) and indicators.loc["2B", "lisp_mco_capacity"] >= 0
    assert "dont lits en MCO" in report and f"| {MCO_UNKNOWN} | {MCO_UNKNOWN} |" in report


def lists_replacing(planner: Path, _) -> dict:
    """An XLSX list replacing every USP of Corsica, a CSV list replacing the EMSP of Haute-Corse."""
    usp = write_list(planner / "usp.xlsx", [
        ["2A0004842", "CH ND LA MISERICORDE", "USP", 10, 8.683485, 41.932815, "", ""],
        ["2B0000038", "CH CORTE", "USP", 6, "", "", "2B096", ""],
    ])  # fmt: skip
    emsp = write_list(planner / "emsp.csv", [["2B0000012", "CENTRE HOSPITALIER DE BASTIA", "EMSP", 1, "", "", "2B033", ""]])
    return {"own_sites": [
        {"path": str(usp), "label": REPLACE_USP, "mode": "replace", "services": ["USP"], "departements": ["2A", "2B"]},
        {"path": str(emsp), "label": REPLACE_EMSP, "mode": "replace", "services": ["EMSP"], "departements": ["2B"]},
    ]}  # fmt: skip


def check_lists_replacing(folder: Path) -> None:
    usp, emsp = sites(folder, "USP"), sites(folder, "EMSP")
    assert sorted(usp.index) == ["2A0004842", "2B0000038"] and usp["capacity"].sum() == 16
    assert sorted(emsp.index) == ["2A0004842", "2B0000012"], "Maymard's EMSP replaced, 2A's kept"
    rejects = read_table(folder / "data/processed/rejects.csv")
    assert rejects["id"][rejects["reason"].str.contains("replaced by the list")].tolist().count("2B0005664") == 1
    access = read_table(folder / "data/processed/access_commune.csv")
    assert set(access["usp_nearest"].dropna()) == {"2A0004842", "2B0000038"}
    assert set(access["emsp_nearest"].dropna()) <= {"2A0004842", "2B0000012"}
    with Browser(folder / "profile-popups") as browser:
        browser.open((folder / "maps/index.html").as_uri())
        popups = site_popups(browser)
    assert f"liste « {REPLACE_USP} »" in popups["2A0004842", "USP"] and ("2B0005664", "USP") not in popups
    assert "SAE 2023" in popups["2A0004842", "LISP"], "the other services of a listed site stay national"


def one_edition(_, __) -> dict:
    return {"sources": {"sae": str(SAE)}}


def check_one_edition(folder: Path) -> None:
    indicators = read_table(folder / "data/processed/indicators_departement.csv")
    assert "SAE 2023" in indicators["sources"].iloc[0] and "SAE 2021" not in indicators["sources"].iloc[0]
    for page in ("maps/index.html", "reports/corse.md"):
        assert "Évolution" not in (folder / page).read_text(encoding="utf-8"), page


def renamed_edition(planner: Path, _) -> dict:
    """A 2022-like edition given by its folder alone: other file names, suffix ``a``, columns reordered and
    lower-cased (SAE 2023's tables rewritten so)."""
    folder = planner / "sae-2022"
    folder.mkdir()
    for name in ("ID", "PALIA", "HAD"):
        source = next(SAE.glob(f"{name}_2023*.csv"))
        frame = pd.read_csv(source, sep=";", dtype=str, encoding="latin-1", keep_default_na=False)
        frame = frame[list(reversed(frame.columns))].rename(columns=str.lower)
        frame.to_csv(folder / f"{name}_2022a.csv", sep=";", index=False, encoding="latin-1", lineterminator="\r\n")
    return {"sources": {"sae": str(folder)}}


def check_renamed_edition(folder: Path) -> None:
    processed = folder / "data/processed"
    totals = read_table(processed / "national_totals.csv").set_index("service")
    assert totals.loc["USP", "capacity"] == 1960 and totals.loc["LISP", "capacity"] == 6993, "SAE 2023's sums"
    assert "SAE 2022" in (processed / "indicators_departement.md").read_text(encoding="utf-8")
    assert "SAE 2022" in (folder / "maps/index.html").read_text(encoding="utf-8")


def mixed_edition(_, __) -> dict:
    """The run's edition made of tables of different years: ID and HAD of 2023, PALIA of 2021."""
    mixed = {"ID": str(SAE / "ID_2023r.csv"), "PALIA": str(SAE_2021 / "PALIA_2021r.csv"),
             "HAD": str(SAE / "HAD_2023r.csv")}  # fmt: skip
    return {"sources": {"sae": [str(SAE_2021), mixed]}}


def check_mixed_edition(folder: Path) -> None:
    label = "SAE 2023 (PALIA 2021)"
    facilities = read_table(folder / "data/processed/facilities.csv")
    assert set(facilities.loc[facilities["service"] == "USP", "edition"]) == {label}
    palia = pd.read_csv(SAE_2021 / "PALIA_2021r.csv", sep=";", encoding="latin-1", dtype=str)
    listed = set(pd.read_csv(SAE / "ID_2023r.csv", sep=";", encoding="latin-1", dtype=str)["fi"])
    usp = palia[(palia["PALIA_A6"] == "1") & palia["FI"].isin(listed)]
    totals = read_table(folder / "data/processed/national_totals.csv").set_index("service")
    assert totals.loc["USP", "capacity"] == pd.to_numeric(usp["PALIA_A8"]).sum(), "PALIA 2021's beds, of ID 2023"
    rejects = read_table(folder / "data/processed/rejects.csv")
    closed = rejects[rejects["reason"].str.contains("closed or merged since PALIA 2021", regex=False)]
    assert set(closed["id"]) == set(palia["FI"]) - listed and len(closed) > 0
    change = read_table(folder / "data/processed/change_national.csv").set_index("indicator")
    assert change.loc["usp_capacity", "edition_to"] == label
    assert label in (folder / "maps/index.html").read_text(encoding="utf-8")


def legal_limits_first(_, __) -> dict:
    return {"speeds": {"model": "legal_limits", "alternative": "calibrated"}}


def check_legal_limits_first(folder: Path) -> None:
    coverage = read_table(folder / "data/processed/coverage_departement.csv").dropna(subset=["share_within"])
    assert (coverage["share_within"] >= coverage["share_within_alternative"] - 1e-9).all(), "legal limits are faster"
    assert (coverage["share_within"] > coverage["share_within_alternative"]).any()
    report = (folder / "reports/corse.md").read_text(encoding="utf-8")
    assert "Sensibilité au modèle de vitesse" in report and "(« legal_limits ») et avec son alternative" in report


def no_alternative(_, __) -> dict:
    return {"speeds": {"model": "legal_limits", "alternative": None}}


def check_no_alternative(folder: Path) -> None:
    coverage = read_table(folder / "data/processed/coverage_departement.csv")
    assert coverage["share_within_alternative"].isna().all() and coverage["share_within"].notna().all()
    report = (folder / "reports/corse.md").read_text(encoding="utf-8")
    assert "Sensibilité au modèle de vitesse" not in report and "Modèle alternatif" not in report


def exact_isochrones(_, __) -> dict:
    return {"access": {"isochrone_method": "exact"}}


def check_exact_isochrones(folder: Path) -> None:
    import geopandas as gpd

    bands = gpd.read_file(folder / "data/processed/isochrones.gpkg")
    assert bands.geometry.is_valid.all() and len(bands) == 5 * 4, "each service's bands, merged over Corsica"
    coverage = read_table(folder / "data/processed/coverage_departement.csv")
    within_60 = coverage[coverage["threshold_min"] == 60].groupby("service")["population_within"].sum()
    assert bands.groupby("service")["population"].sum().to_dict() == within_60.to_dict()


def no_calibration(_, __) -> dict:
    return {"calibration": None}


def check_no_calibration(folder: Path) -> None:
    manifest = (folder / "data/processed/manifest.json").read_text(encoding="utf-8")
    assert "calibration/" not in manifest and '"calibration": null' in manifest


def corse_du_sud(_, __) -> dict:
    return {"departements": ["2A"]}


def check_corse_du_sud(folder: Path) -> None:
    """Corse-du-Sud has no reference times in this copy of the DREES table: no calibration, the shipped model, which
    the report names with where it was fitted and its error on communes it never saw."""
    access = read_table(folder / "data/processed/access_commune.csv")
    assert set(access["departement"]) == {"2A"} and len(access) == 124
    assert access["usp_minutes"].notna().all() and (access["point_source"] == "chef_lieu").all()
    report = (folder / "reports/corse.md").read_text(encoding="utf-8")
    assert "de 232 communes de Haute-Corse et 17 de l'Essonne ; hors échantillon" in report
    assert "Modèle de vitesse ajusté pour ce calcul" not in report
    manifest = (folder / "data/processed/manifest.json").read_text(encoding="utf-8")
    assert "calibration/speeds_fitted.yaml" not in manifest


def paris_saclay_alone(_, __) -> dict:
    """Essonne on the Paris-Saclay graph only (it covers a tenth of the département): the run fits its own model on
    the Essonne communes the graph can judge, and the people off the graph are unknown, never beyond."""
    converter = yaml.safe_load((ROOT / "workflow/config/config.yaml").read_text(encoding="utf-8"))
    converter = converter["networks"]["sources"][0]["converter_default_maxspeeds"]
    source = {"departements": ["91"], "source": "graphml", "path": "roads/paris-saclay-drive.graphml",
              "converter_default_maxspeeds": converter}  # fmt: skip
    return {"departements": ["91"], "networks": {"buffer_km": 120, "sources": [source]}}


def check_paris_saclay_alone(folder: Path) -> None:
    fitted = (folder / "data/processed/calibration/speeds_fitted.yaml").read_text(encoding="utf-8")
    assert "(17 communes : 91)" in fitted
    coverage = read_table(folder / "data/processed/coverage_departement.csv")
    assert coverage["share_within"].isna().all() and (coverage["share_unknown"] > 0.5).all()
    report = (folder / "reports/ile-de-france.md").read_text(encoding="utf-8")
    assert "Modèle de vitesse ajusté pour ce calcul sur les temps officiels de 17 communes (91 ;" in report


def extract_network(planner: Path, corsica) -> dict:
    """The Corsica roads as the OpenStreetMap extract a planner downloads (written from the GraphML)."""
    network, _ = corsica
    pbf = write_pbf(network, planner / "corse.osm.pbf")
    return {"networks": {"buffer_km": 120, "sources": [{"departements": ["2A", "2B"], "source": "osm", "path": str(pbf)}]}}


def check_extract_network(folder: Path) -> None:
    access = read_table(folder / "data/processed/access_commune.csv")
    assert access["sources"].str.contains("© contributeurs OpenStreetMap (corse.osm.pbf)", regex=False).all()
    assert access["on_network"].all() and access["usp_minutes"].notna().all()


def unlisted_departement(planner: Path, _) -> dict:
    """SAE 2023 as a partial file would give it: no establishment of Haute-Corse in ID, PALIA or HAD."""
    folder = planner / "sae-2023"
    folder.mkdir()
    identification = pd.read_csv(SAE / "ID_2023r.csv", sep=";", encoding="latin-1", dtype=str)
    dropped = set(identification.loc[identification["dep"] == "2B", "fi"])
    for source in SAE.glob("*_2023r.csv"):
        header, *lines = source.read_bytes().decode("latin-1").removesuffix("\r\n").split("\r\n")
        column = header.lower().split(";").index("fi")
        kept = [line for line in lines if line.split(";")[column] not in dropped]
        (folder / source.name).write_bytes("\r\n".join([header, *kept, ""]).encode("latin-1"))
    return {"sources": {"sae": [str(SAE_2021), str(folder)]}}


def check_unlisted_departement(folder: Path) -> None:
    indicators = read_table(folder / "data/processed/indicators_departement.csv").set_index("departement")
    assert indicators.loc["2B", ["usp_count", "had_capacity", "emsp_count"]].isna().all()
    assert indicators.loc["2B", "msp_count"] == 4 and indicators.loc["2A", "usp_count"] == 1
    warnings = read_table(folder / "data/processed/warnings.csv")
    assert warnings["warning"].str.contains("no establishment of département 2B in this file").any()


def network_covering_nothing(_, __) -> dict:
    """Guadeloupe on the one real extract at hand, Saint-Barthélemy's (within 250 km, none of it in Guadeloupe):
    no commune on the network, none to fit the speeds on."""
    source = {"departements": ["971"], "source": "osm", "path": str(SHARED / "roads/saint-barthelemy.osm.pbf")}
    return {"departements": ["971"], "networks": {"buffer_km": 250, "sources": [source]}}


def check_network_covering_nothing(folder: Path) -> None:
    coverage = read_table(folder / "data/processed/coverage_departement.csv")
    assert coverage["share_within"].isna().all() and (coverage["share_unknown"] == 1).all()
    warnings = read_table(folder / "data/processed/warnings.csv")
    kept = warnings[warnings["warning"].str.startswith("speed model not fitted, the shipped model 'calibrated' kept")]
    assert kept["file"].str.endswith("drees-urgences-2019-communes.csv").all() and len(kept) == 1
    assert kept["warning"].iloc[0].endswith("judged: 29 off the network"), kept["warning"].iloc[0]
    report = (folder / "reports/guadeloupe.md").read_text(encoding="utf-8")
    assert "Le modèle de vitesse n'a pas pu être ajusté sur les temps officiels" in report
    assert "| 971 | USP | non calculé | non calculé | non calculé |" in report
    assert "non calculé (384\u202f160 habitants hors du réseau routier)" in report


ROWS = {
    "planner-lists-add-csv-xlsx-trusted": Row(lists_added, check_lists_added),
    "planner-lists-replace-xlsx-csv": Row(lists_replacing, check_lists_replacing),
    "one-sae-edition": Row(one_edition, check_one_edition),
    "edition-of-tables-of-different-years": Row(mixed_edition, check_mixed_edition),
    "edition-of-another-year-by-its-folder": Row(renamed_edition, check_renamed_edition),
    "legal-limits-calibrated-alternative": Row(legal_limits_first, check_legal_limits_first),
    "legal-limits-no-alternative": Row(no_alternative, check_no_alternative),
    "exact-isochrones": Row(exact_isochrones, check_exact_isochrones),
    "no-calibration": Row(no_calibration, check_no_calibration),
    "corse-du-sud-only": Row(corse_du_sud, check_corse_du_sud, departements=("2A",)),
    "paris-saclay-graph-alone": Row(paris_saclay_alone, check_paris_saclay_alone, departements=("91",),
                                    region="ile-de-france"),
    "osm-pbf-network": Row(extract_network, check_extract_network, fixtures=("corsica",)),
    "departement-unlisted-in-national-files": Row(unlisted_departement, check_unlisted_departement),
    "network-covering-none-of-the-departement": Row(network_covering_nothing, check_network_covering_nothing,
                                                    departements=("971",), region="guadeloupe"),
}


# The matrix -------------------------------------------------------------------------------------------------------


def merged(base: dict, changes: dict) -> dict:
    """``base`` with ``changes`` written over it, section by section (as Snakemake merges config files)."""
    result = dict(base)
    for key, value in changes.items():
        both = isinstance(value, dict) and isinstance(base.get(key), dict)
        result[key] = merged(base[key], value) if both else value
    return result


SHOW_EVERY_OVERLAY = """(() => {
  const hidden = [...document.querySelectorAll('.leaflet-control-layers-overlays input')].filter(i => !i.checked);
  hidden.forEach(i => i.click());
  return hidden.length;
})()"""


def check_pages_and_pdf(folder: Path, region: str) -> None:
    """Every page opens offline in Chromium without a script error, the région map with every overlay shown (sites
    without backup, catchments, EHPAD...); the PDF report is printed on A4."""
    with Browser(folder / "profile") as browser:
        for page in (page.format(region=region) for page in PAGES):
            browser.open((folder / page).as_uri())
            assert browser.script_errors() == [], page
            assert browser.evaluate("document.body.innerText.length") > 100, page
            if page == f"maps/{region}.html":
                assert browser.evaluate(SHOW_EVERY_OVERLAY) >= 10, "the région map's overlays"
                assert browser.script_errors() == [], f"{page}, every overlay shown"
    info = subprocess.run(["pdfinfo", str(folder / f"reports/{region}.pdf")], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert "A4" in info.stdout


class Built:
    """The option rows built so far in this process, each run when a test first asks for it, from its own copy of the
    default run (``-k`` with one row builds that row only; under ``make test`` the rows go to either core)."""

    def __init__(self, run: Path, corsica, tmp_path_factory):
        self.run, self.fixtures, self.tmp_path_factory = run, {"corsica": corsica}, tmp_path_factory
        self.rows: dict[str, tuple[Path, subprocess.CompletedProcess]] = {}

    def __getitem__(self, name: str) -> tuple[Path, subprocess.CompletedProcess]:
        if name not in self.rows:
            row, folder = ROWS[name], self.tmp_path_factory.mktemp(name)
            (folder / "planner").mkdir()
            config = merged(BASE_CONFIG, row.config(folder / "planner",
                                                    *[self.fixtures[f] for f in row.fixtures] or [None]))  # fmt: skip
            copy = copy_of_run(self.run, folder / "run")
            self.rows[name] = (copy, snakemake(copy, config, config_name="row.yaml"))
        return self.rows[name]


@pytest.fixture(scope="module")
def built(run: Path, corsica, tmp_path_factory) -> Built:
    return Built(run, corsica, tmp_path_factory)


class RowCheck:
    """One row of the matrix built and checked. Each row is a class of its own (:data:`ROW_CLASSES`), so that
    ``make test`` gives each row to whichever core is free (pytest-xdist's ``--dist loadscope``: a class is one unit
    of work), and ``-k`` with a row's class name builds that row only."""

    name = ""

    def test_option_builds_every_default_target(self, built: Built):
        row = ROWS[self.name]
        folder, result = built[self.name]
        assert result.returncode == 0, result.stderr[-4000:]
        expected = {f"data/processed/departements/{code}/access_commune.csv" for code in row.departements}
        pages = [page.format(region=row.region) for page in PAGES]
        assert all((folder / path).exists() for path in [*pages, *expected, "data/processed/manifest.json"])
        check_pages_and_pdf(folder, row.region)
        row.check(folder)


ROW_CLASSES = {f"TestRow_{name.replace('-', '_')}": type(f"TestRow_{name.replace('-', '_')}", (RowCheck,), {
    "name": name, "__doc__": f"The option matrix's row {name!r}: {(ROWS[name].config.__doc__ or '').strip()}"})
    for name in ROWS}  # fmt: skip
"""A test class per row of :data:`ROWS`, collected by pytest under its name (``TestRow_one_sae_edition``)."""
globals().update(ROW_CLASSES)


def test_every_row_has_its_class():
    assert sorted(cls.name for cls in ROW_CLASSES.values()) == sorted(ROWS)


def test_a_failing_step_leaves_its_traceback_in_its_own_log(run: Path, tmp_path: Path):
    """A prepared network broken after the fact: the access job of Corse-du-Sud fails, and its own log says why."""
    folder = copy_of_run(run, tmp_path / "run")
    broken = folder / "data/processed/departements/2A/network.npz"
    broken.write_bytes(b"not a network")
    result = snakemake(folder, BASE_CONFIG, "data/processed/departements/2A/access_commune.csv", "--forcerun", "access",
                       config_name="row.yaml")  # fmt: skip
    assert result.returncode != 0
    log = (folder / "logs/access_2A.log").read_text(encoding="utf-8")
    assert log.startswith("Traceback (most recent call last):") and "RoadNetwork.load(network)" in log, log[-2000:]
    assert log.rstrip().splitlines()[-1].startswith("ValueError"), "the exception itself ends the log"
    assert "logs/access_2A.log" in result.stderr, "Snakemake points to the log"
