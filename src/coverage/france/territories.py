"""Départements and régions chosen for a run, read when the workflow is planned (codes, names, sizes)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import shapely

from ..errors import ConfigError, InputError, Problem
from .constants import WGS84, metric_crs

ZONES = ("metro", "drom")
SIMPLIFY_M = 1000.0  # outlines simplified before sizing a cut: an estimate, read at every planning


@dataclass(frozen=True)
class Region:
    """A région with the départements of the run that belong to it."""

    code: str
    label: str
    departements: tuple[str, ...]


@dataclass(frozen=True)
class Territories:
    """The 101 départements (metropolitan and overseas) with their région, and the région names."""

    region_of: dict[str, str]
    region_names: dict[str, str]

    @classmethod
    def read(cls, departements_json: str | Path, regions_json: str | Path) -> Territories:
        """Read ``departements.json`` and ``regions.json`` of @etalab/decoupage-administratif.

        Overseas collectivities that are not départements (zone ``com``) are left out.
        """
        departements = json.loads(Path(departements_json).read_text(encoding="utf-8"))
        regions = json.loads(Path(regions_json).read_text(encoding="utf-8"))
        return cls(
            region_of={d["code"]: d["region"] for d in departements if d.get("zone") in ZONES},
            region_names={r["code"]: r["nom"] for r in regions},
        )

    @property
    def codes(self) -> list[str]:
        """Every département, in code order."""
        return sorted(self.region_of)

    def select(self, requested: str | list[str]) -> list[str]:
        """The départements of a run: ``all`` or the listed codes, in code order; unknown codes are an error."""
        if requested == "all":
            return self.codes
        unknown = sorted(set(requested) - set(self.region_of))
        if unknown:
            raise ConfigError(f"config 'departements': unknown département codes {', '.join(unknown)}")
        return sorted(set(requested))

    def regions(self, departements: list[str]) -> dict[str, Region]:
        """The régions holding the given départements, keyed by a file-name slug of their name."""
        members: dict[str, list[str]] = defaultdict(list)
        for code in departements:
            members[self.region_of[code]].append(code)
        return {
            slug(self.region_names[region]): Region(region, self.region_names[region], tuple(codes))
            for region, codes in sorted(members.items())
        }


def boundary_codes(departements_geojson: str | Path) -> set[str]:
    """The département codes of a boundaries GeoJSON (``code`` property, lost leading zeros restored)."""
    features = json.loads(Path(departements_geojson).read_text(encoding="utf-8")).get("features", [])
    codes = {str(f.get("properties", {}).get("code", "")).strip().upper() for f in features}
    return {c.zfill(2) if c.isdigit() else c for c in codes}


def check_boundaries_cover(departements_geojson: str | Path, codes: list[str], present: set[str] | None = None) -> None:
    """Raise when the boundaries file lacks some of ``codes``: the indicators are national, and each
    département's network is cut around its outline. ``present``: the file's codes when already loaded."""
    missing = sorted(set(codes) - (boundary_codes(departements_geojson) if present is None else present))
    if missing:
        raise InputError(departements_geojson, Problem(
            "every département of France (those of departements.json) as a feature", column="code",
            value=", ".join(missing), rule="whole-territory",
        ))  # fmt: skip


def slug(name: str) -> str:
    """A lower-case ASCII file name for a French place name: ``Provence-Alpes-Côte d'Azur`` -> ``provence-alpes-cote-d-azur``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


@dataclass(frozen=True)
class Size:
    """What predicts the size of a département's road network: the land and the people inside its cut."""

    area_km2: float
    population: int


def _projected(geometries: list[shapely.Geometry], crs: str) -> list[shapely.Geometry]:
    """WGS84 geometries in a metric CRS."""
    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    return [
        shapely.transform(g, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))) for g in geometries
    ]


def departement_sizes(
    departements_geojson: str | Path, communes_json: str | Path, buffer_km: float, codes: Iterable[str] | None = None,
) -> dict[str, Size]:  # fmt: skip
    """Land area and population inside each département's cut (the département grown by ``buffer_km``).

    The population of a neighbouring département counts in proportion to the share of its area
    inside the cut; the sea counts for nothing. With ``codes``, only those départements are sized (each still
    counting its neighbours' people): a run's planning buffers its own départements, not France's 101.
    """
    features = json.loads(Path(departements_geojson).read_text(encoding="utf-8"))["features"]
    population: dict[str, int] = defaultdict(int)
    for record in json.loads(Path(communes_json).read_text(encoding="utf-8")):
        if record.get("type") == "commune-actuelle":
            population[record["departement"]] += int(record.get("population", 0))
    all_codes = [f["properties"]["code"] for f in features]
    wanted = set(all_codes if codes is None else codes)
    shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, (code, shape) in enumerate(zip(all_codes, shapes, strict=True)):
        groups[metric_crs([code], shape)].append(i)
    sizes = {}
    for crs, members in groups.items():
        if wanted.isdisjoint(all_codes[i] for i in members):
            continue
        metric = shapely.simplify(_projected([shapes[i] for i in members], crs), SIMPLIFY_M)
        tree = shapely.STRtree(metric)
        people = np.array([population[all_codes[i]] for i in members], dtype=float)
        for i, shape in zip(members, metric, strict=True):
            if all_codes[i] not in wanted:
                continue
            cut = shapely.buffer(shape, buffer_km * 1000, quad_segs=2)
            near = tree.query(cut, predicate="intersects")
            overlap = shapely.area(shapely.intersection(cut, metric[near]))
            share = overlap / shapely.area(metric[near])
            people_inside = round((share * people[near]).sum())
            sizes[all_codes[i]] = Size(area_km2=float(overlap.sum() / 1e6), population=people_inside)
    return sizes
