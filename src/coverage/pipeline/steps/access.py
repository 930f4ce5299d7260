"""The steps of workflow/rules/access.smk: road networks, drive times, isochrones, capacity-aware access, siting, and
the tables of a run or a région put together."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ...core.access import (
    Access, AccessModel, Router, catchments, commune_access, coverage_by_departement, load_node_times, place_access,
    ranked_sites, save_node_times, service_sites, sites_once, sites_without_backup,
)  # fmt: skip
from ...core.e2sfca import DecaySteps, e2sfca_scores, travel_pairs
from ...core.geometry import buffered_area
from ...core.horizon import horizon_network
from ...core.isochrones import edges_leaving, isochrone_table, merge_isochrones
from ...core.network import RoadNetwork
from ...core.osm import split_extract
from ...core.readers import load_network
from ...core.siting import greedy_scenario
from ...core.speed_model import speed_models
from ...france.backup import estimated_elderly, named_sites
from ...france.candidates import CandidateRule, candidate_sites
from ...france.constants import COLUMNS, RUN_COLUMNS, area_crs
from ...france.geography import unknown_access_warnings
from ...france.referral import referral_shares, referral_table
from ...france.sources.boundaries import load_area_departements, load_departements
from ...france.sources.finess import read_register
from ...france.sources.population_by_age import load_population_by_age
from ...france.sources.rejects import warnings_frame
from ...outputs.citations import cited_by_row, cited_editions
from ...tables import read_csv, sources_of, with_sources, write_csv, write_gpkg
from ..configuration import adopt_fitted
from ._shared import read_communes, router_and_communes


def split_network(
    *, network: Path, departements: Path, codes: list[str], buffer_km: float, pieces_per_pass: int, pieces: Path
) -> None:  # fmt: skip
    """Cut a large OSM extract (a région, France) into one piece per département plus ``buffer_km`` (measured in
    each département's own metric CRS: a national extract's overseas pieces are not buffered in Lambert-93), in
    passes of at most ``pieces_per_pass`` pieces (one pass when all fit in the memory the split is given)."""
    shapes = load_area_departements(departements, codes)
    areas = {}
    for code in codes:
        shape = shapes[shapes["code"] == code]
        areas[code] = buffered_area(shape, area_crs(shape), buffer_km)
    split_extract(network, areas, pieces, pieces_per_pass=pieces_per_pass)


def prepare_network(
    *, departements: Path, kind: str, path: str, codes: list[str], buffer_km: float, converter_defaults: dict,
    overpass_url: str, prepared: Path,
) -> None:  # fmt: skip
    """Read a network source once, for all the départements it serves: arrays with road features (``.npz``).

    Only the roads within ``buffer_km`` of those départements are kept. Road features (junctions,
    stretches, built-up areas) are measured here, on the whole area, so that every département's
    slice (:func:`network`) sees the same roads the same way, wherever its cut falls. A ``download``
    asks ``overpass_url`` (empty: osmnx's default server).
    """
    shapes = load_area_departements(departements, codes)
    crs = area_crs(shapes)
    polygon = buffered_area(shapes, crs, buffer_km)
    area = f"{'département' if len(codes) == 1 else 'départements'} {', '.join(codes)} and the {buffer_km:g} km around"
    source = load_network(
        kind, path or None, polygon, crs, converter_defaults_kph=converter_defaults, overpass_url=overpass_url,
        area=f"{area} (networks.buffer_km)",
    )  # fmt: skip
    source.save(prepared)


def network(
    *, prepared: Path, departements: Path, fitted: list[Path], origin: str, codes: list[str], buffer_km: float,
    horizon_min: float, speeds: dict, network: Path, warnings: Path,
) -> None:  # fmt: skip
    """The drivable network around some départements, with edge travel times, as compact arrays (``.npz``).

    The prepared network is cut to the départements plus ``buffer_km`` (the extent, kept in the arrays)
    and its largest strongly connected component kept; then only the roads within ``horizon_min`` of
    the départements, either way, under the run's speed model or its alternative, keep their edges.
    Every trip of at most ``horizon_min`` that starts or ends in the départements then runs on this
    network, unless it would leave the cut: ``warnings`` (about ``origin``, the planner's file) lists the
    nodes within the horizon where a cut removed roads (this one, the source's or its extract's
    border), and the pieces dropped as not strongly connected. ``fitted``: the run's own calibration (none: the
    configured models), whose models replace the configured ones of the same name.
    """
    shapes = load_area_departements(departements, codes)
    source = RoadNetwork.load(prepared)
    cut = buffered_area(shapes, source.crs, buffer_km)
    models = speed_models(adopt_fitted(speeds, fitted))
    result = horizon_network(source, cut, shapes.union_all(), *models, horizon_min=horizon_min)
    result.network.save(network)
    write_csv(warnings_frame(origin, result.warnings(codes, horizon_min=horizon_min, buffer_km=buffer_km)), warnings)


def access(
    *, network: Path, communes: Path, facilities: Path, population_by_age: Path, ehpad: Path, origin: str,
    codes: list[str], settings: dict, editions: dict, alternative: str | None, age_year: int, referral: dict,
    access: Path, sites: Path, coverage: Path, critical: Path, times: Path, referral_ehpad: Path,
    referral_lisp: Path, referral_departement: Path, warnings: Path,
) -> None:  # fmt: skip
    """Minutes to the nearest site of each service for the communes of some départements (``access``), and
    ``coverage`` (under the run's speed model, and its shares under the ``alternative`` model; empty without one).

    ``critical``: the people each site alone brings within each threshold (:func:`sites_without_backup`), those
    aged 75 and over estimated at their département's share. ``times`` keeps the time between every network node
    and the nearest site, for the isochrones; ``warnings`` (about ``origin``, the planner's road network) lists the
    départements with people off the network, whose access is unknown. ``referral_ehpad``, ``referral_lisp`` and
    ``referral_departement``: the minutes between the départements' EHPAD (``ehpad``) and the teams, their LISP
    establishments and a USP, and the shares beyond ``referral``'s minutes (:mod:`coverage.france.referral`).
    """
    router = Router(RoadNetwork.load(network))
    places = read_communes(communes)
    places = places[places["departement"].isin(codes)].reset_index(drop=True).rename(columns={"code": "commune"})
    model = AccessModel.from_config(settings)
    facilities_table = read_csv(facilities)
    cited = cited_editions(facilities_table, editions)
    result = commune_access(router, places, facilities_table, model, columns=RUN_COLUMNS)
    other = alternative and commune_access(Router(router.network.under_alternative()), places, facilities_table, model,
                                           columns=RUN_COLUMNS)  # fmt: skip
    write_csv(cited_by_row(with_sources(result.communes.sort_values("commune"), cited), editions), access)
    write_csv(with_sources(result.sites.sort_values(["service", "finess"]), cited), sites)
    limit = settings["max_unknown_share"]
    table = coverage_by_departement(
        result.communes, list(model.directions), settings["thresholds_min"],
        alternative=other.communes if other else None, max_unknown_share=limit, columns=RUN_COLUMNS,
    )
    write_csv(with_sources(table, cited), coverage)
    write_csv(with_sources(_critical_sites(result, facilities_table, population_by_age, age_year, settings), cited),
              critical)  # fmt: skip
    save_node_times(result.node_seconds, times)
    homes, hospitals = _referrals(router, result, model, read_csv(ehpad), facilities_table, codes)
    shares = referral_shares(homes, hospitals, codes, ehpad_min=referral["ehpad_minutes"],
                             lisp_min=referral["lisp_minutes"], ehpad_services=_teams(model))  # fmt: skip
    for referred, path in ((homes, referral_ehpad), (hospitals, referral_lisp), (shares, referral_departement)):
        write_csv(with_sources(referred, cited), path)
    write_csv(warnings_frame(origin, unknown_access_warnings(table, result.communes, limit)), warnings)


def _teams(model: AccessModel) -> list[str]:
    """The services that travel to a nursing home, among those the run routes."""
    return [service for service in ("EMSP", "HAD") if service in model.directions]


def _referrals(
    router: Router, result: Access, model: AccessModel, ehpad: pd.DataFrame, facilities: pd.DataFrame,
    codes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """The départements' EHPAD with the minutes from the nearest team, and their LISP establishments with the
    minutes to the nearest USP, read from the access search's node times."""
    homes = ehpad[ehpad["departement"].isin(codes)].reset_index(drop=True)
    teams = _teams(model)
    homes = referral_table(homes.drop(columns=["edition", "sources"]),
                           place_access(router, result, homes, teams, model, place_id="finess"), facilities, teams)
    lisp = facilities[(facilities["service"] == "LISP") & facilities["departement"].isin(codes)]
    lisp = lisp.drop_duplicates("finess")[["finess", "name", "departement", "commune", "capacity", "lon", "lat"]]
    units = ["USP"] if "USP" in model.directions else []
    hospitals = referral_table(lisp.reset_index(drop=True),
                               place_access(router, result, lisp, units, model, place_id="finess"), facilities, units)
    return homes, hospitals.rename(columns={"capacity": "lisp_beds"})


def _critical_sites(
    result: Access, facilities: pd.DataFrame, population_by_age: Path, age_year: int, settings: dict
) -> pd.DataFrame:
    """The sites without backup of an access result, named, with the people aged 75+ estimated by département."""
    elderly = load_population_by_age(population_by_age, age_year, set(result.communes["departement"]))
    communes = result.communes.assign(population_75_plus=estimated_elderly(result.communes, elderly))
    table = sites_without_backup(communes, list(settings["directions"]), settings["thresholds_min"],
                                 sites=result.sites, columns=RUN_COLUMNS)  # fmt: skip
    return named_sites(table.round({"population_75_plus_without_backup": 0}), facilities)


def isochrones(
    *, network: Path, times: Path, access: Path, departements: Path, codes: list[str], settings: dict,
    isochrones: Path,
) -> None:  # fmt: skip
    """Isochrone bands drawn from the roads leaving the nodes of some départements, with their population."""
    roads = RoadNetwork.load(network)
    access_table = read_csv(access)
    table = isochrone_table(
        roads,
        load_node_times(times),
        access_table,
        settings["thresholds_min"],
        buffer_m=settings["isochrone_buffer_m"],
        edges=edges_leaving(roads, load_departements(departements), codes, area_id="code"),
        method=settings["isochrone_method"],
        columns=RUN_COLUMNS,
    )
    write_gpkg(with_sources(table, sources_of(access_table)), isochrones, "isochrones")


def commune_site_times(
    *, network: Path, access: Path, facilities: Path, settings: dict, e2sfca: dict, travel_times: Path
) -> None:
    """Minutes between the communes of a département and every site within the E2SFCA catchment (parquet)."""
    router, places, model = router_and_communes(network, access, settings)
    steps = DecaySteps.from_config(e2sfca["steps"])
    pairs = travel_pairs(router, places, read_csv(facilities), model, limit_min=steps.catchment_min,
                         columns=RUN_COLUMNS)  # fmt: skip
    travel_times.parent.mkdir(parents=True, exist_ok=True)
    with_sources(pairs, sources_of(places)).to_parquet(travel_times, index=False)


def nearest_sites(
    *, network: Path, access: Path, facilities: Path, settings: dict, sites_per_service: int, nearest: Path
) -> None:
    """The ``sites_per_service`` nearest sites of each service from the communes of a département, by road
    within the horizon (the directory's drive minutes)."""
    router, places, model = router_and_communes(network, access, settings)
    ranked = ranked_sites(router, places, read_csv(facilities), model, count=sites_per_service,
                          limit_min=settings["horizon_min"], columns=RUN_COLUMNS)  # fmt: skip
    write_csv(with_sources(ranked, sources_of(places)), nearest)


def siting(
    *, network: Path, access: Path, facilities: Path, register: Path, codes: list[str], service: str, settings: dict,
    siting: dict, proposals: Path, communes: Path,
) -> None:  # fmt: skip
    """Greedy siting of new sites of one service in some départements (``proposals``), and the ``communes``
    each proposal newly covers."""
    router, places, model = router_and_communes(network, access, settings)
    facilities_table = read_csv(facilities)
    rule = CandidateRule.from_config(siting["candidates"][service])
    candidates = candidate_sites(read_register(register), facilities_table, service, rule, codes)
    chosen, covered = greedy_scenario(
        router, places, service_sites(facilities_table, service, columns=COLUMNS), candidates, model,
        direction=settings["directions"][service], minutes=siting["minutes"], count=siting["count"],
        columns=RUN_COLUMNS,
    )  # fmt: skip
    cited = sources_of(places)
    write_csv(with_sources(chosen, cited), proposals)
    write_csv(with_sources(covered, cited), communes)


def merge_tables(*, parts: list[Path], merged: list[Path]) -> None:
    """Each table of ``merged`` from the tables of the same name among ``parts`` (one per département)."""
    for table in merged:
        merge_table([part for part in parts if part.name == table.name], table)


def region_tables(*, parts: list[Path], merged: list[Path], whole_run: bool) -> None:
    """A région's tables: merged from its départements' ``parts`` or, when the région is the whole run (``whole_run``,
    as for an ARS running its own région), the run's tables copied: the same départements merged in the same order."""
    if not whole_run:
        merge_tables(parts=parts, merged=merged)
        return
    for table in merged:
        shutil.copyfile(next(part for part in parts if part.name == table.name), table)


def merge_table(parts: list[Path], merged: Path) -> None:
    """One table from the same table of several départements: rows put together (CSV, parquet), bands dissolved
    (GeoPackage), and each site kept once, as snapped on the network where it lies nearest a road."""
    if merged.suffix == ".parquet":
        pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True).to_parquet(merged, index=False)
        return
    if merged.suffix == ".gpkg":
        write_gpkg(merge_isochrones([gpd.read_file(p) for p in parts]), merged, "isochrones")
        return
    table = pd.concat([read_csv(p) for p in parts], ignore_index=True)
    write_csv(sites_once(table, columns=COLUMNS) if {"finess", "service", "snap_m"} <= set(table.columns) else table,
              merged)  # fmt: skip


def select_departements(*, table: Path, codes: list[str], selected: Path) -> None:
    """The rows of a national table that belong to some départements (a région's share)."""
    frame = read_csv(table)
    write_csv(frame[frame["departement"].isin(codes)], selected)


def capacity_access(
    *, travel_times: Path, access: Path, facilities: Path, indicators: Path, settings: dict, e2sfca: dict,
    catchment_services: list[str], scores: Path, catchment_tables: list[Path],
) -> None:  # fmt: skip
    """E2SFCA access per commune and service, from the commune-site times of every département of the run, and
    the travel-time catchment of each site of the ``catchment_services`` (``catchment_tables``, in that order).

    Each site's demand sums the communes of every département within its catchment, so the scores
    are computed once for the whole run, not per département.
    """
    places = read_csv(access)
    facilities_table = read_csv(facilities)
    supply = {service: e2sfca["supply"][service] for service in settings["directions"]}
    steps = DecaySteps.from_config(e2sfca["steps"])
    table = e2sfca_scores(pd.read_parquet(travel_times), places, facilities_table, supply, steps, columns=RUN_COLUMNS)
    write_csv(with_sources(table, sources_of(places)), scores)
    elderly = read_csv(indicators)[["departement", "population_75_plus"]].dropna()
    places = places.assign(population_75_plus=estimated_elderly(places, elderly))
    for service, path in zip(catchment_services, catchment_tables, strict=True):
        write_csv(with_sources(_catchment_table(places, facilities_table, service, supply[service]),
                               sources_of(places)), path)  # fmt: skip


def _catchment_table(places: pd.DataFrame, facilities: pd.DataFrame, service: str, capacity: str) -> pd.DataFrame:
    """The catchment of each located site of a service in the run's départements or nearest to one of its
    communes, named, its département beside it, its people aged 75+ rounded (an estimate)."""
    sites = service_sites(facilities, service, columns=COLUMNS)
    table = catchments(places, sites, service, capacity, columns=RUN_COLUMNS).assign(service=service)
    table = table.join(sites.set_index("finess")["departement"], on="finess")
    table = table[table["departement"].isin(places["departement"]) | (table["communes"] > 0)]
    table = named_sites(table.round({"population_75_plus": 0}), facilities)
    first = ["service", "finess", "name", "site_commune", "departement"]
    return table[first + [column for column in table.columns if column not in first]]
