"""The national map in headless Chromium, side by side with the page it replaced and a blank page, in one run.

For each page, opened at 1366 x 768 from the disk, alternately, ``--repeat`` times, with every request to the internet
refused at once (the old page asked for its background tiles at opening; offline, they would fail only after the DNS
timeout, which is not the page's cost):
- ``open_s``: from the navigation to the first frame drawn after the page's load event, with the main thread free
  again (two animation frames): the time until France is drawn and the page answers;
- ``beyond_blank_s``: the median of that, minus a blank page's median (Chromium's own cost);
- ``weight_mb``: the file's size;
- ``switch_ms``: choosing each indicator in turn until the next frame is drawn (two animation frames, about 33 ms at
  60 Hz, are part of it), each indicator's median over the rounds, then the median and slowest of those. The old
  page's indicators were radio buttons of its layer control, clicked here; the new page's are its picker's choices.

The old page is built with the national map of ``--baseline-commit`` (the last commit before the picker) from the
run's tables, in a git worktree; a clone without that commit reports it unavailable and measures the rest.

Usage: python benchmarks/maps.py --run . [--baseline-commit 223eee8] [--repeat 7] [--smoke]
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from browser import Browser  # noqa: E402  (the tests' DevTools driver)

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


def old_page(run: Path, commit: str, work: Path) -> Path | str:
    """The national map of ``commit`` built from the run's tables; a reason when the clone cannot build it."""
    tree = work / "baseline"
    added = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
                           capture_output=True, text=True)  # fmt: skip
    if added.returncode != 0:
        return f"unavailable: {added.stderr.strip()}"
    try:
        page = work / "old-index.html"
        command = [sys.executable, "-c", OLD_PAGE, str(run), str(page), str(ROOT / "workflow/config/config.yaml")]
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


def measure(pages: dict[str, Path], repeat: int, work: Path) -> dict:
    """Open times, weights and switch times of ``pages`` (``blank`` among them), measured alternately."""
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
        switches = {
            name: [
                statistics.median(times)
                for times in zip(*(switch_times(browser, page, SWITCH_NEW if name == "new" else SWITCH_OLD)
                                   for _ in range(max(repeat, 3))), strict=True)
            ]
            for name, page in pages.items()
            if name != "blank"
        }  # fmt: skip
        errors = browser.script_errors()
    blank = statistics.median(times["blank"])
    figures = {}
    for name, page in pages.items():
        median = statistics.median(times[name])
        figures[name] = {"open_s": round(median, 3), "open_runs_s": [round(t, 3) for t in times[name]],
                         "beyond_blank_s": round(median - blank, 3),
                         "weight_mb": round(page.stat().st_size / 1e6, 2)}  # fmt: skip
        if name in switches:
            figures[name]["switch_ms"] = {"indicators": len(switches[name]),
                                          "median": round(statistics.median(switches[name]), 1),
                                          "slowest": round(max(switches[name]), 1)}  # fmt: skip
    return figures | {"script_errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="a finished run (maps/index.html and its tables)")
    parser.add_argument("--baseline-commit", default="223eee8", help="the commit whose national map is compared")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one opening of each page: seconds")
    arguments = parser.parse_args()
    run = arguments.run.resolve()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        blank = work / "blank.html"
        blank.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body></body></html>")
        pages = {"blank": blank, "new": run / "maps/index.html"}
        old = old_page(run, arguments.baseline_commit, work)
        if isinstance(old, Path):
            pages["old"] = old
        figures = measure(pages, 1 if arguments.smoke else arguments.repeat, work)
    figures["baseline"] = arguments.baseline_commit if isinstance(old, Path) else old
    new = figures["new"]
    figures["goals"] = {
        "beyond_blank_at_most_0.5_s": new["beyond_blank_s"] <= 0.5,
        "weight_at_most_4_mb": new["weight_mb"] <= 4,
        "switch_at_most_200_ms": new["switch_ms"]["slowest"] <= 200,
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
