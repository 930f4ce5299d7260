"""The national map as a reader uses it, in headless Chromium at the screen sizes researchers have: France whole
beside its controls, the picker redrawing map and ranking, the ranking and the download equal to the table, the
search, and the map and ranking highlighting each other."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pandas as pd
import pytest
from browser import Browser

pytestmark = pytest.mark.integration

PANE = "coverageExplorer.map.getPanes().overlayPane"
FILLS = f"[...{PANE}.querySelectorAll('path.coverage-departement')].map(p => p.getAttribute('fill'))"
INSETS = ["971", "972", "973", "974", "976"]
INSIDE_AND_UNCOVERED = """
(() => {
  const box = (e) => e.getBoundingClientRect();
  const mapElement = coverageExplorer.map.getContainer(), area = box(mapElement);
  const controls = [...mapElement.querySelectorAll('.leaflet-control')].map(box)
    .concat([box(document.getElementById('coverage-bar')), box(document.getElementById('coverage-panel'))]);
  const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const faults = [];
  const pane = coverageExplorer.map.getPanes().overlayPane;
  for (const path of pane.querySelectorAll('path.coverage-departement')) {
    const code = [...path.classList].find((c) => c.startsWith('dep-')).slice(4);
    if (%s.includes(code)) continue;
    const r = box(path);
    if (r.left < area.left || r.right > area.right || r.top < area.top || r.bottom > area.bottom) {
      faults.push(code + ' outside');
    }
    controls.forEach((c, k) => { if (overlaps(r, c)) faults.push(code + ' under control ' + k); });
  }
  const shown = (e) => { const r = box(e); return r.width > 0 && r.left >= 0 && r.top >= 0
    && r.right <= innerWidth && r.bottom <= innerHeight; };
  const insets = [...document.querySelectorAll('.coverage-inset')].filter(shown).length;
  const legend = shown(document.querySelector('.coverage-legend'));
  return {faults, polygons: pane.querySelectorAll('path.coverage-departement').length,
          insets, legend};
})()
""" % INSETS


@pytest.fixture(scope="module")
def national(run: Path) -> tuple[Path, pd.DataFrame]:
    """The run's national map and its indicators table as the file writes it."""
    table = pd.read_csv(run / "data/processed/indicators_departement.csv", dtype=str, keep_default_na=False)
    return run / "maps/index.html", table


def opened(browser: Browser, page: Path, width: int, height: int) -> None:
    """Open the page in a window of ``width`` x ``height`` CSS pixels, once its script has drawn."""
    browser.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
    browser.open(page.as_uri())
    assert browser.evaluate("document.body.dataset.ready") == "true"


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_france_the_insets_and_the_legend_are_whole_at_first_sight(national, tmp_path: Path, size):
    page, table = national
    with Browser(tmp_path / "profile") as browser:
        opened(browser, page, *size)
        drawn = browser.evaluate(INSIDE_AND_UNCOVERED)
        assert browser.script_errors() == []
    assert drawn["polygons"] == len(table), "one polygon per département (the DROM's beyond the view)"
    assert drawn["faults"] == []
    assert drawn["insets"] == len(INSETS) and drawn["legend"]


def ranking(browser: Browser) -> list[tuple[str, str]]:
    """The ranking's bars, top to bottom: (département, value as the page holds it)."""
    return [
        (bar["code"], bar["value"])
        for bar in browser.evaluate(
            "[...document.querySelectorAll('#coverage-ranking rect.bar')]"
            ".sort((a, b) => a.y.baseVal.value - b.y.baseVal.value).map((b) => ({...b.dataset}))"
        )
    ]


def pick(browser: Browser, indicator: str) -> None:
    """Choose an indicator in the picker as a reader does (the select's change event)."""
    browser.evaluate(
        f"(() => {{ const s = document.getElementById('coverage-indicator'); s.value = {json.dumps(indicator)};"
        "s.dispatchEvent(new Event('change')); })()"
    )


def test_picking_an_indicator_redraws_the_map_and_a_ranking_equal_to_the_table(national, tmp_path: Path):
    page, table = national
    values = table.set_index("departement")
    with Browser(tmp_path / "profile") as browser:
        opened(browser, page, 1366, 768)
        options = browser.evaluate("[...document.querySelectorAll('#coverage-indicator option')].map(o => o.value)")
        groups = browser.evaluate("[...document.querySelectorAll('#coverage-indicator optgroup')].map(g => g.label)")
        for indicator in ("lisp_per_1000", "inhabitants_per_emsp", "had_per_100k_75plus"):
            before = browser.evaluate(FILLS)
            pick(browser, indicator)
            bars = ranking(browser)
            finite = values[indicator].astype(float).replace(float("inf"), float("nan")).dropna()
            expected = finite.sort_values(ascending=indicator.startswith("inhabitants_per_"), kind="stable")
            assert [value for _, value in bars] == [values.loc[code, indicator] for code, _ in bars]
            assert sorted(code for code, _ in bars) == sorted(finite.index)
            assert [float(v) for _, v in bars] == expected.tolist()
            title = browser.evaluate("document.querySelector('.coverage-legend b').textContent")
            assert title == browser.evaluate("document.querySelector('#coverage-indicator option:checked').textContent")
            fill = browser.evaluate(f"{PANE}.querySelector('path.dep-48').getAttribute('fill')")
            assert fill == browser.evaluate(f"coverageExplorer.indicators['{indicator}'].colors"
                                            "[coverageExplorer.find('48')]")  # fmt: skip
            assert browser.evaluate(FILLS) != before, "the map is redrawn"
        national_line = browser.evaluate("document.querySelector('#coverage-ranking text').textContent")
        assert browser.script_errors() == []
    assert groups[:4] == ["Offre pour la population", "Offre pour les 75 ans et plus",
                          "Offre rapportée aux décès (besoin)", "Évolution entre éditions"]
    assert {"usp_beds_per_100k", "had_per_100k_75plus", "change_usp_capacity", "time_usp"} <= set(options)
    # The national rate, from the table's sums: HAD places per 100,000 inhabitants aged 75 and over.
    known = values["had_capacity"] != ""
    rate = values.loc[known, "had_capacity"].astype(float).sum() / values.loc[known, "population_75_plus"].astype(
        float
    ).sum()
    assert national_line == f"France : {rate * 1e5:,.1f}".replace(",", "\u202f").replace(".", ",")


def test_the_download_is_the_indicators_table(national, tmp_path: Path):
    page, table = national
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with Browser(tmp_path / "profile") as browser:
        opened(browser, page, 1366, 768)
        browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
        for indicator in ("usp_beds_per_100k", "lisp_per_100k_75plus"):
            pick(browser, indicator)
            browser.evaluate("document.getElementById('coverage-download').click()")
            target, deadline = downloads / f"{indicator}.csv", time.monotonic() + 30
            while not target.exists():
                assert time.monotonic() < deadline, f"{target.name} was not downloaded"
                time.sleep(0.1)
            downloaded = pd.read_csv(io.StringIO(target.read_text(encoding="utf-8")), dtype=str, keep_default_na=False)
            pd.testing.assert_frame_equal(downloaded, table[["departement", "nom", indicator]])


def test_the_search_centres_the_map_and_map_and_ranking_highlight_each_other(national, tmp_path: Path):
    page, _ = national
    with Browser(tmp_path / "profile") as browser:
        opened(browser, page, 1366, 768)
        browser.evaluate("document.getElementById('coverage-search').focus()")
        browser.type("Lozère")
        browser.press("Enter")
        time.sleep(0.6)
        centred = browser.evaluate(
            "coverageExplorer.mainLayers[coverageExplorer.find('48')].getBounds()"
            ".contains(coverageExplorer.map.getCenter())"
        )
        # Hovering a bar outlines its département on the map.
        bar = browser.evaluate(
            "(() => { const r = document.querySelector('#coverage-ranking rect.bar[data-code=\"13\"]')"
            ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        browser.call("Input.dispatchMouseEvent", type="mouseMoved", x=bar[0], y=bar[1])
        outlined = browser.evaluate(f"{PANE}.querySelector('path.dep-13').getAttribute('stroke-width')")
        # Hovering the département on the map (Lozère, now centred) marks its bar.
        point = browser.evaluate(
            "(() => { const path = coverageExplorer.map.getPanes().overlayPane.querySelector('path.dep-48'), r = path"
            ".getBoundingClientRect(); for (let y = r.top + 2; y < r.bottom; y += 6) for (let x = r.left + 2;"
            " x < r.right; x += 6) if (document.elementFromPoint(x, y) === path) return [x, y]; return null; })()"
        )
        browser.call("Input.dispatchMouseEvent", type="mouseMoved", x=point[0], y=point[1])
        marked = browser.evaluate(
            "[...document.querySelectorAll('#coverage-ranking rect.hovered')].map(b => b.dataset.code)"
        )
        focus = browser.evaluate("document.getElementById('coverage-ranking-focus').textContent")
        browser.evaluate("document.getElementById('coverage-search').value = ''")
        browser.evaluate("document.getElementById('coverage-search').focus()")
        browser.type("2a")
        browser.press("Enter")
        time.sleep(0.6)
        corsica = browser.evaluate(
            "coverageExplorer.mainLayers[coverageExplorer.find('2A')].getBounds()"
            ".contains(coverageExplorer.map.getCenter())"
        )
        assert browser.script_errors() == []
    assert centred and corsica
    assert outlined == "3"
    assert marked == ["48"] and focus.startswith("Lozère (48)")


def test_the_region_map_has_the_same_picker_and_folded_overlays(run: Path, tmp_path: Path):
    visible_legend = (
        "[...document.querySelectorAll('.coverage-legend')].filter(l => l.style.display !== 'none')"
        ".map(l => l.dataset.layer)"
    )
    with Browser(tmp_path / "profile") as browser:
        browser.call("Emulation.setDeviceMetricsOverride", width=1366, height=768, deviceScaleFactor=1, mobile=False)
        browser.open((run / "maps/corse.html").as_uri())
        choices = browser.evaluate("[...document.querySelectorAll('#coverage-indicator option')].map(o => o.value)")
        opening = browser.evaluate("document.getElementById('coverage-indicator').value")
        folded = browser.evaluate("!document.querySelector('.leaflet-control-layers-expanded')")
        before = browser.evaluate(visible_legend)
        communes = "coveragePage.communeLayers.filter(layer => layer._map).length"
        drawn_before = browser.evaluate(communes)
        other = next(choice for choice in choices if choice != opening)
        pick(browser, other)
        after = browser.evaluate(visible_legend)
        drawn_after = browser.evaluate(communes)
        assert browser.script_errors() == []
    assert folded
    assert choices == [f"Minutes jusqu'au site {s} le plus proche" for s in ("MSP", "HAD", "EMSP", "USP", "LISP")]
    assert before == [opening] and after == [other]
    assert drawn_before == drawn_after == 360, "one commune geometry, restyled"


CANVAS_PIXEL = """
((lat, lon) => {
  const layer = coveragePage.communeLayer, renderer = layer.getLayers()[0].options.renderer;
  const point = coveragePage.map.latLngToLayerPoint([lat, lon]).subtract(renderer._bounds.min);
  const pixel = renderer._ctx.getImageData(Math.round(point.x), Math.round(point.y), 1, 1).data;
  return [...pixel];
})(%s, %s)
"""


def test_the_region_map_paints_each_commune_in_the_class_of_its_minutes(run: Path, tmp_path: Path, default_config):
    """Read on the page's canvas, pixel by pixel: the colour at the middle of a commune (its largest inscribed circle,
    wide enough on screen) is the class of its minutes in ``access_commune.csv``, classed here from the config's
    thresholds, for the service shown at opening and for another one picked (within 2 of 255 on each channel: the
    canvas keeps colours premultiplied by their opacity)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from coverage.outputs._classes import MINUTE_COLORS, UNREACHED_COLOR

    access = pd.read_csv(run / "data/processed/access_commune.csv", dtype={"commune": str}).set_index("commune")
    shapes = gpd.read_file(run / "data/processed/communes.gpkg", layer="communes").set_index("code")
    shapes = shapes.loc[access.index].to_crs(2154)
    circles = shapely.maximum_inscribed_circle(shapes.geometry.to_numpy())
    middle = gpd.GeoSeries(shapely.get_point(circles, 0), index=shapes.index, crs=2154).to_crs(4326)
    radius_m = shapely.length(circles)
    settings = default_config["access"]
    bounds = [*settings["thresholds_min"], 120, settings["horizon_min"]]  # 60 doubled while below the horizon

    def expected(minutes: float) -> str:
        if not np.isfinite(minutes):
            return UNREACHED_COLOR
        return MINUTE_COLORS[int(np.searchsorted(bounds, minutes, side="left"))]

    with Browser(tmp_path / "profile") as browser:
        browser.call("Emulation.setDeviceMetricsOverride", width=1366, height=768, deviceScaleFactor=1, mobile=False)
        browser.open((run / "maps/corse.html").as_uri())
        metres_per_pixel = 156543.03 * np.cos(np.radians(42.1)) / 2 ** browser.evaluate("coveragePage.map.getZoom()")
        wide = radius_m / metres_per_pixel >= 4
        checked = {}
        for service in (settings["map_service"], "HAD"):
            pick(browser, f"Minutes jusqu'au site {service} le plus proche")
            browser.call("Runtime.evaluate", awaitPromise=True,
                         expression="new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
            for code in access.index[wide][::5]:
                checked[service, code] = browser.evaluate(CANVAS_PIXEL % (middle[code].y, middle[code].x))
        assert browser.script_errors() == []
    assert wide.sum() > 100 and len(checked) > 40
    for (service, code), (*painted, alpha) in checked.items():
        colour = expected(access.loc[code, f"{service.lower()}_minutes"])
        assert abs(alpha - 0.7 * 255) <= 1, (service, code)  # the fill's opacity; rounding of the canvas's alpha
        assert np.abs(np.array(painted) - [int(colour[i : i + 2], 16) for i in (1, 3, 5)]).max() <= 2, (service, code)


def test_the_need_theme_ranks_the_departements_whose_deaths_are_given(national, tmp_path: Path):
    """The « besoin » theme's indicators: the ranking holds the départements the deaths file gives; Mayotte, which
    it does not give, reads « non disponible », and the legend says why."""
    page, table = national
    known = table.loc[table["usp_per_1000_deaths"] != "", "departement"]
    with Browser(tmp_path / "profile") as browser:
        opened(browser, page, 1366, 768)
        groups = browser.evaluate("[...document.querySelectorAll('#coverage-indicator optgroup')].map(g => g.label)")
        pick(browser, "usp_per_1000_deaths")
        bars = ranking(browser)
        mayotte = browser.evaluate("coverageExplorer.indicators['usp_per_1000_deaths']"
                                   ".texts[coverageExplorer.find('976')]")  # fmt: skip
        legend = browser.evaluate("document.querySelector('.coverage-legend').innerText")
        assert browser.script_errors() == []
    assert "Offre rapportée aux décès (besoin)" in groups and len(known) == 100
    assert sorted(code for code, _ in bars) == sorted(known)
    assert mayotte == "non disponible" and "non disponible (la source des décès ne donne pas ce département)" in legend
