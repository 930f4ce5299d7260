"""The national map and a région map in headless Chromium, each beside the page it replaced, and a blank page, in one
run.

For each page, opened at 1366 x 768 from the disk, alternately, ``--repeat`` times, with every request to the internet
refused at once (the old pages asked for their background tiles at opening; offline, they would fail only after the
DNS timeout, which is not the page's cost):
- ``open_s``: from the navigation to the first frame drawn after the page's load event, with the main thread free
  again (two animation frames): the time until the map is drawn and the page answers;
- ``beyond_blank_s``: the median of that, minus a blank page's median (Chromium's own cost);
- ``weight_mb``: the file's size;
- ``switch_ms``: choosing each indicator in turn until the next frame is drawn (two animation frames, about 33 ms at
  60 Hz, are part of it), each indicator's median over the rounds, then the median and slowest of those. The old
  national page's indicators were radio buttons of its layer control, clicked here; the other pages' are their
  picker's choices.

The old pages are built from the run's tables by the code of a former commit, in a git worktree: the national map of
``--baseline-commit`` (the last commit before its picker), the région map of ``--region-baseline-commit`` (the last
commit before the page both maps share); a clone without a commit reports that page unavailable and measures the rest.
The région is the run's (``--region``: one of them, by its file name).

Usage: python benchmarks/maps.py --run . [--region corse] [--baseline-commit 223eee8]
           [--region-baseline-commit 077266f] [--repeat 7] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from browser import Browser  # noqa: E402  (the tests' DevTools driver)

from coverage.pipeline.configuration import read_config  # noqa: E402

SIZE = (1366, 768)
FRAMES = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
OLD_PAGE = """
import sys, yaml
from pathlib import Path
from coverage.pipeline import steps
run, page, config = Path(sys.argv[1]), Path(sys.argv[2]), yaml.safe_load(open(sys.argv[3], encoding="utf-8"))
processed = run / "data/processed"
steps.html_map(
    indicators=processed / "indicators_departement.csv", facilities=processed / "facilities.csv",
    departements=run / "data/raw/departements.geojson", change=[processed / "change_departement.csv"],
    layers=config["maps"]["indicators"], gaps=config["gaps"], editions=config["editions"], areas={"corse": "Corse"},
    change_layers=config["changes"]["maps"], page=page,
)
"""
OLD_REGION_PAGE = """
import sys, yaml
from pathlib import Path
import pandas as pd
from coverage.pipeline import steps
run, region, page, config = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), yaml.safe_load(open(sys.argv[4]))
tables = run / "data/processed/regions" / region
codes = sorted(pd.read_csv(tables / "access_commune.csv", dtype=str)["departement"].unique())
services = [s.lower() for s in config["siting"]["services"]]
steps.area_map(
    access=tables / "access_commune.csv", isochrones=tables / "isochrones.gpkg", sites=tables / "access_sites.csv",
    facilities=run / "data/processed/facilities.csv", communes=run / "data/processed/communes.gpkg",
    departements=run / "data/raw/departements.geojson",
    siting=[tables / f"siting_{s}{suffix}.csv" for s in services for suffix in ("", "_communes")], codes=codes,
    label=region, map_service=config["access"]["map_service"], thresholds=config["access"]["thresholds_min"],
    horizon_min=config["access"]["horizon_min"], editions={**config["editions"], "networks": [], "origins": []},
    page=page,
)
"""
SWITCH_NEW = """(async () => {
  const picker = document.getElementById('coverage-indicator'), times = [];
  for (const option of [...picker.options].reverse()) {
    const start = performance.now();
    picker.value = option.value; picker.dispatchEvent(new Event('change'));
    await %s; times.push(performance.now() - start);
  }
  return times;
})()""" % FRAMES
SWITCH_OLD = """(async () => {
  const inputs = [...document.querySelectorAll('.leaflet-control-layers-base input')], times = [];
  for (const input of inputs.reverse()) {
    const start = performance.now();
    input.click();
    await %s; times.push(performance.now() - start);
  }
  return times;
})()""" % FRAMES


def old_page(commit: str, work: Path, script: str, arguments: list[str], name: str) -> Path | str:
    """A page built by ``script`` (with ``arguments``) with the code of ``commit``, in a git worktree; a reason when
    the clone cannot build it."""
    tree = work / f"baseline-{commit}"
    added = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
                           capture_output=True, text=True)  # fmt: skip
    if added.returncode != 0:
        return f"unavailable: {added.stderr.strip()}"
    try:
        page, config = work / name, work / "resolved-config.yaml"  # the titles and models the config names, written out
        config.write_text(yaml.safe_dump(read_config(ROOT / "workflow/config/config.yaml")), encoding="utf-8")
        command = [sys.executable, "-c", script, *arguments, str(config)]
        subprocess.run(command, check=True, env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"})
        return page
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)


def wait_for(browser: Browser, event: str, since: int, timeout_s: float = 120) -> None:
    """Wait for ``event`` among the DevTools messages after the ``since``-th event kept (all are kept, for the
    script errors)."""
    deadline = time.monotonic() + timeout_s
    while not any(message["method"] == event for message in browser.events[since:]):
        assert time.monotonic() < deadline, f"no {event}"
        message = json.loads(browser.socket.recv())
        if "method" in message:
            browser.events.append(message)


def open_time(browser: Browser, page: Path) -> float:
    """Seconds from navigating to ``page`` to its first frame after load, the main thread free again."""
    mark = len(browser.events)
    browser.call("Page.navigate", url="about:blank")
    wait_for(browser, "Page.loadEventFired", mark)
    mark = len(browser.events)
    start = time.perf_counter()
    browser.call("Page.navigate", url=page.as_uri())
    wait_for(browser, "Page.loadEventFired", mark)
    browser.call("Runtime.evaluate", expression=FRAMES, awaitPromise=True)
    return time.perf_counter() - start


def switch_times(browser: Browser, page: Path, script: str) -> list[float]:
    """Milliseconds of each indicator switch (the page freshly opened)."""
    open_time(browser, page)
    result = browser.call("Runtime.evaluate", expression=script, awaitPromise=True, returnByValue=True)
    return result["result"]["value"]


def measure(pages: dict[str, Path], switches: dict[str, str], repeat: int, work: Path) -> dict:
    """Open times, weights and switch times (``switches``: page name -> the script that picks each indicator) of
    ``pages`` (``blank`` among them), measured alternately."""
    times: dict[str, list[float]] = {name: [] for name in pages}
    with Browser(work / "profile") as browser:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable")
        browser.call("Network.setBlockedURLs", urls=["http://*", "https://*"])  # tiles fail at once, not on a timeout
        browser.call("Emulation.setDeviceMetricsOverride", width=SIZE[0], height=SIZE[1], deviceScaleFactor=1,
                     mobile=False)  # fmt: skip
        for name, page in pages.items():  # warm the disk cache and Chromium once
            open_time(browser, page)
        for _ in range(repeat):
            for name, page in pages.items():
                times[name].append(open_time(browser, page))
        picked = {
            name: [statistics.median(times) for times in zip(*(switch_times(browser, pages[name], script)
                                                               for _ in range(max(repeat, 3))), strict=True)]
            for name, script in switches.items()
        }  # fmt: skip
        errors = browser.script_errors()
    blank = statistics.median(times["blank"])
    figures = {}
    for name, page in pages.items():
        median = statistics.median(times[name])
        figures[name] = {"open_s": round(median, 3), "open_runs_s": [round(t, 3) for t in times[name]],
                         "beyond_blank_s": round(median - blank, 3),
                         "weight_mb": round(page.stat().st_size / 1e6, 2)}  # fmt: skip
        if name in picked:
            figures[name]["switch_ms"] = {"indicators": len(picked[name]),
                                          "median": round(statistics.median(picked[name]), 1),
                                          "slowest": round(max(picked[name]), 1)}  # fmt: skip
    return figures | {"script_errors": errors}


def blank_page(work: Path) -> Path:
    """An empty page: what Chromium costs by itself."""
    blank = work / "blank.html"
    blank.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body></body></html>")
    return blank


def run_region(run: Path) -> str:
    """The file name (without ``.html``) of the run's first région map."""
    return sorted(p.stem for p in (run / "maps").glob("*.html") if p.stem != "index" and not p.stem.startswith(
        "annuaire-"))[0]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="a finished run (maps/index.html and its tables)")
    parser.add_argument("--region", help="the région map measured (its file name without .html; default: the first)")
    parser.add_argument("--baseline-commit", default="223eee8", help="the commit whose national map is compared")
    parser.add_argument("--region-baseline-commit", default="077266f", help="the commit whose région map is compared")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one opening of each page: seconds")
    arguments = parser.parse_args()
    run = arguments.run.resolve()
    region = arguments.region or run_region(run)
    config = str(ROOT / "workflow/config/config.yaml")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        pages = {"blank": blank_page(work), "national": run / "maps/index.html", "region": run / f"maps/{region}.html"}
        olds = {
            "national_old": old_page(arguments.baseline_commit, work, OLD_PAGE, [str(run), str(work / "old-index.html")],
                                     "old-index.html"),
            "region_old": old_page(arguments.region_baseline_commit, work, OLD_REGION_PAGE,
                                   [str(run), region, str(work / "old-region.html")], "old-region.html"),
        }  # fmt: skip
        pages.update({name: page for name, page in olds.items() if isinstance(page, Path)})
        switches = {name: SWITCH_OLD if name == "national_old" else SWITCH_NEW for name in pages if name != "blank"}
        measured = measure(pages, switches, 1 if arguments.smoke else arguments.repeat, work)
    figures = {"blank": measured["blank"], "script_errors": measured["script_errors"]}
    for page, commit in (("national", arguments.baseline_commit), ("region", arguments.region_baseline_commit)):
        old = olds[f"{page}_old"]
        figures[page] = {"new": measured[page], "old": measured.get(f"{page}_old"),
                         "baseline": commit if isinstance(old, Path) else old}  # fmt: skip
    figures["region"]["name"] = region
    national, area = figures["national"]["new"], figures["region"]["new"]
    figures["goals"] = {
        "national_beyond_blank_at_most_0.5_s": national["beyond_blank_s"] <= 0.5,
        "national_weight_at_most_4_mb": national["weight_mb"] <= 4,
        "region_beyond_blank_at_most_1_s": area["beyond_blank_s"] <= 1,
        "region_weight_at_most_5_mb": area["weight_mb"] <= 5,
        "switch_at_most_200_ms": max(national["switch_ms"]["slowest"], area["switch_ms"]["slowest"]) <= 200,
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
