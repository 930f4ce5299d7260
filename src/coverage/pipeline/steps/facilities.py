"""The steps of workflow/rules/facilities.smk: communes, facilities, EHPAD and the run's row logs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...france.facilities import Inputs, build_facilities
from ...france.geography import build_communes
from ...france.referral import build_ehpad
from ...france.sources.boundaries import load_commune_polygons, load_departements
from ...france.sources.chefs_lieux import load_chefs_lieux, missing_chefs_lieux
from ...france.sources.finess import edition_label, load_finess, read_register, write_register
from ...france.sources.own_sites import OwnList
from ...france.sources.population import load_population
from ...france.sources.rejects import REJECT_COLUMNS, WARNING_COLUMNS, merged_log
from ...france.sources.sae import find_edition
from ...france.territories import check_boundaries_cover
from ...tables import read_csv, with_sources, write_csv, write_gpkg
from ._shared import read_communes


def communes(
    *, population: Path, polygons: Path, departements: Path, chefs_lieux: Path, territory: list[str], communes: Path,
    rejects: Path, warnings: Path,
) -> None:  # fmt: skip
    """Current communes with population, polygon, point and chef-lieu (``communes.gpkg``) and their row logs.

    The boundaries must hold every département of ``territory`` (France's, for national indicators),
    the population file and the polygons every département of the boundaries.
    """
    codes = set(load_departements(departements)["code"])
    check_boundaries_cover(departements, territory, codes)
    table, population_rejects = load_population(population, codes)
    points = load_chefs_lieux(chefs_lieux, table)
    merged, polygon_warnings = build_communes(table, load_commune_polygons(polygons), polygons, points)
    write_gpkg(merged, communes, "communes")
    write_csv(population_rejects, rejects)
    write_csv(pd.concat([polygon_warnings, missing_chefs_lieux(merged, chefs_lieux)], ignore_index=True), warnings)


def finess(*, table: Path, register: Path) -> None:
    """The FINESS file read and checked once for the run (``register``, read by every job that needs FINESS)."""
    write_register(load_finess(table), register)


def facilities(
    *, sae: Path, finess: Path, register: Path, communes: Path, departements: Path, msp_category: str,
    tolerance_km: float, own_sites: list[dict], csv: Path, gpkg: Path, unlisted: Path, rejects: Path, warnings: Path,
) -> None:  # fmt: skip
    """The facilities table (``csv``, ``gpkg``) with its rejects and warnings, and the services unknown in
    départements a national file does not list (``unlisted``).

    ``register`` is the FINESS file ``finess`` (named in the messages) as the ``finess`` job read it; ``own_sites``
    holds the planners' lists as configured, their paths resolved.
    """
    register = read_register(register)
    result = build_facilities(
        Inputs(
            sae=find_edition(sae),
            finess=register,
            finess_path=finess,
            finess_label=edition_label(register, f"FINESS ({finess.name})"),
            communes=read_communes(communes),
            departements=load_departements(departements),
            msp_category=msp_category,
            tolerance_km=tolerance_km,
            own_lists=tuple(OwnList.from_config(entry) for entry in own_sites),
        )
    )
    write_csv(result.facilities, csv)
    write_gpkg(result.facilities, gpkg, "facilities")
    write_csv(result.unlisted, unlisted)
    write_csv(result.rejects, rejects)
    write_csv(result.warnings, warnings)


def merge_logs(*, rejects_parts: list[Path], warnings_parts: list[Path], rejects: Path, warnings: Path) -> None:
    """The run's row logs, ``rejects.csv`` and ``warnings.csv``, each from the logs of every step."""
    write_csv(merged_log([read_csv(p) for p in rejects_parts], REJECT_COLUMNS), rejects)
    write_csv(merged_log([read_csv(p) for p in warnings_parts], WARNING_COLUMNS), warnings)


def ehpad(
    *, finess: Path, register: Path, communes: Path, departements: Path, category: str, tolerance_km: float,
    csv: Path, warnings: Path,
) -> None:  # fmt: skip
    """The EHPAD of FINESS (``category``) placed in their communes (``csv``) and the warnings about them (naming the
    file ``finess``, read as ``register``)."""
    register = read_register(register)
    label = edition_label(register, f"FINESS ({finess.name})")
    table, logged = build_ehpad(register, finess, label, read_communes(communes), load_departements(departements),
                                category, tolerance_km)  # fmt: skip
    write_csv(with_sources(table, [label]), csv)
    write_csv(logged, warnings)
