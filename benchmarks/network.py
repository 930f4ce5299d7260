"""A planner's own OpenStreetMap extract at real size: the network and access jobs on Geofabrik-like extracts.

Generates synthetic extracts with what a Geofabrik ``.osm.pbf`` carries, over Corse-du-Sud (2A) plus
its buffer: roads (a grid of classes from residential to primary, some one-way, with a shape point
every few tens of metres and bends), and around them buildings (closed ways of 5 references),
landuse polygons and tagged POI nodes. About a quarter of the nodes are road nodes, as in real
extracts. Sizes: 1, 5 and 22 million nodes (``--sizes``); 22 million is a Lorraine. The file is
written as OPL text and converted with osmium-tool (``osmium cat``).

For each size, runs as the workflow does (one ``python -m coverage`` process each, under
``prlimit --as``): ``prepare-network`` (the streaming read), ``network`` (the département's slice,
horizon pruning) and ``access``; and, at the smallest size, today's loader before this change
(osmium writes the extract as XML, osmnx parses it into a networkx graph) beside the new reader
alone. Prints one JSON document with wall time (s) and peak resident memory (MB) of each.

Usage: python benchmarks/network.py --run . [--sizes 1000000 5000000 22000000] [--cap-gb 4]
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
from jobs import job_steps, measured  # noqa: E402  (the benchmarks' job arguments and process meter)

from coverage.pipeline.cli import arguments_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BOX = (7.9, 40.7, 10.2, 43.0)  # Corse-du-Sud and its 120 km buffer, over land and sea alike (lon, lat)
BLOCK = 6  # lattice steps (shape points) between two junctions
ROAD_SHARE = 0.25  # share of the extract's nodes that are road nodes
EPOCH = np.datetime64("2008-01-01T00:00:00")
EDIT = 8  # objects per edit (one changeset, user, time): about 9 MB per million nodes, near Geofabrik's 7.5


def metadata(rng: np.random.Generator, count: int) -> list[str]:
    """Version, changeset, time and user of ``count`` objects, varied as in a real extract (they weigh in the
    file): consecutive objects come in edits of about ``EDIT`` objects by one user at one time."""
    edits = count // EDIT + 1
    version = rng.integers(1, 12, count)
    changeset = np.repeat(rng.integers(1_000_000, 150_000_000, edits), EDIT)[:count]
    stamp = (EPOCH + np.repeat(rng.integers(0, 16 * 365 * 86400, edits), EDIT)[:count].astype("timedelta64[s]"))
    stamp = stamp.astype(str)
    user = np.repeat(rng.integers(1, 2_000_000, edits), EDIT)[:count]
    return [f"v{v} c{c} t{t}Z i{u} uuser{u}" for v, c, t, u in zip(version, changeset, stamp, user, strict=True)]


def line_class(index: np.ndarray) -> np.ndarray:
    """The OSM class of the grid line ``index``: one in ten primary, then secondary, tertiary, residential."""
    return np.select(
        [index % 10 == 0, index % 5 == 0, index % 2 == 0], ["primary", "secondary", "tertiary"], "residential"
    )


def write_opl(path: Path, nodes: int, seed: int = 0) -> dict:
    """Write a Geofabrik-like extract of about ``nodes`` nodes as OPL; returns what it holds."""
    rng = np.random.default_rng(seed)
    west, south, east, north = BOX
    metres_per_lon = 111_320 * np.cos(np.radians((south + north) / 2))
    width_m, height_m = (east - west) * metres_per_lon, (north - south) * 111_320
    # Road nodes ~ 2 x W x H / BLOCK lattice units: choose the unit that gives the road share asked for.
    unit = np.sqrt(2 * width_m * height_m / BLOCK / (ROAD_SHARE * nodes))
    columns, rows = int(width_m / unit) // BLOCK * BLOCK + 1, int(height_m / unit) // BLOCK * BLOCK + 1
    dlon, dlat = unit / metres_per_lon, unit / 111_320
    counts = {"road_nodes": 0, "other_nodes": 0, "road_ways": 0, "other_ways": 0}
    with open(path, "w", encoding="ascii") as out:
        for row in range(rows):  # lattice nodes in id order: a whole row on horizontal lines, else the vertical lines
            x = np.arange(columns) if row % BLOCK == 0 else np.arange(0, columns, BLOCK)
            lon = west + x * dlon
            lat = south + row * dlat + (0.15 * dlat * np.sin(x) if row % BLOCK == 0 else 0.0)
            lon = lon + (0.15 * dlon * np.sin(row) if row % BLOCK else 0.0)
            lat = np.broadcast_to(lat, x.shape)
            ids = row * columns + x + 1
            rows_of_nodes = zip(ids, metadata(rng, len(ids)), lon, lat, strict=True)
            out.write("".join(f"n{i} {m} x{a:.7f} y{b:.7f}\n" for i, m, a, b in rows_of_nodes))
            counts["road_nodes"] += len(ids)
        next_id = rows * columns + 1
        others = int(nodes * (1 - ROAD_SHARE))
        buildings, landuse = int(others * 0.80) // 4, int(others * 0.15) // 20
        pois = others - 4 * buildings - 20 * landuse
        corner = np.column_stack([rng.uniform(west, east, buildings), rng.uniform(south, north, buildings)])
        square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]]) * 1e-4
        building_points = (corner[:, None, :] + square[None]).reshape(-1, 2)
        angle = np.linspace(0, 2 * np.pi, 20, endpoint=False)
        centre = np.column_stack([rng.uniform(west, east, landuse), rng.uniform(south, north, landuse)])
        ring = np.column_stack([np.cos(angle), np.sin(angle)]) * 3e-3
        landuse_points = (centre[:, None, :] + ring[None]).reshape(-1, 2)
        poi_points = np.column_stack([rng.uniform(west, east, pois), rng.uniform(south, north, pois)])
        for block, tags in ((building_points, ""), (landuse_points, ""), (poi_points, " Tamenity=cafe,name=Cafe")):
            ids = next_id + np.arange(len(block))
            out.write("".join(f"n{i} {m}{tags} x{a:.7f} y{b:.7f}\n"
                              for i, m, (a, b) in zip(ids, metadata(rng, len(ids)), block, strict=True)))
            next_id += len(block)
            counts["other_nodes"] += len(block)
        way_id = 1
        for horizontal, count, length in ((True, rows, columns), (False, columns, rows)):
            for line in range(0, count, BLOCK):
                highway = str(line_class(np.array([line // BLOCK]))[0])
                oneway = ",oneway=yes" if highway == "residential" and (line // BLOCK) % 7 == 3 else ""
                speed = ",maxspeed=80" if highway == "primary" else ""
                for start in range(0, length - 1, 4 * BLOCK):  # ways span four blocks, as OSM ways span a few
                    step = np.arange(start, min(start + 4 * BLOCK, length - 1) + 1)
                    ids = line * columns + step + 1 if horizontal else step * columns + line + 1
                    references = ",".join(f"n{i}" for i in ids)
                    out.write(f"w{way_id} {metadata(rng, 1)[0]} Thighway={highway}{speed}{oneway} N{references}\n")
                    way_id += 1
                    counts["road_ways"] += 1
        first_building = rows * columns + 1
        for b in range(buildings):
            ids = first_building + 4 * b + np.array([0, 1, 2, 3, 0])
            out.write(f"w{way_id} {metadata(rng, 1)[0]} Tbuilding=yes N{','.join(f'n{i}' for i in ids)}\n")
            way_id += 1
        first_landuse = first_building + 4 * buildings
        for area in range(landuse):
            ids = first_landuse + 20 * area + np.append(np.arange(20), 0)
            out.write(f"w{way_id} {metadata(rng, 1)[0]} Tlanduse=farmland N{','.join(f'n{i}' for i in ids)}\n")
            way_id += 1
        counts["other_ways"] = buildings + landuse
    return {**counts, "nodes": counts["road_nodes"] + counts["other_nodes"], "unit_m": round(float(unit), 1)}


def generate(folder: Path, nodes: int) -> tuple[Path, dict]:
    """A synthetic ``.osm.pbf`` of about ``nodes`` nodes, and what it holds."""
    opl, pbf = folder / f"synthetic-{nodes}.opl", folder / f"synthetic-{nodes}.osm.pbf"
    started = time.perf_counter()
    content = write_opl(opl, nodes)
    subprocess.run(["osmium", "cat", str(opl), "-o", str(pbf), "--overwrite"], check=True)
    opl.unlink()
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
    arguments = parser.parse_args()
    if arguments.legacy:
        return legacy_load(arguments.legacy)
    if arguments.read:
        return read_only(arguments.read)
    cap, larger_cap = (["prlimit", f"--as={int(gb * 2**30)}"] for gb in (arguments.cap_gb, arguments.legacy_cap_gb))
    with tempfile.TemporaryDirectory() as scratch:
        work = arguments.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        results = {"cap_gb": arguments.cap_gb, "sizes": {}}
        for nodes in sorted(arguments.sizes):
            pbf, content = generate(work, nodes)
            entry = {"extract": content, **jobs(pbf, arguments.run, work / f"jobs-{nodes}", cap)}
            if nodes == min(arguments.sizes) and not arguments.skip_legacy:
                entry["side_by_side"] = side_by_side(pbf, cap, larger_cap)
            results["sizes"][str(nodes)] = entry
            print(json.dumps({str(nodes): entry}), file=sys.stderr)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
