"""Pipeline steps: each reads its input files, calls the library and writes its outputs (one per rule)."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .access import AccessModel, Router, commune_access, coverage_by_departement, service_sites
from .e2sfca import DecaySteps, e2sfca, travel_pairs
from .errors import ConfigError
from .facilities import Inputs, build_facilities
from .geography import build_communes
from .indicators import GapRule, compute_indicators, national_totals, national_values
from .isochrones import isochrone_table
from .maps import build_area_map, build_map, write_map
from .network import (
    RoadNetwork,
    SpeedModel,
    apply_speeds,
    area_crs,
    check_graph,
    keep_main_component,
    load_graph,
    to_arrays,
)  # fmt: skip
from .plot import plot_area_minutes, plot_indicator
from .provenance import build_manifest, write_manifest
from .report import area_report_markdown, indicators_markdown, markdown_to_html, method_notes, write_text
from .siting import candidate_sites, coverage_sets, greedy, newly_covered
from .sources.boundaries import load_commune_polygons, load_departements
from .sources.finess import edition_label, load_finess
from .sources.own_sites import OwnList
from .sources.population import load_population
from .sources.rejects import REJECT_COLUMNS, WARNING_COLUMNS, warnings_frame
from .sources.sae import find_edition
from .tables import read_csv, with_sources, write_csv, write_gpkg


def communes(population: Path, polygons: Path, departements: Path, out: Path, rejects: Path, warnings: Path) -> None:
    """Current communes with population, polygon and point (``communes.gpkg``) and their row logs."""
    codes = set(load_departements(departements)["code"])
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
    own_sites: list[dict], out_csv: Path, out_gpkg: Path, rejects: Path, warnings: Path,
) -> None:  # fmt: skip
    """The facilities table (CSV and GeoPackage) with its rejects and warnings.

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
    write_csv(result.rejects, rejects)
    write_csv(result.warnings, warnings)


def merge_logs(parts: list[Path], out: Path, kind: str) -> None:
    """Concatenate row logs (``rejects`` or ``warnings``) into one table sorted by file and line."""
    columns = REJECT_COLUMNS if kind == "rejects" else WARNING_COLUMNS
    frames = [read_csv(p) for p in parts]
    merged = pd.concat([f for f in frames if len(f)] or [pd.DataFrame(columns=columns)], ignore_index=True)
    merged["line"] = merged["line"].astype("Int64")
    write_csv(merged[columns].sort_values(["file", "line", "id"], ignore_index=True), out)


def _editions(facilities_table: pd.DataFrame, labels: dict[str, str]) -> list[str]:
    """Editions of every input: those recorded in the facilities table, the configured labels, the road network's."""
    configured = [labels["population"], labels["boundaries"]] + ([labels["network"]] if "network" in labels else [])
    return sorted(facilities_table["edition"].unique()) + configured


def indicators(
    facilities_csv: Path, communes_path: Path, departements: Path, gaps: list[dict], editions: dict[str, str],
    out_csv: Path, out_national: Path, out_markdown: Path,
) -> None:  # fmt: skip
    """Indicators by département, national totals and the Markdown table for policy writers."""
    table_facilities = read_csv(facilities_csv)
    rules = [GapRule.from_config(entry) for entry in gaps]
    table, national = compute_indicators(
        table_facilities, _read_communes(communes_path), load_departements(departements), rules
    )
    totals = national_totals(national, table)
    cited = _editions(table_facilities, editions)
    write_csv(with_sources(table, cited), out_csv)
    write_csv(with_sources(totals, cited), out_national)
    write_text(indicators_markdown(table, totals, national, rules, cited), out_markdown)


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
    editions: dict[str, str], areas: dict[str, str], out: Path,
) -> None:  # fmt: skip
    """The interactive map ``maps/index.html``, linking to the area maps (``<area>.html`` beside it)."""
    table_facilities = read_csv(facilities_csv)
    fmap = build_map(
        read_csv(indicators_csv),
        load_departements(departements),
        table_facilities,
        layers,
        [GapRule.from_config(entry) for entry in gaps],
        _editions(table_facilities, editions),
        area_links={f"{area}.html": label for area, label in areas.items()},
    )
    write_map(fmap, out)


def static_map(
    indicators_csv: Path, facilities_csv: Path, departements: Path, indicator: str, title: str, gaps: list[dict],
    editions: dict[str, str], out: Path,
) -> None:  # fmt: skip
    """One static PNG map of an indicator."""
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


def network(
    kind: str, path: str, departements: Path, area_departements: list[str], buffer_km: float, speeds: dict,
    converter_defaults: dict, out: Path, warnings: Path,
) -> None:  # fmt: skip
    """The drivable network of an area with edge travel times, as compact arrays (``.npz``).

    Only its largest strongly connected component is kept; ``warnings`` lists the pieces dropped.
    """
    shapes = _area_departements(departements, area_departements)
    crs = area_crs(shapes)
    polygon = shapes.to_crs(crs).buffer(buffer_km * 1000).union_all()
    polygon = gpd.GeoSeries([polygon], crs=crs).to_crs("EPSG:4326").iloc[0]
    model = SpeedModel(speeds["defaults_kph"], speeds.get("factors", {}), converter_defaults)
    origin = path or "OpenStreetMap download"
    graph = load_graph(kind, path or None, polygon)
    check_graph(graph, origin)
    graph, pieces = keep_main_component(graph)
    to_arrays(apply_speeds(graph, model), crs).save(out)
    text = "{} nodes around ({:.4f}, {:.4f}) not strongly connected to the main network [rule connected]: dropped"
    rows = [(None, f"piece-{i + 1}", text.format(*piece)) for i, piece in enumerate(pieces)]
    write_csv(warnings_frame(origin, rows), warnings)


def access(
    network_path: Path, communes_path: Path, facilities_csv: Path, area: str, area_departements: list[str],
    settings: dict, editions: dict[str, str], out_communes: Path, out_sites: Path, out_coverage: Path,
    out_isochrones: Path,
) -> None:  # fmt: skip
    """Minutes to the nearest site of each service for the communes of an area, coverage and isochrones."""
    router = Router(RoadNetwork.load(network_path))
    communes = _read_communes(communes_path)
    communes = communes[communes["departement"].isin(area_departements)].reset_index(drop=True)
    model = AccessModel(settings["directions"], settings["offroad_kph"], settings["max_snap_m"])
    facilities_table = read_csv(facilities_csv)
    cited = _editions(facilities_table, editions)
    result = commune_access(router, communes, facilities_table, model)
    thresholds = settings["thresholds_min"]
    write_csv(with_sources(result.communes.sort_values("commune"), cited), out_communes)
    write_csv(with_sources(result.sites.sort_values(["service", "finess"]), cited), out_sites)
    coverage = coverage_by_departement(result.communes, list(model.directions), thresholds)
    write_csv(with_sources(coverage, cited), out_coverage)
    isochrones = isochrone_table(
        router.network,
        router.xy,
        result.node_seconds,
        result.communes,
        thresholds,
        settings["isochrone_buffer_m"],
        area,
    )
    write_gpkg(with_sources(isochrones, cited), out_isochrones, "isochrones")


def merge_areas(parts: list[Path], out: Path) -> None:
    """Concatenate the per-area tables (CSV, parquet) or isochrone layers (GeoPackage) into one file."""
    if out.suffix == ".parquet":
        pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True).to_parquet(out, index=False)
        return
    if out.suffix == ".gpkg":
        merged = pd.concat([gpd.read_file(p) for p in parts], ignore_index=True)
        write_gpkg(gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326"), out, "isochrones")
        return
    write_csv(pd.concat([read_csv(p) for p in parts], ignore_index=True), out)


def area_map(
    access_csv: Path, isochrones_path: Path, sites_csv: Path, facilities_csv: Path, communes_path: Path,
    departements: Path, area_departements: list[str], label: str, map_service: str, thresholds: list[float],
    editions: dict[str, str], siting_csvs: list[Path], out: Path,
) -> None:  # fmt: skip
    """The drive-time map of one study area (``maps/<area>.html``), with the siting proposals.

    ``siting_csvs`` holds, per service, ``siting_<service>.csv`` then ``siting_<service>_communes.csv``.
    """
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
    """The area's router, its communes as placed by the access step, and the access model."""
    model = AccessModel(settings["directions"], settings["offroad_kph"], settings["max_snap_m"])
    return Router(RoadNetwork.load(network_path)), read_csv(access_csv), model


def capacity_access(
    network_path: Path, access_csv: Path, facilities_csv: Path, settings: dict, e2sfca_settings: dict,
    editions: dict[str, str], out_csv: Path, out_pairs: Path,
) -> None:  # fmt: skip
    """E2SFCA access per commune and service, and the commune-site travel times it used (parquet)."""
    router, communes, model = _router_and_communes(network_path, access_csv, settings)
    facilities_table = read_csv(facilities_csv)
    steps = DecaySteps.from_config(e2sfca_settings["steps"])
    pairs = travel_pairs(router, communes, facilities_table, model, steps.catchment_min)
    population = communes.set_index("commune")["population"]
    table = communes[["commune", "departement"]].copy()
    for service in model.directions:
        supply = service_sites(facilities_table, service).set_index("finess")[e2sfca_settings["supply"][service]]
        supply = supply.fillna(0.0)
        scores = e2sfca(pairs[pairs["service"] == service], population, supply, steps)
        table[f"{service.lower()}_access"] = table["commune"].map(scores).where(communes["on_network"])
    cited = _editions(facilities_table, editions)
    write_csv(with_sources(table, cited), out_csv)
    out_pairs.parent.mkdir(parents=True, exist_ok=True)
    with_sources(pairs, cited).to_parquet(out_pairs, index=False)


SITING_COLUMNS = [
    "area", "rank", "finess", "name", "departement", "lon", "lat", "population_gain", "share_covered_after",
]  # fmt: skip


def siting_scenario(
    network_path: Path, access_csv: Path, facilities_csv: Path, finess: Path, area: str, area_departements: list[str],
    service: str, settings: dict, siting_settings: dict, editions: dict[str, str], out: Path, out_communes: Path,
) -> None:  # fmt: skip
    """Greedy siting of new sites of one service, and the communes each proposal newly covers."""
    router, communes, model = _router_and_communes(network_path, access_csv, settings)
    facilities_table = read_csv(facilities_csv)
    direction, minutes = settings["directions"][service], siting_settings["minutes"]
    candidates = candidate_sites(
        load_finess(finess), facilities_table, service, siting_settings["candidate_categories"], area_departements
    )
    existing = service_sites(facilities_table, service)
    covered_now = coverage_sets(
        router, existing["lon"].to_numpy(), existing["lat"].to_numpy(), communes, model, direction, minutes
    ).any(axis=0)
    cover = coverage_sets(
        router, candidates["lon"].to_numpy(), candidates["lat"].to_numpy(), communes, model, direction, minutes
    )
    codes = candidates["finess"].tolist()
    proposals = greedy(covered_now, cover, communes["population"].to_numpy(), siting_settings["count"], codes)
    picked = candidates.set_index("finess").loc[[p.finess for p in proposals], ["name", "departement", "lon", "lat"]]
    table = picked.reset_index().assign(
        area=area,
        rank=[p.rank for p in proposals],
        population_gain=[p.population_gain for p in proposals],
        share_covered_after=[p.share_covered_after for p in proposals],
    )
    cited = _editions(facilities_table, editions)
    write_csv(with_sources(table[SITING_COLUMNS], cited), out)
    write_csv(with_sources(newly_covered(covered_now, cover, proposals, codes, communes), cited), out_communes)


def area_static_map(
    access_csv: Path, communes_path: Path, facilities_csv: Path, service: str, label: str, thresholds: list[float],
    editions: dict[str, str], out: Path,
) -> None:  # fmt: skip
    """A printable PNG of an area's communes by minutes to the nearest site of one service."""
    sources = "Sources : " + " ; ".join(_editions(read_csv(facilities_csv), editions))
    title = f"{label} : minutes jusqu'au site {service} le plus proche"
    plot_area_minutes(_access_with_polygons(access_csv, communes_path), service, thresholds, title, sources, out)


def report(
    indicators_csv: Path, coverage_csv: Path, access_csv: Path, e2sfca_csv: Path, siting_csvs: list[Path],
    pictures: list[Path], facilities_csv: Path, label: str, area_departements: list[str], gaps: list[dict],
    editions: dict[str, str], settings: dict, titles: dict[str, str], out_markdown: Path, out_html: Path,
) -> None:  # fmt: skip
    """The report of a study area, as Markdown and as a self-contained HTML page."""
    indicators_table = read_csv(indicators_csv)
    rules = [GapRule.from_config(entry) for entry in gaps]
    siting = {}
    for path in siting_csvs:
        table = read_csv(path)
        siting[path.stem.removeprefix("siting_").upper()] = table
    captions = {picture: _caption(picture, titles) for picture in pictures}
    relative = {captions[p]: os.path.relpath(p, out_markdown.parent) for p in pictures}
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
        _editions(read_csv(facilities_csv), editions),
        method_notes(settings),
    )
    write_text(text, out_markdown)
    write_text(markdown_to_html(text, f"Soins palliatifs : {label}", out_markdown.parent), out_html)


def _caption(picture: Path, titles: dict[str, str]) -> str:
    """French caption of a report picture: minutes to a service, or a national indicator's title."""
    if picture.stem.endswith("_minutes"):
        return f"Minutes jusqu'au site {picture.stem.removesuffix('_minutes').upper()} le plus proche"
    return f"France : {titles.get(picture.stem, picture.stem)} par département"


def manifest(
    sae: Path, finess: Path, facilities_csv: Path, labelled: dict[str, str], config: dict, outputs: list[Path],
    out: Path,
) -> None:  # fmt: skip
    """``manifest.json``: inputs with size, SHA-256 and edition, outputs with their SHA-256, config, versions.

    ``labelled`` maps the other inputs (population, boundaries, networks, planners' lists) to their
    edition labels; the SAE and FINESS editions are read from the data.
    """
    facilities_table = read_csv(facilities_csv)
    finess_labels = sorted(e for e in facilities_table["edition"].unique() if e.startswith("FINESS"))
    inputs = {
        str(sae): find_edition(sae).label,
        str(finess): finess_labels[0] if finess_labels else "FINESS",
        **labelled,
    }
    write_manifest(build_manifest(inputs, outputs, config), out)
