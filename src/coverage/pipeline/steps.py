"""Pipeline steps: each reads its input files, calls the library and writes its outputs.

A Snakemake rule runs one step (:mod:`.script`): its ``input``, ``output`` and ``params`` entries bind, by
name, to the step's keyword-only parameters, each named once. The map and plot modules (folium,
matplotlib) are imported by the steps that draw: every rule runs its own process, and the others need
not pay for them.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..core.access import (
    Access,
    AccessModel,
    Router,
    catchments,
    commune_access,
    coverage_by_departement,
    load_node_times,
    place_access,
    ranked_sites,
    save_node_times,
    service_sites,
    sites_once,
    sites_without_backup,
    unknown_access_warnings,
)  # fmt: skip
from ..core.calibration import FitSettings, ReferenceNetwork, calibrate, config_fragment, reference_communes
from ..core.e2sfca import DecaySteps, e2sfca_scores, travel_pairs
from ..core.geometry import buffered_area
from ..core.isochrones import edges_leaving, isochrone_table, merge_isochrones
from ..core.network import (
    RoadNetwork,
    SpeedModel,
    area_crs,
    horizon_network,
    load_network,
    main_component,
    speed_models,
)  # fmt: skip
from ..core.osm import split_extract
from ..core.siting import greedy_scenario
from ..france.backup import estimated_elderly, named_sites
from ..france.candidates import CandidateRule, candidate_sites
from ..france.changes import compare_editions, edition_sources
from ..france.facilities import Inputs, build_facilities
from ..france.geography import build_communes
from ..france.indicators import GapRule, compute_indicators, national_totals, national_values
from ..france.sources.boundaries import load_area_departements, load_commune_polygons, load_departements
from ..france.sources.chefs_lieux import load_chefs_lieux, missing_chefs_lieux
from ..france.sources.finess import edition_label, load_finess
from ..france.sources.own_sites import OwnList
from ..france.sources.population import load_population, load_postcodes
from ..france.referral import build_ehpad, referral_shares, referral_table
from ..france.sources.deaths import load_cancer_deaths, load_deaths, missing_deaths_warnings
from ..france.sources.population_by_age import load_population_by_age
from ..france.sources.emergency import emergency_sites, find_emergency_tables
from ..france.sources.reference import load_reference_sites, load_reference_times
from ..france.sources.rejects import REJECT_COLUMNS, WARNING_COLUMNS, merged_log, warnings_frame
from ..france.sources.sae import find_edition
from ..france.territories import check_boundaries_cover
from ..outputs.change_report import change_markdown, change_section
from ..outputs.report import (
    area_report_markdown,
    backup_section,
    catchment_section,
    referral_section,
    capacity_caveats,
    html_to_pdf,
    indicators_markdown,
    markdown_to_html,
    method_notes,
    picture_caption,
    write_text,
)
from ..tables import SOURCES, read_csv, read_strings, sources_of, with_sources, write_csv, write_gpkg
from .configuration import adopt_fitted
from .provenance import build_manifest, write_manifest

logger = logging.getLogger(__name__)


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


def _read_communes(path: Path) -> gpd.GeoDataFrame:
    """Read ``communes.gpkg`` keeping codes as strings and empty former codes as ``""``."""
    frame = gpd.read_file(path, layer="communes")
    return frame.astype({"code": str, "departement": str}).fillna({"former_codes": ""})


def facilities(
    *, sae: Path, finess: Path, communes: Path, departements: Path, msp_category: str, tolerance_km: float,
    own_sites: list[dict], csv: Path, gpkg: Path, unlisted: Path, rejects: Path, warnings: Path,
) -> None:  # fmt: skip
    """The facilities table (``csv``, ``gpkg``) with its rejects and warnings, and the services unknown in
    départements a national file does not list (``unlisted``).

    ``own_sites`` holds the planners' lists as configured, their paths resolved.
    """
    register = load_finess(finess)
    result = build_facilities(
        Inputs(
            sae=find_edition(sae),
            finess=register,
            finess_path=finess,
            finess_label=edition_label(register, f"FINESS ({finess.name})"),
            communes=_read_communes(communes),
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


def _editions(facilities_table: pd.DataFrame, labels: dict) -> list[str]:
    """Editions of every input: those recorded in the facilities table, the configured labels, the road networks'."""
    configured = [labels["population"], *([labels["population_by_age"]] if "population_by_age" in labels else []),
                  labels["boundaries"], *labels.get("networks", []), *labels.get("origins", [])]  # fmt: skip
    return sorted(facilities_table["edition"].unique()) + configured


def _cited_by_row(table: pd.DataFrame, labels: dict) -> pd.DataFrame:
    """A commune whose trips do not start at its chef-lieu (none in the file) does not cite the chefs-lieux."""
    origins = labels.get("origins", [])
    elsewhere = (table["point_source"] != "chef_lieu").to_numpy()
    if origins and elsewhere.any():
        cited = [source for source in table[SOURCES].iloc[0].split(" ; ") if source not in origins]
        table.loc[elsewhere, SOURCES] = " ; ".join(cited)
    return table


def indicators(
    *, facilities: Path, unlisted: Path, communes: Path, departements: Path, population_by_age: Path, deaths: Path,
    cancer_deaths: Path, age_year: int, need: dict, gaps: list[dict], editions: dict[str, str],
    origins: dict[str, str], csv: Path, national: Path, markdown: Path, warnings: Path,
) -> None:  # fmt: skip
    """Indicators by département (``csv``), national totals and the Markdown table for policy writers.

    ``unlisted``: the (département, service) pairs a national file does not cover, left unknown.
    ``population_by_age``: INSEE's estimates by age band, read for ``age_year`` (need-adjusted supply).
    ``deaths``, ``cancer_deaths``: the deaths of ``need``'s years (supply against need); ``warnings`` lists the
    départements they do not give, about the planner's files (``origins``).
    """
    table_facilities = read_csv(facilities)
    rules = [GapRule.from_config(entry) for entry in gaps]
    shapes = load_departements(departements)
    codes = set(shapes["code"])
    elderly = load_population_by_age(population_by_age, age_year, codes)
    counted = {"deaths": load_deaths(deaths, need["deaths_year"], codes),
               "cancer_deaths": load_cancer_deaths(cancer_deaths, need["cancer_deaths_year"], codes)}  # fmt: skip
    died = counted["deaths"].table.assign(deaths_year=counted["deaths"].year).merge(
        counted["cancer_deaths"].table.assign(cancer_deaths_year=counted["cancer_deaths"].year), on="departement",
        how="outer")  # fmt: skip
    table, sums = compute_indicators(
        table_facilities, _read_communes(communes), shapes, rules, read_csv(unlisted), elderly, died
    )
    totals = national_totals(sums, table)
    cited = _editions(table_facilities, editions) + [editions["deaths"], editions["cancer_deaths"]]
    write_csv(pd.concat([warnings_frame(origins[name], missing_deaths_warnings(result))
                         for name, result in counted.items()], ignore_index=True), warnings)  # fmt: skip
    write_csv(with_sources(table, cited), csv)
    write_csv(with_sources(totals, cited), national)
    write_text(indicators_markdown(table, totals, sums, rules, cited), markdown)


def changes(
    *, edition_indicators: list[Path], indicators: dict[str, str], shown: list[str], by_departement: Path,
    national: Path, markdown: Path,
) -> None:  # fmt: skip
    """The change of ``indicators`` between SAE editions, by département and nationally, from the editions'
    indicators tables (oldest first, the run's last); ``shown`` indicators are listed by département in
    the Markdown document."""
    tables = [read_csv(path) for path in edition_indicators]
    table, totals = compare_editions(tables, indicators)
    cited = edition_sources(tables)
    write_csv(with_sources(table, cited), by_departement)
    write_csv(with_sources(totals, cited), national)
    write_text(change_markdown(table, totals, shown, cited), markdown)


def _indicators_with_shapes(indicators: Path, departements: Path) -> gpd.GeoDataFrame:
    """The indicators table joined to the département polygons."""
    table = read_csv(indicators)
    shapes = load_departements(departements)
    return gpd.GeoDataFrame(
        table.merge(shapes[["code", "geometry"]], left_on="departement", right_on="code"), crs=shapes.crs
    )


def _access_with_polygons(access: Path, communes: Path) -> gpd.GeoDataFrame:
    """The access table of an area joined to its commune polygons."""
    polygons = _read_communes(communes)[["code", "geometry"]]
    table = read_csv(access).merge(polygons, left_on="commune", right_on="code")
    return gpd.GeoDataFrame(table, geometry="geometry", crs=polygons.crs)


def html_map(
    *, indicators: Path, facilities: Path, departements: Path, coverage: Path, change: list[Path],
    layers: dict[str, str], gaps: list[dict], editions: dict[str, str], areas: dict[str, str],
    change_layers: list[str], drive_time_min: float, page: Path,
) -> None:  # fmt: skip
    """The national map ``maps/index.html``, linking to the area maps (``<area>.html`` beside it).

    ``change``: the change between editions by département and nationally (none when the run compares no
    editions), whose ``change_layers`` indicators are drawn from the oldest edition to the run's; ``coverage``:
    the run's drive-time coverage, drawn for ``drive_time_min``.
    """
    from ..outputs.explorer import national_indicators, national_page, oldest_changes
    from ..outputs.page import write_map

    table, rules = read_csv(indicators), [GapRule.from_config(entry) for entry in gaps]
    table_facilities = read_csv(facilities)
    sources = "Sources : " + " ; ".join(_editions(table_facilities, editions))
    changes = None
    if change:
        by_departement = oldest_changes(read_csv(change[0]), change_layers)
        changes = (by_departement, read_strings(change[0]).loc[by_departement.index], read_csv(change[1]))
    choices = national_indicators(
        table, read_strings(indicators), layers, rules, sources, changes,
        (read_csv(coverage), read_strings(coverage)), drive_time_min,
    )  # fmt: skip
    fmap = national_page(
        table, load_departements(departements), table_facilities, choices, rules,
        {f"{area}.html": label for area, label in areas.items()},
    )  # fmt: skip
    write_map(fmap, page)


def static_maps(
    *, indicators: Path, facilities: Path, departements: Path, titles: dict[str, str], gaps: list[dict],
    editions: dict[str, str], pngs: list[Path],
) -> None:  # fmt: skip
    """A static PNG map of each indicator of ``titles`` (indicator -> French title), in that order in ``pngs``."""
    from ..outputs.plot import plot_indicator

    shapes = _indicators_with_shapes(indicators, departements)
    sources = "Sources : " + " ; ".join(_editions(read_csv(facilities), editions))
    for (indicator, title), png in zip(titles.items(), pngs, strict=True):
        gap_columns = [f"gap_{entry['id']}" for entry in gaps if entry["indicator"] == indicator]
        plot_indicator(shapes, indicator, title, gap_columns, sources, png)


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
    places = _read_communes(communes)
    places = places[places["departement"].isin(codes)].reset_index(drop=True).rename(columns={"code": "commune"})
    model = AccessModel.from_config(settings)
    facilities_table = read_csv(facilities)
    cited = _editions(facilities_table, editions)
    result = commune_access(router, places, facilities_table, model, commune_id="commune")
    other = alternative and commune_access(Router(router.network.under_alternative()), places, facilities_table, model,
                                           commune_id="commune")  # fmt: skip
    write_csv(_cited_by_row(with_sources(result.communes.sort_values("commune"), cited), editions), access)
    write_csv(with_sources(result.sites.sort_values(["service", "finess"]), cited), sites)
    limit = settings["max_unknown_share"]
    table = coverage_by_departement(
        result.communes, list(model.directions), settings["thresholds_min"],
        alternative=other.communes if other else None, max_unknown_share=limit,
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


def ehpad(
    *, finess: Path, communes: Path, departements: Path, category: str, tolerance_km: float, csv: Path,
    warnings: Path,
) -> None:  # fmt: skip
    """The EHPAD of FINESS (``category``) placed in their communes (``csv``) and the warnings about them."""
    register = load_finess(finess)
    label = edition_label(register, f"FINESS ({finess.name})")
    table, logged = build_ehpad(register, finess, label, _read_communes(communes), load_departements(departements),
                                category, tolerance_km)  # fmt: skip
    write_csv(with_sources(table, [label]), csv)
    write_csv(logged, warnings)


def _critical_sites(
    result: Access, facilities: pd.DataFrame, population_by_age: Path, age_year: int, settings: dict
) -> pd.DataFrame:
    """The sites without backup of an access result, named, with the people aged 75+ estimated by département."""
    elderly = load_population_by_age(population_by_age, age_year, set(result.communes["departement"]))
    communes = result.communes.assign(population_75_plus=estimated_elderly(result.communes, elderly))
    table = sites_without_backup(communes, list(settings["directions"]), settings["thresholds_min"],
                                 sites=result.sites)  # fmt: skip
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
        edges=edges_leaving(roads, load_departements(departements), codes),
        method=settings["isochrone_method"],
    )
    write_gpkg(with_sources(table, sources_of(access_table)), isochrones, "isochrones")


def reference_sites(*, sites: Path, finess: Path, table: Path, rejects: Path) -> None:
    """The sites official road times go to (``table``: ``finess``, ``name``, ``kind``, ``lon``, ``lat``): built from
    the SAE emergency tables of folder ``sites`` placed by FINESS, or a planner's CSV with ``lon`` and ``lat``;
    ``rejects``: the sites that cannot be placed."""
    if sites.is_dir():
        tables = find_emergency_tables(sites)
        built, unplaced = emergency_sites(tables["URGENCES2"], tables["SMURSAMU"], load_finess(finess))
    else:
        built, unplaced = load_reference_sites(sites), pd.DataFrame(columns=REJECT_COLUMNS)
    write_csv(built, table)
    write_csv(unplaced, rejects)


def calibration(
    *, networks: list[Path], communes: Path, reference: Path, sites: Path, departements: Path, codes: list[str],
    origin: str, settings: dict, speeds: dict, fit: dict, workers: int, fitted: Path, validation: Path, commune_times: Path,
    groups: Path, plot: Path, warnings: Path,
) -> None:  # fmt: skip
    """Fit the speed model on the reference communes of départements ``codes`` (on their prepared ``networks``,
    in that order), judge it on communes it never saw, and compare the shipped model and the alternative.

    A département with fewer than ``fit["min_communes"]`` judged communes is not fitted on; with none left, the
    shipped model is kept (``fitted`` then holds it, said so, and ``warnings``, about ``origin``, the configured
    reference times, says why) and only compared. Départements prepared from one
    source share its network (loaded once, routed once per model); the fits that judge the model run in
    ``workers`` processes.
    """
    from ..outputs.plot import plot_calibration

    places = _read_communes(communes)
    minutes = load_reference_times(reference, fit["code_column"], fit["minutes_column"], places)
    access_model = AccessModel.from_config(settings)
    land = load_departements(departements).union_all()
    loaded: dict[Path, ReferenceNetwork] = {}
    for path in dict.fromkeys(networks):
        logger.info("loading the network %s", path.name)
        loaded[path] = ReferenceNetwork.of(main_component(RoadNetwork.load(path))[0], land)
    references = [
        reference_communes(code, loaded[path], places, minutes.set_index("commune")["minutes"], read_csv(sites),
                           access_model, direction=fit["direction"])
        for code, path in zip(codes, networks, strict=True)
    ]  # fmt: skip
    models = speeds["models"]
    shipped = SpeedModel.from_config(fit["model"], models[fit["model"]])
    compared = {"shipped": shipped, **({"alternative": speed_models(speeds)[1]} if speeds["alternative"] else {})}
    result = calibrate(references, shipped, compared, FitSettings.from_config(fit, models), label=fit["label"],
                       folds=fit["folds"], min_communes=fit["min_communes"], workers=workers)  # fmt: skip
    label = fit["label"]
    write_csv(with_sources(result.validation, [label]), validation)
    write_csv(with_sources(result.communes, [label]), commune_times)
    write_csv(with_sources(result.exposure, [label]), groups)
    write_text(config_fragment(result, label), fitted)
    plot_calibration(result, label, plot)
    kept = f"speed model not fitted, the shipped model {shipped.name!r} kept: {result.not_fitted}"
    write_csv(warnings_frame(origin, [(None, "", kept)] if not result.fitted else []), warnings)


def merge_tables(*, parts: list[Path], merged: list[Path]) -> None:
    """Each table of ``merged`` from the tables of the same name among ``parts`` (one per département)."""
    for table in merged:
        merge_table([part for part in parts if part.name == table.name], table)


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
    write_csv(sites_once(table) if {"finess", "service", "snap_m"} <= set(table.columns) else table, merged)


def select_departements(*, table: Path, codes: list[str], selected: Path) -> None:
    """The rows of a national table that belong to some départements (a région's share)."""
    frame = read_csv(table)
    write_csv(frame[frame["departement"].isin(codes)], selected)


def area_map(
    *, access: Path, isochrones: Path, sites: Path, facilities: Path, communes: Path, departements: Path,
    siting: list[Path], codes: list[str], region: str, label: str, map_service: str, thresholds: list[float],
    horizon_min: float, drive_time_min: float, directions: dict[str, str], editions: dict,
    catchment_tables: list[Path], referral_ehpad: Path, page: Path,
) -> None:  # fmt: skip
    """The drive-time map of one study area (``maps/<region>.html``), with the siting proposals and the sites
    without backup within ``drive_time_min`` (of each service of ``directions``).

    ``siting`` holds, per service, ``siting_<service>.csv`` then ``siting_<service>_communes.csv``.
    """
    from ..outputs.maps import build_area_map
    from ..outputs.page import write_map

    places = _access_with_polygons(access, communes)
    facilities_table = read_csv(facilities)
    on_network = read_csv(sites).query("on_network")[["finess", "service"]]
    fmap = build_area_map(
        label,
        places.dropna(subset=["geometry"]),
        gpd.read_file(isochrones, layer="isochrones"),
        facilities_table.merge(on_network, on=["finess", "service"]),
        load_area_departements(departements, codes),
        map_service,
        thresholds,
        horizon_min,
        _editions(facilities_table, editions),
        {
            _service_of(proposals): (read_csv(proposals), read_csv(covered))
            for proposals, covered in zip(siting[::2], siting[1::2], strict=True)
        },
        region=region,
        alone=sites_without_backup(places.assign(zone=label), list(directions), [drive_time_min], area="zone"),
        catchments={_service_of(path): read_csv(path) for path in catchment_tables},
        ehpad=read_csv(referral_ehpad),
    )
    write_map(fmap, page)


def _service_of(table: Path) -> str:
    """The service of a siting or catchment table, from its name (``siting_usp.csv``, ``catchments_usp.csv``:
    USP)."""
    return table.stem.removeprefix("siting_").removeprefix("catchments_").upper()


def _router_and_communes(network: Path, access: Path, settings: dict) -> tuple[Router, pd.DataFrame, AccessModel]:
    """The router of a network, the communes as placed by the access step, and the access model."""
    return Router(RoadNetwork.load(network)), read_csv(access), AccessModel.from_config(settings)


def commune_site_times(
    *, network: Path, access: Path, facilities: Path, settings: dict, e2sfca: dict, travel_times: Path
) -> None:
    """Minutes between the communes of a département and every site within the E2SFCA catchment (parquet)."""
    router, places, model = _router_and_communes(network, access, settings)
    steps = DecaySteps.from_config(e2sfca["steps"])
    pairs = travel_pairs(router, places, read_csv(facilities), model, limit_min=steps.catchment_min,
                         commune_id="commune")  # fmt: skip
    travel_times.parent.mkdir(parents=True, exist_ok=True)
    with_sources(pairs, sources_of(places)).to_parquet(travel_times, index=False)


def nearest_sites(
    *, network: Path, access: Path, facilities: Path, settings: dict, sites_per_service: int, nearest: Path
) -> None:
    """The ``sites_per_service`` nearest sites of each service from the communes of a département, by road
    within the horizon (the directory's drive minutes)."""
    router, places, model = _router_and_communes(network, access, settings)
    ranked = ranked_sites(router, places, read_csv(facilities), model, count=sites_per_service,
                          limit_min=settings["horizon_min"], commune_id="commune")  # fmt: skip
    write_csv(with_sources(ranked, sources_of(places)), nearest)


def directory(
    *, access: Path, nearest: Path, facilities: Path, population: Path, label: str, maps: dict[str, str],
    settings: dict, sites_per_service: int, drive_time_min: float, page: Path,
) -> None:  # fmt: skip
    """The directory page of a région (``maps/annuaire-<région>.html``): for each of its communes and each
    service, the nearest sites by road (else as the crow flies) with their contacts, each linked to the map of
    its département's area (``maps``: département -> map file), else to the national map; a site's card says
    how many of the région's people it alone brings within ``drive_time_min``."""
    from ..outputs.directory import (
        backup_text,
        directory_entries,
        directory_method,
        directory_page,
        directory_payload,
        write_directory,
    )

    access_table = read_csv(access)
    places = access_table[["commune", "nom", "departement", "population", "lon", "lat"]].assign(
        postcodes=lambda f: f["commune"].map(load_postcodes(population)).fillna("")
    )
    facilities_table = read_csv(facilities)
    entries = directory_entries(places, read_csv(nearest), facilities_table, sites_per_service)
    routed = [s for s in settings["directions"] if f"{s.lower()}_backup_minutes" in access_table]  # else: none
    alone = sites_without_backup(access_table, routed, [drive_time_min], area="departement")
    payload = directory_payload(places, entries, facilities_table, settings["directions"], maps,
                                backup_text(alone, label))  # fmt: skip
    method = directory_method(settings["horizon_min"])
    write_directory(directory_page(payload, label, sources_of(access_table), method), page)


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
    table = e2sfca_scores(pd.read_parquet(travel_times), places, facilities_table, supply, steps, commune_id="commune")
    write_csv(with_sources(table, sources_of(places)), scores)
    elderly = read_csv(indicators)[["departement", "population_75_plus"]].dropna()
    places = places.assign(population_75_plus=estimated_elderly(places, elderly))
    for service, path in zip(catchment_services, catchment_tables, strict=True):
        write_csv(with_sources(_catchment_table(places, facilities_table, service, supply[service]),
                               sources_of(places)), path)  # fmt: skip


def _catchment_table(places: pd.DataFrame, facilities: pd.DataFrame, service: str, capacity: str) -> pd.DataFrame:
    """The catchment of each located site of a service in the run's départements or nearest to one of its
    communes, named, its département beside it, its people aged 75+ rounded (an estimate)."""
    sites = service_sites(facilities, service)
    table = catchments(places, sites, service, capacity).assign(service=service)
    table = table.join(sites.set_index("finess")["departement"], on="finess")
    table = table[table["departement"].isin(places["departement"]) | (table["communes"] > 0)]
    table = named_sites(table.round({"population_75_plus": 0}), facilities)
    first = ["service", "finess", "name", "site_commune", "departement"]
    return table[first + [column for column in table.columns if column not in first]]


def siting(
    *, network: Path, access: Path, facilities: Path, finess: Path, codes: list[str], service: str, settings: dict,
    siting: dict, proposals: Path, communes: Path,
) -> None:  # fmt: skip
    """Greedy siting of new sites of one service in some départements (``proposals``), and the ``communes``
    each proposal newly covers."""
    router, places, model = _router_and_communes(network, access, settings)
    facilities_table = read_csv(facilities)
    rule = CandidateRule.from_config(siting["candidates"][service])
    candidates = candidate_sites(load_finess(finess), facilities_table, service, rule, codes)
    chosen, covered = greedy_scenario(
        router, places, service_sites(facilities_table, service), candidates, model,
        direction=settings["directions"][service], minutes=siting["minutes"], count=siting["count"],
        commune_id="commune",
    )  # fmt: skip
    cited = sources_of(places)
    write_csv(with_sources(chosen, cited), proposals)
    write_csv(with_sources(covered, cited), communes)


def area_static_maps(
    *, access: Path, communes: Path, facilities: Path, indicators: Path, services: list[str], label: str,
    thresholds: list[float], horizon_min: float, editions: dict, codes: list[str], titles: dict[str, str],
    pngs: list[Path], ranking: Path,
) -> None:  # fmt: skip
    """Printable PNGs of an area: its communes by minutes to the nearest site of each service (``pngs`` in order),
    and its départements ranked on each supply indicator of ``titles`` beside the national rate (``ranking``)."""
    from ..outputs.plot import plot_area_minutes, plot_rankings

    places = _access_with_polygons(access, communes)
    sources = "Sources : " + " ; ".join(_editions(read_csv(facilities), editions))
    for service, png in zip(services, pngs, strict=True):
        title = f"{label} : minutes jusqu'au site {service} le plus proche"
        plot_area_minutes(places, service, thresholds, horizon_min, title, sources, png)
    table = read_csv(indicators)
    plot_rankings(table, codes, national_values(table), titles, "Sources : " + " ; ".join(sources_of(table)), ranking)


def report(
    *, indicators: Path, coverage: Path, access: Path, scores: Path, siting: list[Path], pictures: list[Path],
    ranking: Path, facilities: Path, earlier: list[Path], validation: list[Path], driven: list[Path],
    judged: list[Path], fitted: list[Path], catchment_tables: list[Path], referral: list[Path],
    change: list[Path], label: str, codes: list[str], gaps: list[dict], editions: dict, settings: dict,
    titles: dict[str, str], drive_time_min: float, change_layers: list[str], markdown: Path, html: Path,
) -> None:  # fmt: skip
    """The report of a study area, as Markdown and as a self-contained HTML page, opening on its summary page.

    ``validation``: the calibration's validation table, cited in the method (none when the run has none),
    ``judged`` its reference communes (why none was judged, when nothing was fitted), and ``fitted`` its fitted
    model, which the run drove at (none: the shipped model).
    ``change``: the change between editions by département and nationally, reported for the area's départements
    and its ``change_layers`` indicators quoted in the summary (none: no section); ``earlier`` the facilities of
    the earlier editions, whose sites declared without beds or places are said with the figures they affect.
    """
    from ..outputs.summary import summary_section

    indicators_table = read_csv(indicators)
    rules = [GapRule.from_config(entry) for entry in gaps]
    captions = {picture: picture_caption(picture, titles) for picture in pictures}
    relative = {captions[p]: os.path.relpath(p, markdown.parent) for p in pictures}
    facilities_table, access_table = read_csv(facilities), read_csv(access)
    cited = _editions(facilities_table, editions)
    cited += [editions[name] for name in ("deaths", "cancer_deaths") if name in editions]
    coverage_table = read_csv(coverage)
    changes_table = read_csv(change[0]) if change else None
    quoted = (changes_table, read_csv(change[1]), change_layers) if change else None
    caveats = capacity_caveats([*map(read_csv, earlier), facilities_table], codes)
    summary = summary_section(label, indicators_table, codes, rules, cited, coverage_table, drive_time_min, quoted,
                              caveats)  # fmt: skip
    if changes_table is not None:
        cited = [s for s in sources_of(changes_table) if s.startswith("SAE ") and s not in cited] + cited
    method = method_notes({**settings, "speeds": adopt_fitted(settings["speeds"], fitted)},
                          read_csv(validation[0]) if validation else None, read_csv(driven[0]) if driven else None,
                          read_csv(judged[0]) if judged else None)  # fmt: skip
    text = area_report_markdown(
        label,
        indicators_table[indicators_table["departement"].isin(codes)],
        rules,
        national_values(indicators_table),
        coverage_table,
        access_table,
        read_csv(scores),
        {_service_of(path): read_csv(path) for path in siting},
        relative,
        cited,
        method,
        change_section(changes_table, codes, caveats) if changes_table is not None else [],
        summary,
        os.path.relpath(ranking, markdown.parent),
        _backup_lines(access_table, indicators_table, facilities_table, label, settings["access"],
                      drive_time_min),  # fmt: skip
        catchment_section({_service_of(path): read_csv(path) for path in catchment_tables}, codes,
                          method["e2sfca"]),  # fmt: skip
        referral_section(*(read_csv(path) for path in referral), indicators_table),
    )
    write_text(text, markdown)
    write_text(markdown_to_html(text, f"Soins palliatifs : {label}", markdown.parent), html)


def _backup_lines(
    access: pd.DataFrame, indicators: pd.DataFrame, facilities: pd.DataFrame, label: str, settings: dict,
    drive_time_min: float,
) -> list[str]:  # fmt: skip
    """The report's sites without backup, counted over the whole area (a site's people of every département)."""
    elderly = indicators[["departement", "population_75_plus"]].dropna()
    communes = access.assign(population_75_plus=estimated_elderly(access, elderly), zone=label)
    thresholds = sorted({drive_time_min, max(settings["thresholds_min"])})
    table = named_sites(sites_without_backup(communes, list(settings["directions"]), thresholds, area="zone"),
                        facilities)  # fmt: skip
    names = access.set_index("commune")["nom"]
    return backup_section(table.assign(site_commune_name=table["site_commune"].map(names).fillna(table["site_commune"])),
                          drive_time_min, settings["horizon_min"])  # fmt: skip


def report_pdf(*, html: Path, pdf: Path) -> None:
    """The report of a study area as an A4 PDF, printed from its HTML page by headless Chromium."""
    html_to_pdf(html, pdf)


def manifest(
    *, sae: list[Path], finess: Path, facilities: Path, outputs: list[Path], labelled: dict[str, str], config: dict,
    manifest: Path,
) -> None:  # fmt: skip
    """``manifest.json``: inputs with size, SHA-256 and edition, outputs with their SHA-256, config, versions.

    ``labelled`` maps the other inputs (population, boundaries, networks, planners' lists) to their
    edition labels; the SAE and FINESS editions are read from the data.
    """
    facilities_table = read_csv(facilities)
    finess_labels = sorted(e for e in facilities_table["edition"].unique() if e.startswith("FINESS"))
    inputs = {
        **{str(folder): find_edition(folder).label for folder in sae},
        str(finess): finess_labels[0] if finess_labels else "FINESS",
        **labelled,
    }
    write_manifest(build_manifest(inputs, outputs, config), manifest)
