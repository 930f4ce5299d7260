"""Pipeline steps: each reads its input files, calls the library and writes its outputs (one per rule).

The map and plot modules (folium, matplotlib) are imported by the steps that draw: every rule runs its
own process, and the others need not pay for them.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..constants import WGS84
from ..core.access import (
    AccessModel,
    Router,
    commune_access,
    coverage_by_departement,
    load_node_times,
    ranked_sites,
    save_node_times,
    service_sites,
    sites_once,
    unknown_access_warnings,
)  # fmt: skip
from ..core.calibration import calibrate, config_fragment
from ..core.e2sfca import DecaySteps, e2sfca_scores, travel_pairs
from ..core.isochrones import edges_leaving, isochrone_table, merge_isochrones
from ..core.network import (
    RoadNetwork,
    SpeedModel,
    area_crs,
    horizon_network,
    load_network,
    speed_models,
)  # fmt: skip
from ..core.osm import split_extract
from ..core.siting import greedy_scenario
from ..errors import ConfigError
from ..france.candidates import CandidateRule, candidate_sites
from ..france.changes import compare_editions, sae_edition_of
from ..france.facilities import Inputs, build_facilities
from ..france.geography import build_communes
from ..france.indicators import GapRule, compute_indicators, national_totals, national_values
from ..france.sources.boundaries import load_commune_polygons, load_departements
from ..france.sources.finess import edition_label, load_finess
from ..france.sources.own_sites import OwnList
from ..france.sources.population import load_population, load_postcodes
from ..france.sources.population_by_age import load_population_by_age
from ..france.sources.reference import load_reference_sites, load_reference_times
from ..france.sources.rejects import REJECT_COLUMNS, WARNING_COLUMNS, warnings_frame
from ..france.sources.sae import find_edition
from ..france.territories import check_boundaries_cover
from ..outputs.change_report import change_markdown, change_section
from ..outputs.report import (
    area_report_markdown,
    html_to_pdf,
    indicators_markdown,
    markdown_to_html,
    method_notes,
    write_text,
)
from ..tables import read_csv, sources_of, with_sources, write_csv, write_gpkg
from .provenance import build_manifest, write_manifest


def communes(
    population: Path, polygons: Path, departements: Path, territory: list[str], out: Path, rejects: Path,
    warnings: Path,
) -> None:  # fmt: skip
    """Current communes with population, polygon and point (``communes.gpkg``) and their row logs.

    The boundaries must hold every département of ``territory`` (France's, for national indicators),
    the population file and the polygons every département of the boundaries.
    """
    codes = set(load_departements(departements)["code"])
    check_boundaries_cover(departements, territory, codes)
    table, population_rejects = load_population(population, codes)
    merged, polygon_warnings = build_communes(table, load_commune_polygons(polygons), polygons)
    write_gpkg(merged, out, "communes")
    write_csv(population_rejects, rejects)
    write_csv(polygon_warnings, warnings)


def _read_communes(path: Path) -> gpd.GeoDataFrame:
    """Read ``communes.gpkg`` keeping codes as strings and empty former codes as ``""``."""
    frame = gpd.read_file(path, layer="communes")
    return frame.astype({"code": str, "departement": str}).fillna({"former_codes": ""})


def facilities(
    sae: Path, finess: Path, communes_path: Path, departements: Path, msp_category: str, tolerance_km: float,
    own_sites: list[dict], out_csv: Path, out_gpkg: Path, out_unlisted: Path, rejects: Path, warnings: Path,
) -> None:  # fmt: skip
    """The facilities table (CSV and GeoPackage) with its rejects and warnings, and the services unknown in
    départements a national file does not list (``out_unlisted``).

    ``own_sites`` holds the planners' lists as configured, their paths resolved.
    """
    register = load_finess(finess)
    result = build_facilities(
        Inputs(
            sae=find_edition(sae),
            finess=register,
            finess_path=finess,
            finess_label=edition_label(register, f"FINESS ({finess.name})"),
            communes=_read_communes(communes_path),
            departements=load_departements(departements),
            msp_category=msp_category,
            tolerance_km=tolerance_km,
            own_lists=tuple(OwnList.from_config(entry) for entry in own_sites),
        )
    )
    write_csv(result.facilities, out_csv)
    write_gpkg(result.facilities, out_gpkg, "facilities")
    write_csv(result.unlisted, out_unlisted)
    write_csv(result.rejects, rejects)
    write_csv(result.warnings, warnings)


def merge_logs(parts: list[Path], out: Path, kind: str) -> None:
    """Concatenate row logs (``rejects`` or ``warnings``) into one table sorted by file and line; a row two
    parts log alike (a FINESS row read for two SAE editions) is listed once."""
    columns = REJECT_COLUMNS if kind == "rejects" else WARNING_COLUMNS
    frames = [read_csv(p) for p in parts]
    merged = pd.concat([f for f in frames if len(f)] or [pd.DataFrame(columns=columns)], ignore_index=True)
    merged = merged.drop_duplicates(ignore_index=True)
    merged["line"] = merged["line"].astype("Int64")
    write_csv(merged[columns].sort_values(columns, kind="stable", ignore_index=True), out)


def _editions(facilities_table: pd.DataFrame, labels: dict) -> list[str]:
    """Editions of every input: those recorded in the facilities table, the configured labels, the road networks'."""
    configured = [labels["population"], *([labels["population_by_age"]] if "population_by_age" in labels else []),
                  labels["boundaries"], *labels.get("networks", [])]  # fmt: skip
    return sorted(facilities_table["edition"].unique()) + configured


def indicators(
    facilities_csv: Path, unlisted_csv: Path, communes_path: Path, departements: Path, population_by_age: Path,
    age_year: int, gaps: list[dict], editions: dict[str, str], out_csv: Path, out_national: Path, out_markdown: Path,
) -> None:  # fmt: skip
    """Indicators by département, national totals and the Markdown table for policy writers.

    ``unlisted_csv``: the (département, service) pairs a national file does not cover, left unknown.
    ``population_by_age``: INSEE's estimates by age band, read for ``age_year`` (need-adjusted supply).
    """
    table_facilities = read_csv(facilities_csv)
    rules = [GapRule.from_config(entry) for entry in gaps]
    shapes = load_departements(departements)
    elderly = load_population_by_age(population_by_age, age_year, set(shapes["code"]))
    table, national = compute_indicators(
        table_facilities, _read_communes(communes_path), shapes, rules, read_csv(unlisted_csv), elderly
    )
    totals = national_totals(national, table)
    cited = _editions(table_facilities, editions)
    write_csv(with_sources(table, cited), out_csv)
    write_csv(with_sources(totals, cited), out_national)
    write_text(indicators_markdown(table, totals, national, rules, cited), out_markdown)


def changes(
    edition_indicators: list[Path], indicators: dict[str, str], shown: list[str], out_departements: Path,
    out_national: Path, out_markdown: Path,
) -> None:  # fmt: skip
    """The change of ``indicators`` between SAE editions, by département and nationally, from the editions'
    indicators tables (oldest first, the run's last); ``shown`` indicators are listed by département in
    the Markdown document."""
    tables = [read_csv(path) for path in edition_indicators]
    by_departement, national = compare_editions(tables, indicators)
    labels = [sae_edition_of(table) for table in tables]
    cited = labels + [s for s in dict.fromkeys(s for t in tables for s in sources_of(t)) if s not in labels]
    write_csv(with_sources(by_departement, cited), out_departements)
    write_csv(with_sources(national, cited), out_national)
    write_text(change_markdown(by_departement, national, shown, cited), out_markdown)


def _indicators_with_shapes(indicators_csv: Path, departements: Path) -> gpd.GeoDataFrame:
    """The indicators table joined to the département polygons."""
    table = read_csv(indicators_csv)
    shapes = load_departements(departements)
    return gpd.GeoDataFrame(
        table.merge(shapes[["code", "geometry"]], left_on="departement", right_on="code"), crs=shapes.crs
    )


def _access_with_polygons(access_csv: Path, communes_path: Path) -> gpd.GeoDataFrame:
    """The access table of an area joined to its commune polygons."""
    polygons = _read_communes(communes_path)[["code", "geometry"]]
    table = read_csv(access_csv).merge(polygons, left_on="commune", right_on="code")
    return gpd.GeoDataFrame(table, geometry="geometry", crs=polygons.crs)


def html_map(
    indicators_csv: Path, facilities_csv: Path, departements: Path, layers: dict[str, str], gaps: list[dict],
    editions: dict[str, str], areas: dict[str, str], change_csv: list[str], change_layers: list[str], out: Path,
) -> None:  # fmt: skip
    """The interactive map ``maps/index.html``, linking to the area maps (``<area>.html`` beside it).

    ``change_csv``: the change between editions (none when the run compares no editions), whose
    ``change_layers`` indicators are drawn from the oldest edition to the run's.
    """
    from ..outputs.maps import build_map, write_map

    table_facilities = read_csv(facilities_csv)
    changes = None
    if change_csv:
        changes = read_csv(change_csv[0])
        oldest = changes["edition_from"].iloc[0] if len(changes) else ""
        changes = changes[changes["indicator"].isin(change_layers) & (changes["edition_from"] == oldest)]
        changes = changes.sort_values("indicator", key=lambda c: c.map(change_layers.index), kind="stable")
    fmap = build_map(
        read_csv(indicators_csv),
        load_departements(departements),
        table_facilities,
        layers,
        [GapRule.from_config(entry) for entry in gaps],
        _editions(table_facilities, editions),
        area_links={f"{area}.html": label for area, label in areas.items()},
        changes=changes,
    )
    write_map(fmap, out)


def static_map(
    indicators_csv: Path, facilities_csv: Path, departements: Path, indicator: str, title: str, gaps: list[dict],
    editions: dict[str, str], out: Path,
) -> None:  # fmt: skip
    """One static PNG map of an indicator."""
    from ..outputs.plot import plot_indicator

    gap_columns = [f"gap_{entry['id']}" for entry in gaps if entry["indicator"] == indicator]
    sources = "Sources : " + " ; ".join(_editions(read_csv(facilities_csv), editions))
    plot_indicator(_indicators_with_shapes(indicators_csv, departements), indicator, title, gap_columns, sources, out)


def _area_departements(departements: Path, codes: list[str]) -> gpd.GeoDataFrame:
    """The polygons of an area's départements; an unknown code is a configuration error."""
    shapes = load_departements(departements)
    unknown = sorted(set(codes) - set(shapes["code"]))
    if unknown:
        raise ConfigError(f"area départements not in {departements}: {', '.join(unknown)}")
    return shapes[shapes["code"].isin(codes)]


def _area_polygon(shapes: gpd.GeoDataFrame, crs: str, buffer_km: float) -> shapely.Geometry:
    """Some départements plus ``buffer_km``, as one WGS84 (multi)polygon."""
    polygon = shapes.to_crs(crs).buffer(buffer_km * 1000).union_all()
    return gpd.GeoSeries([polygon], crs=crs).to_crs(WGS84).iloc[0]


def split_network(source: Path, departements: Path, departement_codes: list[str], buffer_km: float, out: Path) -> None:
    """Cut a large OSM extract (a région, France) into one piece per département plus ``buffer_km``, in one pass."""
    shapes = _area_departements(departements, departement_codes)
    crs = area_crs(shapes)
    areas = {code: _area_polygon(shapes[shapes["code"] == code], crs, buffer_km) for code in departement_codes}
    split_extract(source, areas, out)


def prepare_network(
    kind: str, path: str, departements: Path, departement_codes: list[str], buffer_km: float, converter_defaults: dict,
    overpass_url: str, out: Path,
) -> None:  # fmt: skip
    """Read a network source once, for all the départements it serves: arrays with road features (``.npz``).

    Only the roads within ``buffer_km`` of those départements are kept. Road features (junctions,
    stretches, built-up areas) are measured here, on the whole area, so that every département's
    slice (:func:`network`) sees the same roads the same way, wherever its cut falls. A ``download``
    asks ``overpass_url`` (empty: osmnx's default server).
    """
    shapes = _area_departements(departements, departement_codes)
    crs = area_crs(shapes)
    polygon = _area_polygon(shapes, crs, buffer_km)
    network = load_network(
        kind, path or None, polygon, crs, converter_defaults_kph=converter_defaults, overpass_url=overpass_url
    )
    network.save(out)


def network(
    prepared: Path, origin: str, departements: Path, departement_codes: list[str], buffer_km: float, horizon_min: float,
    speeds: dict, out: Path, warnings: Path,
) -> None:  # fmt: skip
    """The drivable network around some départements, with edge travel times, as compact arrays (``.npz``).

    The prepared network is cut to the départements plus ``buffer_km`` (the extent, kept in the arrays)
    and its largest strongly connected component kept; then only the roads within ``horizon_min`` of
    the départements, either way, under the run's speed model or its alternative, keep their edges.
    Every trip of at most ``horizon_min`` that starts or ends in the départements then runs on this
    network, unless it would leave the cut: ``warnings`` (about ``origin``, the planner's file) lists the
    nodes within the horizon where a cut removed roads (this one, the source's or its extract's
    border), and the pieces dropped as not strongly connected.
    """
    shapes = _area_departements(departements, departement_codes)
    source = RoadNetwork.load(prepared)
    cut = _area_polygon(shapes, source.crs, buffer_km)
    result = horizon_network(source, cut, shapes.union_all(), *speed_models(speeds), horizon_min=horizon_min)
    result.network.save(out)
    text = "{} nodes around ({:.4f}, {:.4f}) not strongly connected to the main network [rule connected]: dropped"
    rows = [(None, f"piece-{i + 1}", text.format(*piece)) for i, piece in enumerate(result.pieces)]
    if result.truncated:
        rows.append((None, "horizon", (
            f"{result.truncated} nodes within {horizon_min:g} minutes of {', '.join(departement_codes)} lie where the "
            f"{buffer_km:g} km cut removed roads [rule horizon-inside-buffer]: trips through them may be longer "
            "than on the whole network; raise networks.buffer_km"
        )))  # fmt: skip
    write_csv(warnings_frame(origin, rows), warnings)


def access(
    network_path: Path, origin: str, communes_path: Path, facilities_csv: Path, departement_codes: list[str],
    settings: dict, editions: dict, out_communes: Path, out_sites: Path, out_coverage: Path, out_times: Path,
    warnings: Path,
) -> None:  # fmt: skip
    """Minutes to the nearest site of each service for the communes of some départements, and coverage
    (under the run's speed model, and its shares under the alternative model).

    ``out_times`` keeps the time between every network node and the nearest site, for the isochrones;
    ``warnings`` (about ``origin``, the planner's road network) lists the départements with people off
    the network, whose access is unknown.
    """
    router = Router(RoadNetwork.load(network_path))
    communes = _read_communes(communes_path)
    communes = communes[communes["departement"].isin(departement_codes)].reset_index(drop=True)
    model = AccessModel.from_config(settings)
    facilities_table = read_csv(facilities_csv)
    cited = _editions(facilities_table, editions)
    result = commune_access(router, communes, facilities_table, model)
    alternative = commune_access(Router(router.network.under_alternative()), communes, facilities_table, model)
    write_csv(with_sources(result.communes.sort_values("commune"), cited), out_communes)
    write_csv(with_sources(result.sites.sort_values(["service", "finess"]), cited), out_sites)
    limit = settings["max_unknown_share"]
    coverage = coverage_by_departement(
        result.communes, list(model.directions), settings["thresholds_min"], alternative=alternative.communes,
        max_unknown_share=limit,
    )
    write_csv(with_sources(coverage, cited), out_coverage)
    save_node_times(result.node_seconds, out_times)
    write_csv(warnings_frame(origin, unknown_access_warnings(coverage, result.communes, limit)), warnings)


def isochrones(
    network_path: Path, times_path: Path, access_csv: Path, departements: Path, departement_codes: list[str],
    settings: dict, out: Path,
) -> None:  # fmt: skip
    """Isochrone bands drawn from the roads leaving the nodes of some départements, with their population."""
    network = RoadNetwork.load(network_path)
    access_table = read_csv(access_csv)
    table = isochrone_table(
        network,
        load_node_times(times_path),
        access_table,
        settings["thresholds_min"],
        buffer_m=settings["isochrone_buffer_m"],
        edges=edges_leaving(network, load_departements(departements), departement_codes),
        method=settings["isochrone_method"],
    )
    write_gpkg(with_sources(table, sources_of(access_table)), out, "isochrones")


def calibration(
    network_paths: list[Path], communes_path: Path, reference: Path, sites: Path, settings: dict, speeds: dict,
    fit_settings: dict, out_fitted: Path, out_validation: Path, out_communes: Path, out_plot: Path,
) -> None:  # fmt: skip
    """Fit the speed model to official road times and validate the run's model, its alternative and the fit.

    ``network_paths`` are the networks of ``fit_settings["departements"]``, in that order.
    """
    from ..outputs.plot import plot_observed_vs_modelled

    communes = _read_communes(communes_path)
    label = fit_settings["label"]
    result = calibrate(
        {code: RoadNetwork.load(path) for code, path in zip(fit_settings["departements"], network_paths, strict=True)},
        communes,
        load_reference_times(reference, fit_settings["code_column"], fit_settings["minutes_column"], communes),
        load_reference_sites(sites),
        AccessModel.from_config(settings),
        *speed_models(speeds),
        SpeedModel.from_config(fit_settings["model"], speeds["models"][fit_settings["model"]]),
        class_groups=fit_settings["class_groups"], scalars=fit_settings["fit"], initial=fit_settings["initial"],
        loss=fit_settings["loss"],
        scale_min=fit_settings["loss_scale_min"], direction=fit_settings["direction"], label=label,
    )  # fmt: skip
    write_csv(with_sources(result.validation, [label]), out_validation)
    write_csv(with_sources(result.communes, [label]), out_communes)
    write_text(config_fragment(result, label), out_fitted)
    panels = {f"{m.name} ({ROLE_LABELS[role]})": result.communes[f"{role}_minutes"].to_numpy()
              for role, m in result.models.items()}  # fmt: skip
    title = f"Temps de trajet modélisés et officiels : {label}"
    plot_observed_vs_modelled(result.communes["reference_minutes"].to_numpy(), panels, title, f"Source : {label}",
                              out_plot)  # fmt: skip


ROLE_LABELS = {"run": "modèle du calcul", "alternative": "alternative", "fitted": "ajusté"}


def merge_tables(parts: list[Path], out: Path) -> None:
    """One table from the same table of several départements: rows put together (CSV, parquet), bands dissolved
    (GeoPackage), and each site kept once, as snapped on the network where it lies nearest a road."""
    if out.suffix == ".parquet":
        pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True).to_parquet(out, index=False)
        return
    if out.suffix == ".gpkg":
        write_gpkg(merge_isochrones([gpd.read_file(p) for p in parts]), out, "isochrones")
        return
    merged = pd.concat([read_csv(p) for p in parts], ignore_index=True)
    write_csv(sites_once(merged) if {"finess", "service", "snap_m"} <= set(merged.columns) else merged, out)


def select_departements(table: Path, departement_codes: list[str], out: Path) -> None:
    """The rows of a national table that belong to some départements (a région's share)."""
    frame = read_csv(table)
    write_csv(frame[frame["departement"].isin(departement_codes)], out)


def area_map(
    access_csv: Path, isochrones_path: Path, sites_csv: Path, facilities_csv: Path, communes_path: Path,
    departements: Path, area_departements: list[str], label: str, map_service: str, thresholds: list[float],
    horizon_min: float, editions: dict, siting_csvs: list[Path], out: Path,
) -> None:  # fmt: skip
    """The drive-time map of one study area (``maps/<area>.html``), with the siting proposals.

    ``siting_csvs`` holds, per service, ``siting_<service>.csv`` then ``siting_<service>_communes.csv``.
    """
    from ..outputs.maps import build_area_map, write_map

    communes = _access_with_polygons(access_csv, communes_path)
    facilities_table = read_csv(facilities_csv)
    on_network = read_csv(sites_csv).query("on_network")[["finess", "service"]]
    fmap = build_area_map(
        label,
        communes.dropna(subset=["geometry"]),
        gpd.read_file(isochrones_path, layer="isochrones"),
        facilities_table.merge(on_network, on=["finess", "service"]),
        _area_departements(departements, area_departements),
        map_service,
        thresholds,
        horizon_min,
        _editions(facilities_table, editions),
        {
            proposals.stem.removeprefix("siting_").upper(): (read_csv(proposals), read_csv(covered))
            for proposals, covered in zip(siting_csvs[::2], siting_csvs[1::2], strict=True)
        },
    )
    write_map(fmap, out)


def _router_and_communes(
    network_path: Path, access_csv: Path, settings: dict
) -> tuple[Router, pd.DataFrame, AccessModel]:
    """The router of a network, the communes as placed by the access step, and the access model."""
    model = AccessModel.from_config(settings)
    return Router(RoadNetwork.load(network_path)), read_csv(access_csv), model


def commune_site_times(
    network_path: Path, access_csv: Path, facilities_csv: Path, settings: dict, e2sfca_settings: dict, out: Path
) -> None:
    """Minutes between the communes of a département and every site within the E2SFCA catchment (parquet)."""
    router, communes, model = _router_and_communes(network_path, access_csv, settings)
    steps = DecaySteps.from_config(e2sfca_settings["steps"])
    pairs = travel_pairs(router, communes, read_csv(facilities_csv), model, limit_min=steps.catchment_min)
    out.parent.mkdir(parents=True, exist_ok=True)
    with_sources(pairs, sources_of(communes)).to_parquet(out, index=False)


def nearest_site_times(
    network_path: Path, access_csv: Path, facilities_csv: Path, settings: dict, count: int, out: Path
) -> None:
    """The ``count`` nearest sites of each service from the communes of a département, by road within the
    horizon (the directory's drive minutes)."""
    router, communes, model = _router_and_communes(network_path, access_csv, settings)
    ranked = ranked_sites(
        router, communes, read_csv(facilities_csv), model, count=count, limit_min=settings["horizon_min"]
    )
    write_csv(with_sources(ranked, sources_of(communes)), out)


def directory(
    access_csv: Path, nearest_csv: Path, facilities_csv: Path, population: Path, label: str, map_file: str,
    settings: dict, count: int, out: Path,
) -> None:  # fmt: skip
    """The directory page of a région (``maps/annuaire-<région>.html``): for each of its communes and each
    service, the nearest sites by road (else as the crow flies) with their contacts, linked to ``map_file``."""
    from ..outputs.directory import directory_entries, directory_page, directory_payload, write_directory

    access_table = read_csv(access_csv)
    communes = access_table[["commune", "nom", "departement", "population", "lon", "lat"]].assign(
        postcodes=lambda f: f["commune"].map(load_postcodes(population)).fillna("")
    )
    facilities_table = read_csv(facilities_csv)
    entries = directory_entries(communes, read_csv(nearest_csv), facilities_table, count)
    payload = directory_payload(communes, entries, facilities_table, settings["directions"])
    method = (
        f"Temps de trajet en voiture, sans embouteillages, calculés par le projet jusqu'à {settings['horizon_min']:g} "
        "min : de la commune au site, ou du site à la commune pour les équipes qui se déplacent au domicile (HAD, "
        "EMSP). Au-delà, ou pour une commune que la route n'atteint pas, la distance à vol d'oiseau est donnée. "
        "Adresses et téléphones : FINESS ; capacités : SAE. Vérifiez auprès du site avant de vous déplacer."
    )
    write_directory(directory_page(payload, label, map_file, sources_of(access_table), method), out)


def capacity_access(
    pairs_path: Path, access_csv: Path, facilities_csv: Path, settings: dict, e2sfca_settings: dict, out: Path
) -> None:
    """E2SFCA access per commune and service, from the commune-site times of every département of the run.

    Each site's demand sums the communes of every département within its catchment, so the scores
    are computed once for the whole run, not per département.
    """
    communes = read_csv(access_csv)
    supply = {service: e2sfca_settings["supply"][service] for service in settings["directions"]}
    steps = DecaySteps.from_config(e2sfca_settings["steps"])
    table = e2sfca_scores(pd.read_parquet(pairs_path), communes, read_csv(facilities_csv), supply, steps)
    write_csv(with_sources(table, sources_of(communes)), out)


def siting_scenario(
    network_path: Path, access_csv: Path, facilities_csv: Path, finess: Path, departement_codes: list[str],
    service: str, settings: dict, siting_settings: dict, out: Path, out_communes: Path,
) -> None:  # fmt: skip
    """Greedy siting of new sites of one service in some départements, and the communes each proposal newly covers."""
    router, communes, model = _router_and_communes(network_path, access_csv, settings)
    facilities_table = read_csv(facilities_csv)
    rule = CandidateRule.from_config(siting_settings["candidates"][service])
    candidates = candidate_sites(load_finess(finess), facilities_table, service, rule, departement_codes)
    proposals, covered = greedy_scenario(
        router, communes, service_sites(facilities_table, service), candidates, model,
        direction=settings["directions"][service], minutes=siting_settings["minutes"], count=siting_settings["count"],
    )  # fmt: skip
    cited = sources_of(communes)
    write_csv(with_sources(proposals, cited), out)
    write_csv(with_sources(covered, cited), out_communes)


def area_static_map(
    access_csv: Path, communes_path: Path, facilities_csv: Path, service: str, label: str, thresholds: list[float],
    horizon_min: float, editions: dict, out: Path,
) -> None:  # fmt: skip
    """A printable PNG of an area's communes by minutes to the nearest site of one service."""
    from ..outputs.plot import plot_area_minutes

    sources = "Sources : " + " ; ".join(_editions(read_csv(facilities_csv), editions))
    title = f"{label} : minutes jusqu'au site {service} le plus proche"
    communes = _access_with_polygons(access_csv, communes_path)
    plot_area_minutes(communes, service, thresholds, horizon_min, title, sources, out)


def report(
    indicators_csv: Path, coverage_csv: Path, access_csv: Path, e2sfca_csv: Path, siting_csvs: list[Path],
    pictures: list[Path], facilities_csv: Path, label: str, area_departements: list[str], gaps: list[dict],
    editions: dict, settings: dict, titles: dict[str, str], validation_csv: str, change_csv: list[str],
    out_markdown: Path, out_html: Path,
) -> None:  # fmt: skip
    """The report of a study area, as Markdown and as a self-contained HTML page.

    ``validation_csv``: the calibration's validation table, cited in the method; empty when the run has none.
    ``change_csv``: the change between editions, reported for the area's départements (none: no section).
    """
    indicators_table = read_csv(indicators_csv)
    rules = [GapRule.from_config(entry) for entry in gaps]
    siting = {}
    for path in siting_csvs:
        table = read_csv(path)
        siting[path.stem.removeprefix("siting_").upper()] = table
    captions = {picture: _caption(picture, titles) for picture in pictures}
    relative = {captions[p]: os.path.relpath(p, out_markdown.parent) for p in pictures}
    cited = _editions(read_csv(facilities_csv), editions)
    if change_csv:
        changes = read_csv(change_csv[0])
        cited = [s for s in sources_of(changes) if s.startswith("SAE ") and s not in cited] + cited
    text = area_report_markdown(
        label,
        indicators_table[indicators_table["departement"].isin(area_departements)],
        rules,
        national_values(indicators_table),
        read_csv(coverage_csv),
        read_csv(access_csv),
        read_csv(e2sfca_csv),
        siting,
        relative,
        cited,
        method_notes(settings, read_csv(Path(validation_csv)) if validation_csv else None),
        change_section(changes, area_departements) if change_csv else [],
    )
    write_text(text, out_markdown)
    write_text(markdown_to_html(text, f"Soins palliatifs : {label}", out_markdown.parent), out_html)


def report_pdf(page: Path, out: Path) -> None:
    """The report of a study area as an A4 PDF, printed from its HTML page by headless Chromium."""
    html_to_pdf(page, out)


def _caption(picture: Path, titles: dict[str, str]) -> str:
    """French caption of a report picture: minutes to a service, or a national indicator's title."""
    if picture.stem.endswith("_minutes"):
        return f"Minutes jusqu'au site {picture.stem.removesuffix('_minutes').upper()} le plus proche"
    return f"France : {titles.get(picture.stem, picture.stem)} par département"


def manifest(
    sae: list[Path], finess: Path, facilities_csv: Path, labelled: dict[str, str], config: dict, outputs: list[Path],
    out: Path,
) -> None:  # fmt: skip
    """``manifest.json``: inputs with size, SHA-256 and edition, outputs with their SHA-256, config, versions.

    ``labelled`` maps the other inputs (population, boundaries, networks, planners' lists) to their
    edition labels; the SAE and FINESS editions are read from the data.
    """
    facilities_table = read_csv(facilities_csv)
    finess_labels = sorted(e for e in facilities_table["edition"].unique() if e.startswith("FINESS"))
    inputs = {
        **{str(folder): find_edition(folder).label for folder in sae},
        str(finess): finess_labels[0] if finess_labels else "FINESS",
        **labelled,
    }
    write_manifest(build_manifest(inputs, outputs, config), out)
