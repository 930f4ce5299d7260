"""The steps of workflow/rules/maps.smk: the national page, the area maps, directories, static maps and reports. The map
and plot modules (folium, matplotlib) are imported by the steps that draw: every rule runs its own process, and the
others need not pay for them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ...core.access import sites_without_backup
from ...france.backup import estimated_elderly, named_sites
from ...france.constants import RUN_COLUMNS
from ...france.indicators import GapRule, national_values
from ...france.sources.boundaries import load_area_departements, load_departements
from ...france.sources.population import load_postcodes
from ...outputs.change_report import change_section
from ...outputs.citations import cited_editions, sources_line
from ...outputs.report import (
    area_report_markdown, backup_section, capacity_caveats, catchment_section, html_to_pdf, markdown_to_html,
    method_notes, picture_caption, referral_section, write_text,
)  # fmt: skip
from ...tables import read_csv, read_strings, sources_of
from ..configuration import adopt_fitted
from ._shared import ZONE_COLUMNS, access_with_polygons, indicators_with_shapes, service_of


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
    from ...outputs.explorer import national_indicators, national_page, oldest_changes
    from ...outputs.page import write_map

    table, rules = read_csv(indicators), [GapRule.from_config(entry) for entry in gaps]
    table_facilities = read_csv(facilities)
    sources = sources_line(cited_editions(table_facilities, editions))
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
    from ...outputs.plot import drawn_outlines, plot_indicator

    shapes = drawn_outlines(indicators_with_shapes(indicators, departements))
    sources = sources_line(cited_editions(read_csv(facilities), editions))
    for (indicator, title), png in zip(titles.items(), pngs, strict=True):
        gap_columns = [f"gap_{entry['id']}" for entry in gaps if entry["indicator"] == indicator]
        plot_indicator(shapes, indicator, title, gap_columns, sources, png)


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
    from ...outputs.maps import build_area_map
    from ...outputs.page import write_map

    places = access_with_polygons(access, communes)
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
        cited_editions(facilities_table, editions),
        {
            service_of(proposals): (read_csv(proposals), read_csv(covered))
            for proposals, covered in zip(siting[::2], siting[1::2], strict=True)
        },
        region=region,
        alone=sites_without_backup(places.assign(zone=label), list(directions), [drive_time_min], columns=ZONE_COLUMNS),
        catchments={service_of(path): read_csv(path) for path in catchment_tables},
        ehpad=read_csv(referral_ehpad),
    )
    write_map(fmap, page)


def directory(
    *, access: Path, nearest: Path, facilities: Path, population: Path, label: str, maps: dict[str, str],
    settings: dict, sites_per_service: int, drive_time_min: float, page: Path,
) -> None:  # fmt: skip
    """The directory page of a région (``maps/annuaire-<région>.html``): for each of its communes and each
    service, the nearest sites by road (else as the crow flies) with their contacts, each linked to the map of
    its département's area (``maps``: département -> map file), else to the national map; a site's card says
    how many of the région's people it alone brings within ``drive_time_min``."""
    from ...outputs.directory import (
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
    alone = sites_without_backup(access_table, routed, [drive_time_min], columns=RUN_COLUMNS)
    payload = directory_payload(places, entries, facilities_table, settings["directions"], maps,
                                backup_text(alone, label))  # fmt: skip
    method = directory_method(settings["horizon_min"])
    write_directory(directory_page(payload, label, sources_of(access_table), method), page)


def area_static_maps(
    *, access: Path, communes: Path, facilities: Path, indicators: Path, services: list[str], label: str,
    thresholds: list[float], horizon_min: float, editions: dict, codes: list[str], titles: dict[str, str],
    pngs: list[Path], ranking: Path,
) -> None:  # fmt: skip
    """Printable PNGs of an area: its communes by minutes to the nearest site of each service (``pngs`` in order),
    and its départements ranked on each supply indicator of ``titles`` beside the national rate (``ranking``)."""
    from ...outputs.plot import plot_area_minutes, plot_rankings

    places = access_with_polygons(access, communes)
    sources = sources_line(cited_editions(read_csv(facilities), editions))
    for service, png in zip(services, pngs, strict=True):
        title = f"{label} : minutes jusqu'au site {service} le plus proche"
        plot_area_minutes(places, service, thresholds, horizon_min, title, sources, png)
    table = read_csv(indicators)
    plot_rankings(table, codes, national_values(table), titles, sources_line(sources_of(table)), ranking)


@dataclass(frozen=True)
class AreaTables:
    """The tables a study area's report reads.

    ``siting``, ``catchment_tables``: per service; ``referral``: the EHPAD, LISP and département referral tables;
    ``earlier``: the facilities of the earlier editions, whose sites declared without beds or places are said with
    the figures they affect; ``change``: the change between editions by département and nationally (none: no
    section)."""

    indicators: Path
    coverage: Path
    access: Path
    scores: Path
    facilities: Path
    siting: list[Path]
    catchment_tables: list[Path]
    referral: list[Path]
    earlier: list[Path]
    change: list[Path]


@dataclass(frozen=True)
class CalibrationTables:
    """The run's calibration, cited in the method (each empty when the run has none): its ``validation`` table,
    the kilometres its trips ``driven`` on each road class, its reference communes (``judged``: why none was judged,
    when nothing was fitted) and its ``fitted`` model, which the run drove at (none: the shipped model)."""

    validation: list[Path]
    driven: list[Path]
    judged: list[Path]
    fitted: list[Path]


@dataclass(frozen=True)
class StudyArea:
    """A study area as its report names and reads it: its ``label`` and départements (``codes``), the gap rules,
    the editions' labels, the run's settings, the indicators' French ``titles``, the drive time quoted, and the
    ``change_layers`` indicators whose change the summary quotes."""

    label: str
    codes: list[str]
    gaps: list[dict]
    editions: dict
    settings: dict
    titles: dict[str, str]
    drive_time_min: float
    change_layers: list[str]


def report(
    *, tables: AreaTables, calibration: CalibrationTables, area: StudyArea, pictures: list[Path], ranking: Path,
    markdown: Path, html: Path,
) -> None:  # fmt: skip
    """The report of a study area, as Markdown and as a self-contained HTML page, opening on its summary page, with
    its ``pictures`` (the minutes maps) and its départements' ``ranking``."""
    from ...outputs.summary import summary_section

    indicators_table = read_csv(tables.indicators)
    rules = [GapRule.from_config(entry) for entry in area.gaps]
    captions = {picture: picture_caption(picture, area.titles) for picture in pictures}
    relative = {captions[p]: os.path.relpath(p, markdown.parent) for p in pictures}
    facilities_table, access_table = read_csv(tables.facilities), read_csv(tables.access)
    cited = cited_editions(facilities_table, area.editions, need=True)
    coverage_table = read_csv(tables.coverage)
    changes_table = read_csv(tables.change[0]) if tables.change else None
    quoted = (changes_table, read_csv(tables.change[1]), area.change_layers) if tables.change else None
    caveats = capacity_caveats([*map(read_csv, tables.earlier), facilities_table], area.codes)
    summary = summary_section(area.label, indicators_table, area.codes, rules, cited, coverage_table,
                              area.drive_time_min, quoted, caveats)  # fmt: skip
    if changes_table is not None:
        cited = [s for s in sources_of(changes_table) if s.startswith("SAE ") and s not in cited] + cited
    settings = area.settings
    method = method_notes({**settings, "speeds": adopt_fitted(settings["speeds"], calibration.fitted)},
                          *(read_csv(paths[0]) if paths else None
                            for paths in (calibration.validation, calibration.driven, calibration.judged)))  # fmt: skip
    text = area_report_markdown(
        area.label,
        indicators_table[indicators_table["departement"].isin(area.codes)],
        rules,
        national_values(indicators_table),
        coverage_table,
        access_table,
        read_csv(tables.scores),
        {service_of(path): read_csv(path) for path in tables.siting},
        relative,
        cited,
        method,
        change_section(changes_table, area.codes, caveats) if changes_table is not None else [],
        summary,
        os.path.relpath(ranking, markdown.parent),
        _backup_lines(access_table, indicators_table, facilities_table, area.label, settings["access"],
                      area.drive_time_min),  # fmt: skip
        catchment_section({service_of(path): read_csv(path) for path in tables.catchment_tables}, area.codes,
                          method["e2sfca"]),  # fmt: skip
        referral_section(*(read_csv(path) for path in tables.referral), indicators_table),
    )
    write_text(text, markdown)
    write_text(markdown_to_html(text, f"Soins palliatifs : {area.label}", markdown.parent), html)


def _backup_lines(
    access: pd.DataFrame, indicators: pd.DataFrame, facilities: pd.DataFrame, label: str, settings: dict,
    drive_time_min: float,
) -> list[str]:  # fmt: skip
    """The report's sites without backup, counted over the whole area (a site's people of every département)."""
    elderly = indicators[["departement", "population_75_plus"]].dropna()
    communes = access.assign(population_75_plus=estimated_elderly(access, elderly), zone=label)
    thresholds = sorted({drive_time_min, max(settings["thresholds_min"])})
    table = named_sites(sites_without_backup(communes, list(settings["directions"]), thresholds, columns=ZONE_COLUMNS),
                        facilities)  # fmt: skip
    names = access.set_index("commune")["nom"]
    return backup_section(table.assign(site_commune_name=table["site_commune"].map(names).fillna(table["site_commune"])),
                          drive_time_min, settings["horizon_min"])  # fmt: skip


def report_pdf(*, html: Path, pdf: Path) -> None:
    """The report of a study area as an A4 PDF, printed from its HTML page by headless Chromium."""
    html_to_pdf(html, pdf)
