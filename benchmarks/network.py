"""A planner's own OpenStreetMap extract at real size: the network and access jobs on Geofabrik-like extracts.

Generates synthetic extracts with what a Geofabrik ``.osm.pbf`` carries, over Corse-du-Sud (2A) plus
its buffer: roads (a grid of classes from residential to primary, some one-way, with a shape point
every few tens of metres and bends), and around them buildings (closed ways of 5 references),
landuse polygons and tagged POI nodes. About a quarter of the nodes are road nodes, as in real
extracts. Sizes: 1, 5 and 22 million nodes (``--sizes``); 22 million is a Lorraine. The objects are
formatted as OPL text, whole arrays at a time, and streamed into osmium-tool (``osmium cat``), which writes
the PBF.

For each size, runs as the workflow does (one ``python -m coverage`` process each, under
``prlimit --as``): ``prepare-network`` (the streaming read), ``network`` (the département's slice,
horizon pruning) and ``access``; and, at the smallest size, today's loader before this change
(osmium writes the extract as XML, osmnx parses it into a networkx graph) beside the new reader
alone. Prints one JSON document with wall time (s) and peak resident memory (MB) of each.

With ``--france``: the national run's first step at the size of France. A synthetic extract over the box of
metropolitan France (``--nodes``, default 400 million, Geofabrik-like as above: about 4 GB), cut by the
workflow's split (``split_extract``: the 101 départements of the boundaries, each plus ``networks.buffer_km``,
osmium-tool's ``complete_ways``) in one pass and, with ``--pieces-per-pass``, in passes of fewer pieces; wall
time and peak memory of each (``/usr/bin/time``); then prepare-network, network and access on the largest piece.
``--departements`` splits only those (e.g. 33, the largest piece: Gironde and its buffer); an extract left in
``--work`` by a former run, with its ``.json`` description, is reused.

``--smoke``: 200,000 nodes without the former loader, or with ``--france`` 400,000 nodes (the tests run both).

Usage: python benchmarks/network.py --run . [--sizes 1000000 5000000 22000000] [--cap-gb 4] [--smoke]
       python benchmarks/network.py --run . --france [--nodes 400000000] [--pieces-per-pass 26]
           [--departements 33 17 71] [--work DIR] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jobs import CONFIG, job_steps, measured  # noqa: E402  (the benchmarks' job arguments and process meter)

from coverage.france.sources.boundaries import load_departements  # noqa: E402
from coverage.pipeline.cli import arguments_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BOX = (7.9, 40.7, 10.2, 43.0)  # Corse-du-Sud and its 120 km buffer, over land and sea alike (lon, lat)
FRANCE = (-5.2, 41.3, 9.6, 51.1)  # metropolitan France, Corsica included (lon, lat)
BLOCK = 6  # lattice steps (shape points) between two junctions
ROAD_SHARE = 0.25  # share of the extract's nodes that are road nodes
EPOCH = np.datetime64("2008-01-01T00:00:00")
EDIT = 8  # objects per edit (one changeset, user, time): about 9 MB per million nodes, near Geofabrik's 7.5
CHUNK = 1_000_000  # objects formatted at once
FRANCE_SMOKE_NODES = 400_000  # the France split at smoke size: 101 pieces, in seconds


def line_class(index: np.ndarray) -> np.ndarray:
    """The OSM class of the grid line ``index``: one in ten primary, then secondary, tertiary, residential."""
    return np.select(
        [index % 10 == 0, index % 5 == 0, index % 2 == 0], ["primary", "secondary", "tertiary"], "residential"
    )


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """The decimal digits of non-negative integers as ASCII bytes, zero-padded: shape (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.uint64)
    return ((np.asarray(values, dtype=np.uint64)[:, None] // powers) % 10).astype(np.uint8) + ord("0")


def text(value: str, count: int) -> np.ndarray:
    """The same ASCII text on ``count`` lines: shape (count, len(value))."""
    return np.broadcast_to(np.frombuffer(value.encode("ascii"), dtype=np.uint8), (count, len(value)))


def coordinate(values: np.ndarray, prefix: str) -> np.ndarray:
    """OPL coordinates of fixed width, ``x-05.1234567`` or ``x005.1234567`` (osmium reads leading zeros)."""
    sign = np.where(values < 0, ord("-"), ord("0")).astype(np.uint8)[:, None]
    number = digits(np.round(np.abs(values) * 1e7), 9)
    return np.hstack([text(prefix, len(values)), sign, number[:, :2], text(".", len(values)), number[:, 2:]])


def metadata_table(rng: np.random.Generator, size: int = 65_536) -> np.ndarray:
    """Version, changeset, time and user of ``size`` edits, as fixed-width OPL (one row each)."""
    stamps = (EPOCH + rng.integers(0, 16 * 365 * 86400, size).astype("timedelta64[s]")).astype(str)
    rows = [f" v{v:02d} c{c:09d} t{t}Z i{u:07d} uuser{u:07d}"
            for v, c, t, u in zip(rng.integers(1, 12, size), rng.integers(1_000_000, 150_000_000, size), stamps,
                                  rng.integers(1, 2_000_000, size), strict=True)]  # fmt: skip
    return np.frombuffer("".join(rows).encode("ascii"), dtype=np.uint8).reshape(size, -1)


class OplWriter:
    """Objects streamed as OPL lines into ``osmium cat``, which writes the ``.osm.pbf``: whole arrays of lines at
    once (fixed-width numbers), so that France's 400 million nodes take minutes, not hours. Consecutive objects
    come in edits of ``EDIT`` objects by one user at one time, drawn from a table of edits, as in a real extract
    (they weigh in the file)."""

    def __init__(self, pbf: Path, rng: np.random.Generator):
        self.rng, self.edits = rng, metadata_table(rng)
        self.process = subprocess.Popen(["osmium", "cat", "-F", "opl", "-", "-o", str(pbf), "--overwrite"],
                                        stdin=subprocess.PIPE)  # fmt: skip

    def metadata(self, count: int) -> np.ndarray:
        return self.edits[np.repeat(self.rng.integers(0, len(self.edits), count // EDIT + 1), EDIT)[:count]]

    def nodes(self, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray, tags: str = "") -> None:
        count = len(ids)
        parts = [text("n", count), digits(ids, 10), self.metadata(count), *([text(tags, count)] if tags else []),
                 coordinate(lon, " x"), coordinate(lat, " y"), text("\n", count)]  # fmt: skip
        self.process.stdin.write(np.hstack(parts).tobytes())

    def ways(self, ids: np.ndarray, tags: str, references: np.ndarray) -> None:
        """Ways of as many node references each (``references``: shape (ways, nodes per way))."""
        count, width = references.shape
        refs = np.concatenate([text("n", count * width), digits(references.ravel(), 10), text(",", count * width)],
                              axis=1).reshape(count, -1)[:, :-1]  # fmt: skip
        parts = [text("w", count), digits(ids, 10), self.metadata(count), text(f" T{tags} N", count), refs,
                 text("\n", count)]  # fmt: skip
        self.process.stdin.write(np.hstack(parts).tobytes())

    def close(self) -> None:
        self.process.stdin.close()
        if self.process.wait() != 0:
            raise RuntimeError("osmium cat could not write the extract")


def write_extract(pbf: Path, box: tuple[float, float, float, float], nodes: int, seed: int = 0) -> dict:
    """Write a Geofabrik-like extract of about ``nodes`` nodes over ``box`` (lon, lat); returns what it holds.

    Roads are a lattice (a shape point every lattice unit, junctions every ``BLOCK`` units, classes from
    residential to primary, one residential line in seven one-way, limits on primary roads, ways of four
    blocks); buildings (closed ways of 5 references), landuse polygons (21) and tagged POI nodes make the
    rest, about three quarters of the nodes, as in real extracts.
    """
    rng = np.random.default_rng(seed)
    west, south, east, north = box
    metres_per_lon = 111_320 * np.cos(np.radians((south + north) / 2))
    width_m, height_m = (east - west) * metres_per_lon, (north - south) * 111_320
    # Road nodes ~ 2 x W x H / BLOCK lattice units: choose the unit that gives the road share asked for.
    unit = np.sqrt(2 * width_m * height_m / BLOCK / (ROAD_SHARE * nodes))
    columns, rows = int(width_m / unit) // BLOCK * BLOCK + 1, int(height_m / unit) // BLOCK * BLOCK + 1
    dlon, dlat = unit / metres_per_lon, unit / 111_320
    writer = OplWriter(pbf, rng)
    counts = {"road_nodes": 0, "other_nodes": 0, "road_ways": 0, "other_ways": 0}
    for row in range(rows):  # lattice nodes in id order: a whole row on horizontal lines, else the vertical lines
        x = np.arange(columns) if row % BLOCK == 0 else np.arange(0, columns, BLOCK)
        lat = south + row * dlat + (0.15 * dlat * np.sin(x) if row % BLOCK == 0 else np.zeros(len(x)))
        lon = west + x * dlon + (0.15 * dlon * np.sin(row) if row % BLOCK else 0.0)
        writer.nodes(row * columns + x + 1, lon, lat)
        counts["road_nodes"] += len(x)
    next_id = rows * columns + 1
    others = int(nodes * (1 - ROAD_SHARE))
    buildings, landuse = int(others * 0.80) // 4, int(others * 0.15) // 20
    pois = others - 4 * buildings - 20 * landuse
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]]) * 1e-4
    ring = np.column_stack([np.cos(np.linspace(0, 2 * np.pi, 20, endpoint=False)),
                            np.sin(np.linspace(0, 2 * np.pi, 20, endpoint=False))]) * 3e-3  # fmt: skip
    first = {}
    for kind, count, shape, tags in (("building", buildings, square, ""), ("landuse", landuse, ring, ""),
                                     ("poi", pois, np.zeros((1, 2)), " Tamenity=cafe,name=Cafe")):  # fmt: skip
        first[kind] = next_id
        for start in range(0, count, CHUNK):
            number = min(CHUNK, count - start)
            corner = np.column_stack([rng.uniform(west, east, number), rng.uniform(south, north, number)])
            points = (corner[:, None, :] + shape[None]).reshape(-1, 2)
            writer.nodes(next_id + np.arange(len(points)), points[:, 0], points[:, 1], tags)
            next_id += len(points)
            counts["other_nodes"] += len(points)
    way_id = 1
    for horizontal, count, length in ((True, rows, columns), (False, columns, rows)):
        for line in range(0, count, BLOCK):
            highway = str(line_class(np.array([line // BLOCK]))[0])
            tags = (f"highway={highway}" + (",maxspeed=80" if highway == "primary" else "")
                    + (",oneway=yes" if highway == "residential" and (line // BLOCK) % 7 == 3 else ""))  # fmt: skip
            starts = np.arange(0, length - 1, 4 * BLOCK)  # ways span four blocks, as OSM ways span a few
            whole = starts[starts + 4 * BLOCK <= length - 1]
            for group in (whole, starts[len(whole):]):  # whole ways, then the shorter last one
                if not len(group):
                    continue
                steps = np.minimum(group[:, None] + np.arange(4 * BLOCK + 1), length - 1)
                steps = steps[:, : int((steps[0] != steps[0][-1]).sum()) + 1]
                ids = line * columns + steps + 1 if horizontal else steps * columns + line + 1
                writer.ways(way_id + np.arange(len(group)), tags, ids)
                way_id += len(group)
                counts["road_ways"] += len(group)
    for kind, count, size in (("building", buildings, 4), ("landuse", landuse, 20)):
        for start in range(0, count, CHUNK):
            number = min(CHUNK, count - start)
            references = first[kind] + size * (start + np.arange(number))[:, None] + np.append(np.arange(size), 0)
            writer.ways(way_id + np.arange(number), "building=yes" if kind == "building" else "landuse=farmland",
                        references)  # fmt: skip
            way_id += number
            counts["other_ways"] += number
    writer.close()
    return {**counts, "nodes": counts["road_nodes"] + counts["other_nodes"], "unit_m": round(float(unit), 1)}


def generate(folder: Path, nodes: int, box: tuple[float, float, float, float] = BOX, name: str = "synthetic"
             ) -> tuple[Path, dict]:  # fmt: skip
    """A synthetic ``.osm.pbf`` of about ``nodes`` nodes over ``box``, and what it holds."""
    pbf = folder / f"{name}-{nodes}.osm.pbf"
    started = time.perf_counter()
    content = write_extract(pbf, box, nodes)
    size_mb = round(pbf.stat().st_size / 1e6, 1)
    return pbf, {**content, "mb": size_mb, "generated_s": round(time.perf_counter() - started)}


def legacy_load(path: Path) -> None:
    """Today's loader before this change: osmium writes the extract as OSM XML, osmnx parses it into a graph."""
    import osmium
    import osmnx as ox

    with tempfile.TemporaryDirectory() as folder:
        xml = Path(folder) / "extract.osm"
        with osmium.SimpleWriter(str(xml)) as writer:
            for entity in osmium.FileProcessor(str(path)):
                writer.add(entity)
        graph = ox.graph_from_xml(xml, simplify=True, retain_all=False)
    print(graph.number_of_nodes(), graph.number_of_edges())


def jobs(pbf: Path, run: Path, out: Path, cap: list[str]) -> dict:
    """prepare-network, network and access for Corse-du-Sud on an extract, as the workflow runs them."""
    out.mkdir(parents=True, exist_ok=True)
    jobs = job_steps("osm", pbf, "2A", run, out, {})
    costs = {job: measured(arguments_of(*jobs[job]), prefix=cap) for job in ("prepare_network", "network", "access")}
    from coverage.core.network import RoadNetwork

    prepared, network = RoadNetwork.load(out / "prepared.npz"), RoadNetwork.load(out / "network.npz")
    return {
        "jobs": costs,
        "prepared": {"nodes": prepared.n_nodes, "edges": len(prepared.source)},
        "departement_network": {"nodes": network.n_nodes, "edges": len(network.source)},
        "total_s": round(sum(cost["s"] for cost in costs.values()), 1),
        "max_mb": max(cost["mb"] for cost in costs.values()),
    }


def timed(command: list[str], cwd: Path | None = None) -> dict:
    """Wall time (s) and peak resident memory (MB) of a command, as ``/usr/bin/time`` reads them."""
    started = time.perf_counter()
    run = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, cwd=cwd)
    if run.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {run.stderr[-2000:]}")
    return {"s": round(time.perf_counter() - started, 1), "mb": round(int(run.stderr.strip().splitlines()[-1]) / 1024)}


def split_france(pbf: Path, run: Path, out: Path, pieces_per_pass: int | None, codes: list[str] | None) -> dict:
    """The workflow's split of a France extract into the 101 départements (or ``codes``) plus the buffer, as one
    process."""
    boundaries = run / "data/raw/departements.geojson"
    codes = sorted(codes or load_departements(boundaries)["code"])
    arguments = arguments_of("split_network", {"network": pbf, "departements": boundaries, "codes": codes,
                                               "buffer_km": CONFIG["networks"]["buffer_km"],
                                               "pieces_per_pass": pieces_per_pass or len(codes), "pieces": out})  # fmt: skip
    cost = timed([sys.executable, "-m", "coverage", *arguments])
    sizes = {path.stem.removesuffix(".osm"): path.stat().st_size for path in out.glob("*.osm.pbf")}
    largest = max(sizes, key=sizes.get)
    return {**cost, "pieces": len(sizes), "pieces_per_pass": pieces_per_pass or len(codes),
            "passes": -(-len(codes) // (pieces_per_pass or len(codes))), "output_mb": round(sum(sizes.values()) / 1e6),
            "largest_piece": largest, "largest_piece_mb": round(sizes[largest] / 1e6, 1)}  # fmt: skip


def france_extract(work: Path, nodes: int) -> tuple[Path, dict]:
    """The synthetic France extract of ``work``: the one a former run left there (with its description), or a new one."""
    pbf, description = work / f"france-{nodes}.osm.pbf", work / f"france-{nodes}.json"
    if pbf.exists() and description.exists():
        return pbf, json.loads(description.read_text())
    pbf, content = generate(work, nodes, FRANCE, "france")
    description.write_text(json.dumps(content))
    print(json.dumps({"extract": content}), file=sys.stderr, flush=True)
    return pbf, content


def france(run: Path, work: Path, nodes: int, pieces_per_pass: list[int], codes: list[str] | None, cap: list[str]
           ) -> dict:  # fmt: skip
    """A France extract split as the national run splits it (all départements, or ``codes``), then the jobs of
    the largest piece."""
    pbf, content = france_extract(work, nodes)
    splits = {}
    for size in [None, *pieces_per_pass]:
        out = work / f"pieces-{size or 'all'}"
        split = split_france(pbf, run, out, size, codes)
        splits["one_pass" if size is None else f"passes_of_{size}"] = split
        print(json.dumps({str(size): split}), file=sys.stderr, flush=True)
    largest = splits["one_pass"]["largest_piece"]
    piece = work / "pieces-all" / f"{largest}.osm.pbf"
    steps = job_steps("osm", piece, largest, run, work / "largest", {})
    (work / "largest").mkdir(exist_ok=True)
    costs = {job: measured(arguments_of(*steps[job]), prefix=cap) for job in ("prepare_network", "network", "access")}
    from coverage.core.network import RoadNetwork

    network = RoadNetwork.load(work / "largest" / "network.npz")
    return {"extract": content, "split": splits,
            "largest_piece": {"departement": largest, "jobs": costs, "network_nodes": network.n_nodes}}  # fmt: skip


def side_by_side(pbf: Path, cap: list[str], larger_cap: list[str]) -> dict:
    """Today's loader and the streaming reader on the same extract, one after the other in this run.

    Both run under the jobs' cap first; a loader that fails there (MemoryError) is measured again under
    ``larger_cap``, and both are compared under the cap each needed.
    """
    results = {}
    for name, flag in (("legacy_osmnx_xml", "--legacy"), ("streaming_reader", "--read")):
        try:
            results[name] = measured([flag, str(pbf)], prefix=cap, command=[sys.executable, __file__])
        except RuntimeError as error:
            again = measured([flag, str(pbf)], prefix=larger_cap, command=[sys.executable, __file__])
            failure = str(error).strip().splitlines()[-1][:200]
            results[name] = {**again, "under_jobs_cap": failure, "cap": larger_cap[-1]}
    legacy, reader = results["legacy_osmnx_xml"], results["streaming_reader"]
    ratios = {"speed_up": round(legacy["s"] / reader["s"], 1), "memory_ratio": round(legacy["mb"] / reader["mb"], 1)}
    return {**results, **ratios}


def read_only(path: Path) -> None:
    """The new reader alone, on the whole extract (no area), as the legacy loader reads it."""
    from coverage.core.osm import read_osm

    network = read_osm(path, "EPSG:2154")
    print(network.n_nodes, len(network.source))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT, help="a finished run (communes, facilities)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000, 22_000_000])
    parser.add_argument("--cap-gb", type=float, default=4.0, help="address-space cap of each job (prlimit --as)")
    parser.add_argument("--legacy-cap-gb", type=float, default=16.0, help="cap of a loader that fails under --cap-gb")
    parser.add_argument("--work", type=Path, default=None, help="folder for the extracts (default: a temporary one)")
    parser.add_argument("--skip-legacy", action="store_true")
    parser.add_argument("--legacy", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--france", action="store_true", help="the national split at the size of France")
    parser.add_argument("--nodes", type=int, default=400_000_000, help="nodes of the France extract")
    parser.add_argument("--pieces-per-pass", type=int, nargs="*", default=[], help="also split in passes of these")
    parser.add_argument("--departements", nargs="*", default=None, help="split these départements only")
    parser.add_argument("--smoke", action="store_true", help="seconds: 200,000 nodes, or France at 400,000")
    arguments = parser.parse_args()
    if arguments.legacy:
        return legacy_load(arguments.legacy)
    if arguments.read:
        return read_only(arguments.read)
    cap, larger_cap = (["prlimit", f"--as={int(gb * 2**30)}"] for gb in (arguments.cap_gb, arguments.legacy_cap_gb))
    with tempfile.TemporaryDirectory() as scratch:
        work = arguments.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        if arguments.france:
            nodes = FRANCE_SMOKE_NODES if arguments.smoke else arguments.nodes
            result = france(arguments.run.resolve(), work, nodes, arguments.pieces_per_pass, arguments.departements, cap)
            print(json.dumps({"cap_gb": arguments.cap_gb, "france": result}, indent=1))
            return None
        results = {"cap_gb": arguments.cap_gb, "sizes": {}}
        for nodes in [200_000] if arguments.smoke else sorted(arguments.sizes):
            pbf, content = generate(work, nodes)
            entry = {"extract": content, **jobs(pbf, arguments.run, work / f"jobs-{nodes}", cap)}
            if nodes == min(arguments.sizes) and not (arguments.skip_legacy or arguments.smoke):
                entry["side_by_side"] = side_by_side(pbf, cap, larger_cap)
            results["sizes"][str(nodes)] = entry
            print(json.dumps({str(nodes): entry}), file=sys.stderr)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
