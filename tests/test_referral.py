"""Referral between tiers on the default run: each EHPAD's minutes from the nearest EMSP base and HAD site, each LISP
establishment's minutes to the nearest USP, against networkx searches from every site one by one (not the access
step's multi-source kernel); the EHPAD counted in FINESS with the csv module; the shares; the région map's layer in
Chromium; the report's section."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

from coverage.core.access import AccessModel, Router
from coverage.core.network import RoadNetwork

pytestmark = pytest.mark.integration

TEXT = {"departement": str, "finess": str, "commune": str, "emsp_nearest": str, "had_nearest": str, "usp_nearest": str}


def read_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=TEXT, keep_default_na=False, na_values=[""])


def networkx_minutes(router: Router, sites: pd.DataFrame, places: pd.DataFrame, model: AccessModel,
                     direction: str) -> np.ndarray:  # fmt: skip
    """Minutes between each place and its nearest site: one networkx Dijkstra per site on the network's edges
    (reversed towards the sites), plus both off-road legs; NaN beyond the horizon or off the network."""
    network = router.network
    graph = nx.DiGraph()
    for u, v, seconds in zip(network.source, network.target, network.travel_time_s, strict=True):
        if not graph.has_edge(int(u), int(v)) or graph[int(u)][int(v)]["s"] > seconds:
            graph.add_edge(int(u), int(v), s=float(seconds))
    graph = graph.reverse(copy=True) if direction == "to_site" else graph
    at = router.snap(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float), model.max_snap_m)
    points = router.snap(places["lon"].to_numpy(float), places["lat"].to_numpy(float), model.max_snap_m)
    best = np.full(len(places), np.inf)
    for node, offroad in zip(at.node[at.on_network], at.offroad_seconds(model.offroad_kph)[at.on_network], strict=True):
        lengths = nx.single_source_dijkstra_path_length(graph, int(node), weight="s")
        reached = np.array([lengths.get(int(n), np.inf) for n in points.node])
        best = np.minimum(best, offroad + reached + points.offroad_seconds(model.offroad_kph))
    return np.where(points.on_network & (best <= model.horizon_min * 60), best / 60, np.nan)


@pytest.mark.parametrize("departement", ["2A", "2B"])
def test_each_ehpad_and_lisp_site_is_as_far_as_networkx_finds_it(run: Path, default_config, departement):
    model = AccessModel.from_config(default_config["access"])
    router = Router(RoadNetwork.load(run / f"data/processed/departements/{departement}/network.npz"))
    facilities = read_table(run / "data/processed/facilities.csv").drop_duplicates(["service", "finess"])
    folder = run / f"data/processed/departements/{departement}"
    ehpad, lisp = read_table(folder / "referral_ehpad.csv"), read_table(folder / "referral_lisp.csv")
    located = facilities[facilities["lon"].notna()]
    for places, service in ((ehpad, "EMSP"), (ehpad, "HAD"), (lisp, "USP")):
        sites = located[located["service"] == service]
        expected = networkx_minutes(router, sites, places, model, model.directions[service])
        assert np.allclose(places[f"{service.lower()}_minutes"], expected, atol=1e-6, equal_nan=True), service
    assert len(lisp) == facilities.query(f"service == 'LISP' and departement == '{departement}'")["finess"].nunique()


def test_the_ehpad_are_finess_category_500_of_the_run(run: Path):
    with open(SHARED / "facilities/finess-2021-01/finess_etablissements.csv", encoding="utf-8", newline="") as handle:
        counted = sorted(r["nofinesset"] for r in csv.DictReader(handle)
                         if r["categetab"] == "500" and r["nofinesset"][:2] in ("2A", "2B"))  # fmt: skip
    ehpad = read_table(run / "data/processed/referral_ehpad.csv")
    assert sorted(ehpad["finess"]) == counted and len(counted) == 29
    assert ehpad["on_network"].all() and ehpad["emsp_nearest_name"].str.len().gt(0).all()


def test_the_shares_count_the_ehpad_and_lisp_sites_beyond_their_thresholds(run: Path, default_config):
    referral = default_config["referral"]
    shares = read_table(run / "data/processed/referral_departement.csv").set_index("departement")
    ehpad, lisp = (read_table(run / f"data/processed/referral_{kind}.csv") for kind in ("ehpad", "lisp"))
    for code, row in shares.iterrows():
        own = ehpad[ehpad["departement"] == code]
        for service in ("emsp", "had"):
            beyond = int((~(own[f"{service}_minutes"] <= referral["ehpad_minutes"])).sum())
            assert row[f"ehpad_beyond_{service}"] == beyond
            assert row[f"share_ehpad_beyond_{service}"] == pytest.approx(beyond / len(own))
        far = lisp[(lisp["departement"] == code) & ~(lisp["usp_minutes"] <= referral["lisp_minutes"])]
        assert row["lisp_beyond_usp"] == len(far)
    assert "sources" in shares and shares["ehpad"].sum() == 29


def test_the_region_map_draws_each_ehpad_coloured_by_its_minutes(run: Path, tmp_path: Path):
    """In Chromium: the EHPAD layer, once shown, draws one point per EHPAD; the popup names the nearest EMSP and its
    minutes; the legend says what the points are."""
    from browser import Browser

    ehpad = read_table(run / "data/processed/referral_ehpad.csv")
    with Browser(tmp_path / "profile") as browser:
        browser.open((run / "maps/corse.html").as_uri())
        browser.evaluate("""[...document.querySelectorAll('.leaflet-control-layers-overlays label')]
          .find(l => l.textContent.trim() === "EHPAD : minutes depuis l'EMSP la plus proche")
          .querySelector('input').click(), 1""")
        drawn = browser.evaluate("document.querySelectorAll('path.coverage-ehpad').length")
        legend = browser.evaluate("document.querySelector('.coverage-legend .ehpad').textContent")
        browser.evaluate("document.querySelector('path.coverage-ehpad').dispatchEvent("
                         "new MouseEvent('click', {bubbles: true})), 1")  # fmt: skip
        popup = browser.evaluate("document.querySelector('.leaflet-popup-content').innerText")
        assert browser.script_errors() == []
    assert drawn == len(ehpad) and "base de l'EMSP la plus proche" in legend
    home = ehpad[ehpad["name"] == popup.splitlines()[0].removesuffix(" (EHPAD)")].iloc[0]
    assert f"EMSP la plus proche : {home.emsp_nearest_name}, {round(home.emsp_minutes)} min" in popup


def test_the_report_gives_each_departements_ehpad_beyond_30_minutes(run: Path):
    shares = read_table(run / "data/processed/referral_departement.csv").set_index("departement")
    report = (run / "reports/corse.md").read_text(encoding="utf-8")
    section = report[report.index("## Recours : EHPAD") :].split("\n## ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| Corse-du-Sud (2A)"))
    count, share = shares.loc["2A", ["ehpad_beyond_emsp", "share_ehpad_beyond_emsp"]]
    assert f"| {int(count)} ({100 * share:.1f} %)".replace(".", ",") in row
    assert "Les 10 EHPAD les plus éloignés d'une base d'EMSP" in section
    listed = re.findall(r"^\| (.+?) \| (2[AB]\d{7}) \| 2[AB] \|", section, re.M)
    farthest = read_table(run / "data/processed/referral_ehpad.csv").sort_values("emsp_minutes", ascending=False)
    assert [finess for _, finess in listed[:10]] == farthest["finess"].head(10).tolist()
