"""Shared fixtures: a tiny two-département world written by the tests, and paths to the real data."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from shapely.geometry import box

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared" / "data").resolve()
SAE = SHARED / "facilities" / "sae-2023"
SAE_2021 = SHARED / "facilities" / "sae-2021"
DOCS = ROOT / "docs"
EXAMPLE = re.compile(r"<!-- example -->\n```python\n(.*?)\n```", re.S)
"""A page's example, run as written by the tests: a Python block marked ``<!-- example -->``."""


def examples(page: str) -> list[str]:
    """The examples of a documentation page (its path under docs/), in the page's order."""
    return EXAMPLE.findall((DOCS / page).read_text(encoding="utf-8"))

ID_HEADER = ["bor", "an", "fi", "rs", "dep", "COMINSEE", "NUMVOI", "TYPVOI", "NOMVOI", "CPO", "LIBCOM"]
PALIA_HEADER = [
    "BOR", "FI", "PALIA_A1", "PALIA_A2", "PALIA_A3", "PALIA_A4", "PALIA_A6", "PALIA_A7", "PALIA_A8",
    "PALIA_A10", "EMSP_ETPSAL_PM", "EMSP_ETPSAL_IDE",
]  # fmt: skip
HAD_HEADER = ["BOR", "FI", "RS", "PLATOT"]
FINESS_HEADER = [
    "nofinesset", "rs", "categetab", "adresse", "codepostal", "commune", "telephone", "maj", "latitude", "longitude",
]  # fmt: skip


def write_sae_file(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """Write an SAE-like file: ``;``-separated, Latin-1, CRLF line ends."""
    lines = [";".join(header)] + [";".join(row) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


@pytest.fixture
def tiny_sae(tmp_path: Path) -> Path:
    """A tiny SAE 2023 edition: one hospital with USP+LISP+EMSP, one LISP absent from FINESS, one HAD."""
    folder = tmp_path / "sae"
    write_sae_file(
        folder / "ID_2023r.csv",
        ID_HEADER,
        [
            ["ID", "2023", "2A0000001", "CH ÉTOILE", "2A", "2A004", "1", "AV", "DE LA MER", "20000", "AJACCIO"],
            ["ID", "2023", "2B0000002", "CH DU CAP", "2B", "2B999", "", "", "", "", ""],
            ["ID", "2023", "2A0000003", "CLINIQUE SANS SOINS", "2A", "2A004", "", "", "", "", ""],
            ["ID", "2023", "2A0000004", "HAD DU SUD", "2A", "2A041", "", "", "", "", ""],
            ["ID", "2023", "2A0000005", "EHPAD", "2A", "2A041", "", "", "", "", ""],
        ],
    )
    write_sae_file(
        folder / "PALIA_2023r.csv",
        PALIA_HEADER,
        [
            ["PALIA", "2A0000001", "1", "3", "2", "1", "1", "1", "10", "1", "1.5", "2"],
            ["PALIA", "2B0000002", "1", "4", "", "", "0", "", "", "0", "", ""],
            ["PALIA", "2A0000003", "0", "", "", "", "0", "", "", "0", "", ""],
        ],
    )
    write_sae_file(
        folder / "HAD_2023r.csv",
        HAD_HEADER,
        [["HAD", "2A0000004", "HAD DU SUD", "12"], ["HAD", "2A0000003", "CLINIQUE SANS SOINS", "0"]],
    )
    return folder


@pytest.fixture
def tiny_finess(tmp_path: Path) -> Path:
    """A tiny FINESS table: two SAE hospitals, two MSP (category 603) and one other establishment."""
    rows = [
        [
            "2A0000001",
            "CH ETOILE",
            "355",
            "1 AV DE LA MER",
            "20000",
            "AJACCIO",
            "0495000000",
            "2020-12-01",
            "41.5",
            "8.5",
        ],
        ["2A0000004", "HAD DU SUD", "127", "", "20100", "SARTENE", "", "2020-11-01", "41.2", "8.8"],
        [
            "2A0000010",
            "MSP DU SUD",
            "603",
            "2 R DU PORT",
            "20100",
            "SARTENE",
            "0495111111",
            "2021-01-05",
            "41.3",
            "8.7",
        ],
        ["2B0000011", "MSP DU CAP", "603", "", "20200", "BASTIA", "", "2019-05-05", "42.5", "9.5"],
        ["2A0000012", "PHARMACIE", "620", "", "20000", "AJACCIO", "", "2018-01-01", "41.6", "8.6"],
    ]
    path = tmp_path / "finess.csv"
    path.write_text("\n".join([",".join(FINESS_HEADER)] + [",".join(r) for r in rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def finess_copy_lacking_columns(tmp_path: Path, monkeypatch) -> str:
    """A working copy ``data/raw/finess.csv`` (in the current folder, ``tmp_path``) without the FINESS columns,
    mapped by ``COVERAGE_ORIGINS`` to the planner's ``/ars/finess-2025.csv``; the start of its report."""
    copy = tmp_path / "data/raw/finess.csv"
    copy.parent.mkdir(parents=True)
    copy.write_text("nofinesset,rs\n2A0000001,X\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COVERAGE_ORIGINS", json.dumps({"data/raw/finess.csv": "/ars/finess-2025.csv"}))
    return "coverage: bad input in /ars/finess-2025.csv (read from its copy data/raw/finess.csv)"


@pytest.fixture
def tiny_departements() -> gpd.GeoDataFrame:
    """Two square départements: 2A (lon 8-9, lat 41-42) and 2B (lon 9-10, lat 42-43)."""
    return gpd.GeoDataFrame(
        {"code": ["2A", "2B"], "nom": ["Corse-du-Sud", "Haute-Corse"]},
        geometry=[box(8, 41, 9, 42), box(9, 42, 10, 43)],
        crs="EPSG:4326",
    )


@pytest.fixture
def tiny_communes() -> gpd.GeoDataFrame:
    """Three communes; 2B033 absorbed the former commune 2B999."""
    frame = pd.DataFrame(
        {
            "code": ["2A004", "2A041", "2B033"],
            "nom": ["Ajaccio", "Bonifacio", "Bastia"],
            "departement": ["2A", "2A", "2B"],
            "population": [1000, 500, 2000],
            "former_codes": ["", "", "2B999"],
        }
    )
    geometry = [box(8, 41.5, 9, 42), box(8, 41, 9, 41.5), box(9, 42, 10, 43)]
    communes = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    points = communes.geometry.representative_point()
    return communes.assign(lon=points.x, lat=points.y)


@pytest.fixture(scope="session")
def default_config() -> dict:
    """The pipeline's default configuration."""
    from coverage.pipeline.configuration import read_config

    return read_config(ROOT / "workflow/config/config.yaml")


@pytest.fixture(scope="session")
def speed_model(default_config):
    """The shipped speed model (``calibrated``: what a run without reference times drives at)."""
    from coverage.core.speed_model import speed_models

    return speed_models(default_config["speeds"])[0]


@pytest.fixture(scope="session")
def corsica(speed_model, default_config):
    """The Corsica road network with the default speeds: (arrays, osmnx graph with the same ``travel_time``)."""
    import osmnx as ox

    from coverage.core.readers import to_arrays

    graph = ox.load_graphml(SHARED / "roads" / "corse-drive.graphml")
    converter = default_config["networks"]["sources"][0]["converter_default_maxspeeds"]
    network = to_arrays(graph, "EPSG:2154", converter_defaults_kph=converter).with_times(speed_model)
    for (_, _, data), seconds in zip(graph.edges(data=True), network.travel_time_s.tolist(), strict=True):
        data["travel_time"] = seconds
    return network, graph


@pytest.fixture(scope="session")
def run_corsica(run, corsica, default_config):
    """The Corsica road network at the speeds the default run drove at (the model it fitted on Haute-Corse):
    (arrays, osmnx graph with the same ``travel_time``)."""
    from coverage.core.speed_model import speed_models
    from coverage.pipeline.configuration import adopt_fitted

    fitted = run / "data/processed/calibration/speeds_fitted.yaml"
    model = speed_models(adopt_fitted(default_config["speeds"], [fitted]))[0]
    network, graph = corsica
    network, graph = network.with_times(model), graph.copy()
    for (_, _, data), seconds in zip(graph.edges(data=True), network.travel_time_s.tolist(), strict=True):
        data["travel_time"] = seconds
    return network, graph


def snakemake(
    directory: Path, config: dict, *targets: str, config_name: str = "config.yaml", cores: int = 2, wait: bool = True,
    python: Path = Path(sys.executable),
) -> subprocess.CompletedProcess | subprocess.Popen:
    """Run the workflow in ``directory`` with a config file (``config_name``) holding only ``config``, by the Snakemake
    of ``python``'s venv; with ``wait=False``, the process started (its output read with ``communicate``)."""
    directory.mkdir(parents=True, exist_ok=True)
    configfile = directory / config_name
    configfile.write_text(yaml.safe_dump(config), encoding="utf-8")
    # Without the venvs on PATH, as a user running .venv/bin/snakemake would: the rules must find their Python.
    venvs = {Path(sys.executable).parent, python.parent}
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p and Path(p) not in venvs)
    environment = {**os.environ, "PATH": path}
    command = [
        str(python), "-m", "snakemake", *targets, "--snakefile", str(ROOT / "Snakefile"), "--cores", str(cores),
        "--directory", str(directory), "--configfile", str(configfile),
    ]  # fmt: skip
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
                                cwd=directory)  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=directory)


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name`` that ``build`` fills once for the whole test run: under pytest-xdist, the first worker to
    ask builds it in the folder the workers share while the others wait on its lock."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    folder, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            build(folder)
            done.touch()
    return folder


def fresh_venv(folder: Path, *requirements: str, compiled: bool = True, by_uv: bool = False) -> Path:
    """A venv in ``folder`` (outside the repository) with ``requirements`` installed from the package registries by
    pip, as a researcher's; its Python. Not ``compiled``: a venv whose Python runs a script or two (where
    PYTHONDONTWRITEBYTECODE is set, each compiles what it imports) saves pip compiling every module of scipy and
    pandas, half the install's time. ``by_uv``: installed by the uv of ``make install`` (10 s where pip takes 40),
    for a venv whose installer is not what its tests check."""
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    if by_uv:
        command = [str(Path(sys.executable).parent / "uv"), "pip", "install", "--quiet", "--python", str(python),
                   *(["--compile-bytecode"] if compiled else []), *requirements]  # fmt: skip
    else:
        command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                   *([] if compiled else ["--no-compile"]), *requirements]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return python


def build_wheel(folder: Path) -> None:
    """The package's wheel, built from a copy of what it is made of (the repository gets no build/ folder)."""
    source = folder / "source"
    for part in ("pyproject.toml", "README.md"):
        source.mkdir(parents=True, exist_ok=True)
        (source / part).write_bytes((ROOT / part).read_bytes())
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps", "-w",
               str(folder), str(source)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The package's wheel (``pip wheel``), built once."""
    return next(built_once(tmp_path_factory, "wheel", build_wheel).glob("*.whl"))


@pytest.fixture(scope="session")
def pipeline_python(tmp_path_factory, wheel: Path) -> Path:
    """The Python of a fresh venv holding the wheel with its ``pipeline`` extra, at the pins of requirements.lock (the
    versions the other tests compute with): the package as ``pip install palliative-coverage[pipeline]`` installs it,
    without the repository's sources. Installed by uv: every run-reading test waits for this venv, and pip's own
    install of the wheel is tested in tests/test_wheel.py."""
    lock = str(ROOT / "requirements.lock")
    folder = built_once(tmp_path_factory, "pipeline-venv",
                        lambda f: fresh_venv(f, f"{wheel}[pipeline]", "-c", lock, by_uv=True))  # fmt: skip
    return folder / "bin" / "python"


@pytest.fixture(scope="session")
def run(tmp_path_factory, pipeline_python: Path) -> Path:
    """A complete run in a fresh folder, with a config file that sets only ``sources.sae`` (two editions), through
    the workflow's local profile (jobs packed by their declared memory), by the Snakemake of the installed wheel
    (``pipeline_python``).

    Built once for the whole test run (:func:`built_once`). Tests read it; a test that changes a run changes a
    copy."""

    def build(directory: Path) -> None:
        profile = str(ROOT / "workflow" / "profiles" / "local")
        result = snakemake(directory, {"sources": {"sae": [str(SAE_2021), str(SAE)]}}, "--workflow-profile", profile,
                           python=pipeline_python)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]

    return built_once(tmp_path_factory, "run", build)


RUN_FOLDERS = ["data", "maps", "reports", "logs", ".snakemake"]


def copy_of_run(run: Path, folder: Path) -> Path:
    """The finished default run copied into ``folder``, with Snakemake's records of it (times kept): a planner
    rerunning there with another config gets only what the change asks for computed again."""
    for name in RUN_FOLDERS:
        if (run / name).exists():
            shutil.copytree(run / name, folder / name, symlinks=True)
    return folder


# The longest files first, so that neither core is left with one at the end.
LONGEST_FILES = ("test_slurm.py", "test_options.py", "test_benchmarks.py", "test_pipeline.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the tests by file length (the longest first), each file's tests in their own order."""
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def write_pbf(network, path: Path, box_lonlat: tuple[float, float, float, float] | None = None, nodes=None) -> Path:
    """Write a network's roads as an OSM extract: one way per road (two-way when both directions exist,
    with ``maxspeed:forward``/``maxspeed:backward`` when their limits differ).

    ``box_lonlat`` (west, south, east, north) goes in the header, as osmium extract writes it;
    ``nodes`` (a boolean mask) keeps only some nodes while ways keep all their references, as an
    extract cut at its border does.
    """
    import numpy as np
    import osmium

    pairs: dict[tuple[int, int], list[int]] = {}
    for i, pair in enumerate(zip(network.source.tolist(), network.target.tolist(), strict=True)):
        pairs.setdefault(pair, []).append(i)
    header = osmium.io.Header()
    if box_lonlat is not None:
        header.add_box(osmium.osm.Box(osmium.osm.Location(*box_lonlat[:2]), osmium.osm.Location(*box_lonlat[2:])))
    kept = np.ones(network.n_nodes, dtype=bool) if nodes is None else nodes
    with osmium.SimpleWriter(str(path), header=header) as writer:
        for i in np.argsort(network.node_id):
            if kept[i]:
                location = osmium.osm.Location(float(network.lon[i]), float(network.lat[i]))
                writer.add_node(osmium.osm.mutable.Node(id=int(network.node_id[i]), location=location))
        used: set[int] = set()
        for i, (u, v) in enumerate(zip(network.source.tolist(), network.target.tolist(), strict=True)):
            if i in used or u == v:
                continue
            used.add(i)
            back = [j for j in pairs.get((v, u), []) if j not in used and network.highway[j] == network.highway[i]]
            tags = {"highway": str(network.highway[i])}
            speeds = {"forward": network.maxspeed_kph[i], "backward": network.maxspeed_kph[back[0]] if back else np.nan}
            if back:
                used.add(back[0])
            else:
                tags["oneway"] = "yes"
            if np.isfinite(speeds["forward"]) and (not back or speeds["forward"] == speeds["backward"]):
                tags["maxspeed"] = f"{speeds['forward']:g}"
            elif back:
                tags.update({f"maxspeed:{way}": f"{kph:g}" for way, kph in speeds.items() if np.isfinite(kph)})
            nodes_of_way = [int(network.node_id[u]), int(network.node_id[v])]
            writer.add_way(osmium.osm.mutable.Way(id=len(used), nodes=nodes_of_way, tags=tags))
    return path


OVERPASS_STATUS = (
    "Connected as: 1\nCurrent time: 2026-11-22T00:00:00Z\nAnnounced endpoint: none\nRate limit: 2\n"
    "2 slots available now.\nCurrently running queries (pid, space limit, time limit, start time):\n"
)


def overpass_elements(network) -> list[dict]:
    """A network's nodes and roads as the elements of an Overpass JSON answer (one way per directed edge)."""
    nodes = [{"type": "node", "id": int(i), "lat": float(lat), "lon": float(lon)}
             for i, lon, lat in zip(network.node_id, network.lon, network.lat, strict=True)]  # fmt: skip
    ways = [
        {"type": "way", "id": k + 1, "nodes": [int(network.node_id[u]), int(network.node_id[v])],
         "tags": {"highway": str(h), "oneway": "yes"}}
        for k, (u, v, h) in enumerate(zip(network.source, network.target, network.highway, strict=True)) if u != v
    ]  # fmt: skip
    return nodes + ways


@pytest.fixture
def overpass():
    """A local Overpass stand-in on 127.0.0.1: ``serve(elements)`` answers every query with them; gives its URL.

    It answers ``/status`` as Overpass does (slots available) and records the queries it got.
    """
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = {"elements": [], "queries": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self._answer(OVERPASS_STATUS.encode(), "text/plain")

        def do_POST(self):  # noqa: N802
            state["queries"].append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self._answer(json.dumps({"version": 0.6, "elements": state["elements"]}).encode(), "application/json")

        def _answer(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(elements: list[dict]) -> str:
        state["elements"] = elements
        return f"http://127.0.0.1:{server.server_port}/api"

    serve.queries = state["queries"]
    yield serve
    server.shutdown()
