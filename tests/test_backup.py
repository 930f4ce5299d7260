"""Sites without backup: the people each site alone brings within a threshold, from the default run, against closing
each site and routing again (brute force, the library's own access without that site)."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from coverage.core.access import AccessModel, Router, commune_access, population_quantile
from coverage.core.network import RoadNetwork
from coverage.france.constants import COLUMNS

pytestmark = pytest.mark.integration


def read_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"departement": str, "finess": str, "commune": str, "site_commune": str})


def closed(router: Router, communes: gpd.GeoDataFrame, facilities: pd.DataFrame, model: AccessModel, service: str,
           finess: str) -> pd.DataFrame:  # fmt: skip
    """The communes' access to ``service`` with the site ``finess`` closed."""
    alone = AccessModel({service: model.directions[service]}, model.offroad_kph, model.max_snap_m, model.horizon_min,
                        model.origin)  # fmt: skip
    kept = facilities[~((facilities["service"] == service) & (facilities["finess"] == finess))]
    return commune_access(router, communes, kept, alone, columns=COLUMNS).communes


@pytest.mark.parametrize("departement", ["2A", "2B"])
def test_closing_each_site_puts_beyond_each_threshold_the_people_the_table_says(run: Path, default_config, departement):
    """Every site of the table (each service, each threshold): the people within the threshold before its closure
    and beyond it after, their median and worst minutes after, equal to the table's."""
    model = AccessModel.from_config(default_config["access"])
    router = Router(RoadNetwork.load(run / f"data/processed/departements/{departement}/network.npz"))
    communes = gpd.read_file(run / "data/processed/communes.gpkg", layer="communes").astype({"code": str})
    communes = communes[communes["departement"] == departement].reset_index(drop=True)
    facilities = read_table(run / "data/processed/facilities.csv")
    table = read_table(run / f"data/processed/departements/{departement}/critical_sites.csv")
    assert set(table["service"]) == set(model.directions) and table["finess"].str.len().eq(9).all()
    before = commune_access(router, communes, facilities, model, columns=COLUMNS).communes
    pipeline = read_table(run / "data/processed/access_commune.csv").set_index("commune").loc[before["code"]]
    assert np.allclose(before["usp_minutes"], pipeline["usp_minutes"], atol=1e-4, equal_nan=True), "the run's routing"
    checked = 0
    for (service, finess), rows in table.groupby(["service", "finess"]):
        minutes = f"{service.lower()}_minutes"
        after = closed(router, communes, facilities, model, service, finess)
        for row in rows.itertuples():
            lost = (before[minutes] <= row.threshold_min) & ~(after[minutes] <= row.threshold_min)
            people = before.loc[lost, "population"]
            assert row.population_without_backup == people.sum(), (service, finess, row.threshold_min)
            if people.sum():
                expected = population_quantile(after.loc[lost, minutes].to_numpy(float), people.to_numpy(float), 0.5)
                assert row.median_backup_min == pytest.approx(expected, nan_ok=True)
                worst = after.loc[lost, minutes].max() if after.loc[lost, minutes].notna().all() else np.nan
                assert row.worst_backup_min == pytest.approx(worst, nan_ok=True)
            checked += 1
    assert checked == len(table) and (table["population_without_backup"] > 0).sum() >= 10


def site_totals(run: Path, threshold: float) -> pd.DataFrame:
    """The run's sites without backup at ``threshold``, their people of every département added up."""
    table = read_table(run / "data/processed/critical_sites.csv")
    table = table[table["threshold_min"] == threshold]
    return table.groupby(["service", "finess"], as_index=False)[
        ["population_without_backup", "population_75_plus_without_backup"]
    ].sum()


def test_the_report_ranks_the_sites_whose_closure_puts_most_people_beyond_30_minutes(run: Path, default_config):
    """The report's ten sites: the largest totals of critical_sites.csv at maps.drive_time_min, in order, with
    their people and their estimate aged 75+."""
    drive = default_config["maps"]["drive_time_min"]
    totals = site_totals(run, drive).sort_values(["population_without_backup", "finess"], ascending=[False, True])
    report = (run / "reports/corse.md").read_text(encoding="utf-8")
    section = report[report.index("## Sites sans relais") :].split("\n## ")[0]
    rows = [line.split(" | ") for line in section.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) == 10
    for row, expected in zip(rows, totals.head(10).itertuples(), strict=True):
        assert (row[2], row[3]) == (expected.service, expected.finess)
        assert row[5].replace("\u202f", "") == str(expected.population_without_backup)
        assert row[6].replace("\u202f", "") == str(round(expected.population_75_plus_without_backup))


def test_the_region_map_draws_each_site_without_backup_sized_by_its_people(run: Path, tmp_path: Path,
                                                                           default_config):  # fmt: skip
    """In Chromium: each service's layer, once shown, draws one disc per site with people alone (the totals of
    critical_sites.csv), the largest disc the site with most; its popup says how many."""
    from browser import Browser

    drive = default_config["maps"]["drive_time_min"]
    totals = site_totals(run, drive)
    totals = totals[totals["population_without_backup"] > 0]
    with Browser(tmp_path / "profile") as browser:
        browser.open((run / "maps/corse.html").as_uri())
        drawn = {}
        for service in ("USP", "HAD"):
            label = f"Sites sans relais {service} ({drive:g} min)"
            browser.evaluate(f"""[...document.querySelectorAll('.leaflet-control-layers-overlays label')]
              .find(l => l.textContent.trim() === {label!r}).querySelector('input').click(), 1""")
            drawn[service] = browser.evaluate(
                "[...document.querySelectorAll('path.coverage-alone')].map(p => p.getAttribute('d').length)"
            )
        legend = browser.evaluate("document.querySelector('.coverage-legend .alone').textContent")
        browser.evaluate("document.querySelector('path.coverage-alone').dispatchEvent("
                         "new MouseEvent('click', {bubbles: true})), 1")  # fmt: skip
        popup = browser.evaluate("document.querySelector('.leaflet-popup-content').innerText")
        assert browser.script_errors() == []
    usp = (totals["service"] == "USP").sum()
    assert len(drawn["USP"]) == usp and len(drawn["HAD"]) == usp + (totals["service"] == "HAD").sum()
    first = totals[totals["service"] == "USP"].sort_values("population_without_backup").iloc[-1]
    people = f"{first.population_without_backup:,}".replace(",", "\u202f")
    assert f"Seul site du service à moins de {drive:g} min pour {people} habitants" in popup
    assert f"moins de {drive:g} min" in legend


def test_the_directory_card_says_how_many_people_only_that_site_serves(run: Path, tmp_path: Path, default_config):
    """Ajaccio typed in the directory: its USP's card says how many of the région's people only it brings within
    maps.drive_time_min, as critical_sites.csv adds them up."""
    from browser import Browser

    drive = default_config["maps"]["drive_time_min"]
    access = read_table(run / "data/processed/access_commune.csv").set_index("commune")
    site = access.loc["2A004", "usp_nearest"]
    totals = site_totals(run, drive).set_index(["service", "finess"])
    with Browser(tmp_path / "profile") as browser:
        browser.open((run / "maps/annuaire-corse.html").as_uri())
        browser.evaluate("document.getElementById('recherche').focus()")
        browser.type("ajaccio")
        browser.press("Enter")
        card = browser.evaluate(f"document.querySelector('.site[data-finess=\"{site}\"] .relais').textContent")
    people = f"{totals.loc[('USP', site), 'population_without_backup']:,}".replace(",", "\u202f")
    assert card.startswith(f"Seul site du service à moins de {drive:g} min pour {people} habitants (Corse)")


@pytest.mark.parametrize("service", ["USP", "EMSP"])
def test_each_commune_is_in_the_catchment_of_its_nearest_site_by_another_search(run: Path, service: str):
    """Each commune in the catchment of the first site of nearest_sites.csv (one bounded search per site: another
    kernel than the access step's), each catchment's people and capacity per 100,000 summed here; every commune
    in one catchment."""
    table = read_table(run / f"data/processed/catchments_{service.lower()}.csv").set_index("finess")
    nearest = read_table(run / "data/processed/nearest_sites.csv").query(f"service == '{service}' and rank == 1")
    access = read_table(run / "data/processed/access_commune.csv").set_index("commune")
    first = nearest.set_index("commune")["finess"]
    assert table["communes"].sum() == len(access) == len(first)
    people = access["population"].groupby(first.reindex(access.index)).sum()
    assert table.loc[people.index, "population"].tolist() == people.tolist()
    facilities = read_table(run / "data/processed/facilities.csv").query(f"service == '{service}'")
    capacity = facilities.drop_duplicates("finess").set_index("finess")["capacity" if service == "USP" else "emsp_fte"]
    expected = capacity.loc[people.index] / people * 1e5
    assert np.allclose(table.loc[people.index, "capacity_per_100k"], expected)


def test_the_region_map_draws_each_catchment_once(run: Path, tmp_path: Path):
    """In Chromium: the USP layer, once shown, draws one merged polygon per catchment of critical_sites' région; a
    popup gives the site's people and beds per 100,000."""
    from browser import Browser

    table = read_table(run / "data/processed/catchments_usp.csv")
    with Browser(tmp_path / "profile") as browser:
        browser.open((run / "maps/corse.html").as_uri())
        browser.evaluate("""[...document.querySelectorAll('.leaflet-control-layers-overlays label')]
          .find(l => l.textContent.trim() === 'Aires de recrutement USP').querySelector('input').click(), 1""")
        drawn = browser.evaluate("document.querySelectorAll('path.coverage-catchment').length")
        browser.evaluate("document.querySelector('path.coverage-catchment').dispatchEvent("
                         "new MouseEvent('click', {bubbles: true})), 1")  # fmt: skip
        popup = browser.evaluate("document.querySelector('.leaflet-popup-content').innerText")
        assert browser.script_errors() == []
    assert drawn == (table["communes"] > 0).sum() == 2
    site = table[table["name"] == popup.splitlines()[0].removeprefix("Aire de recrutement : ")].iloc[0]
    assert f"{site.population:,} habitants".replace(",", "\u202f") in popup
