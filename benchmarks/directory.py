"""Directory at the size of France: the workflow's ``directory`` job on all 34,875 communes, then the page in Chromium.

The job runs as the workflow runs it (``python -m coverage directory``, under ``prlimit --as`` and
``/usr/bin/time -v``) on every commune of the run's ``communes.gpkg`` with the national facilities, the
drive times of a finished run's ``nearest_sites.csv`` where it has them (Corsica) and the straight-line
neighbours elsewhere: wall time (s), peak resident memory (MB) and page size (MB).

In headless Chromium (offline, over the DevTools protocol): time until the page's scripts have run, then for
names and postcodes typed one key at a time, the time between the last key and the results shown, measured
in the page (``performance.now``), beside the search alone repeated (``matches``).

Prints one JSON document.

``--smoke``: the communes of Corsica only (the tests run it so).

Usage: python benchmarks/directory.py --run . [--cap-gb 4] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import Browser  # noqa: E402 (the tests' DevTools driver)

from coverage.pipeline.cli import arguments_of  # noqa: E402
from coverage.tables import write_csv  # noqa: E402

QUERIES = ("saint-etienne", "bastia", "20250", "paris", "plou")
SETTINGS = {"directions": {"MSP": "to_site", "HAD": "from_site", "EMSP": "from_site", "USP": "to_site",
                           "LISP": "to_site"}, "horizon_min": 240}  # fmt: skip
TIMED_SEARCH = """(() => { const t = performance.now(); for (let i = 0; i < 20; i++) matches(%s);
  return (performance.now() - t) / 20; })()"""


def measured(command: list[str], cap_gb: float) -> dict:
    """Wall time and peak memory of a command under an address-space cap."""
    capped = ["prlimit", f"--as={int(cap_gb * 2**30)}", "/usr/bin/time", "-v", *command]
    started = time.perf_counter()
    result = subprocess.run(capped, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return {"wall_s": round(time.perf_counter() - started, 2), "peak_mb": round(peak_kb / 1024)}


def national_access(run: Path, out: Path, smoke: bool = False) -> Path:
    """Every commune of the run's communes table (with ``smoke``, Corsica's) in the shape of access_commune.csv
    (its point, its sources)."""
    communes = gpd.read_file(run / "data/processed/communes.gpkg", ignore_geometry=True)
    communes = communes[communes["departement"].isin(["2A", "2B"])] if smoke else communes
    table = communes.rename(columns={"code": "commune"})[["commune", "nom", "departement", "population", "lon", "lat"]]
    write_csv(table.assign(sources="benchmark: every commune, straight-line neighbours outside the run"), out)
    return out


def in_chromium(page: Path, profile: Path) -> dict:
    """Load time and, per query typed, the time from the last key to the results, and the search alone (ms)."""
    with Browser(profile) as browser:
        started = time.perf_counter()
        browser.open(page.as_uri())
        loaded = time.perf_counter() - started
        browser.evaluate("document.getElementById('recherche').addEventListener('input', () => "
                         "{ window.lastKey = performance.now(); }, true)")  # fmt: skip
        queries = {}
        for query in QUERIES:
            browser.evaluate(
                "document.getElementById('recherche').value = ''; document.getElementById('recherche').focus()"
            )
            browser.type(query)
            shown = browser.evaluate("performance.now() - window.lastKey")
            suggestions = browser.evaluate("document.querySelectorAll('#suggestions li').length")
            search = browser.evaluate(TIMED_SEARCH % json.dumps(query))
            queries[query] = {"suggestions": suggestions, "last_key_to_shown_ms_at_most": round(shown, 1),
                              "search_ms": round(search, 2)}  # fmt: skip
    return {"load_s": round(loaded, 2), "queries": queries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a finished run (its communes, facilities, times)")
    parser.add_argument("--cap-gb", type=float, default=4.0)
    parser.add_argument("--smoke", action="store_true", help="Corsica's communes only: seconds")
    arguments = parser.parse_args()
    run = arguments.run.resolve()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        access = national_access(run, work / "access_commune.csv", arguments.smoke)
        page = work / "annuaire-france.html"
        command = [sys.executable, "-m", "coverage", *arguments_of("directory", {
            "access": access, "nearest": run / "data/processed/nearest_sites.csv",
            "facilities": run / "data/processed/facilities.csv", "population": run / "data/raw/population.json",
            "label": "France", "maps": {}, "settings": SETTINGS, "sites_per_service": 3,
            "drive_time_min": 30, "page": page,
        })]  # fmt: skip
        job = measured(command, arguments.cap_gb) | {"page_mb": round(page.stat().st_size / 2**20, 2)}
        chromium = in_chromium(page, work / "profile")
        communes = len(pd.read_csv(access, usecols=["commune"]))
    print(json.dumps({"communes": communes, "cap_gb": arguments.cap_gb, "job": job, "chromium": chromium}, indent=2))


if __name__ == "__main__":
    main()
