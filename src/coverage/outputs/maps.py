"""The drive-time map of a région (``maps/<région>.html``) and the sites with their contacts, on the page every
interactive map shares (:mod:`.page`; the national page is :mod:`.explorer`).

The région's commune polygons are one geometry, drawn once: picking a service restyles it with that service's
minutes, which the page carries as the texts the tables' reader sees. The isochrone bands, the département outlines
and the communes each siting proposal brings within reach come from the same topology; the sites, clustered by
service with their contact popups, from one compact array.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ..france.constants import SERVICES
from ..france.contracts import LocationSource
from ._classes import UNKNOWN_COLOR, UNKNOWN_LABEL, UNREACHED_COLOR, minute_classes, off_network, unreached_label
from .page import Page, page_map, topology
from .french import SERVICE_NAMES, alone_text, capacity_text, french_number, minutes_text

SERVICE_COLORS = {"MSP": "#1b9e77", "HAD": "#d95f02", "EMSP": "#7570b3", "USP": "#e7298a", "LISP": "#1f78b4"}
SHOWN_AT_OPENING = ("USP", "EMSP")
LOCATION_NOTES = {
    LocationSource.FINESS: "{edition} ; localisation FINESS",
    LocationSource.COMMUNE: "{edition} ; localisation approchée (point de la commune)",
    LocationSource.LIST: "liste « {edition} » ; localisation donnée par la liste",
    LocationSource.LIST_COMMUNE: "liste « {edition} » ; localisation approchée (point de la commune)",
    LocationSource.NONE: "{edition} ; non localisé",
}
"""What a popup says of a site's source and location, by ``location_source`` (``edition`` is the row's)."""
COMMUNE_SIMPLIFY_DEGREES = 0.001
"""Tolerance of the commune polygons and isochrone bands of a région map: about 100 m, a few pixels at the zoom of a
village, where the background map draws the roads."""
CELL_DEGREES = 0.0001
"""Coordinates quantized to about 10 m: a tenth of the simplification."""
MINUTES_THEME = "Temps d'accès par la route"
SITING_COLORS = ("#6a3d9a", "#b15928", "#1f78b4", "#33a02c", "#e31a1c")


def site_popup(row: pd.Series) -> str:
    """HTML popup of a site: name, service, capacity, address, phone, FINESS number and sources."""
    lines = [f"<b>{html.escape(str(row['name']))}</b>", SERVICE_NAMES[row["service"]]]
    if capacity := capacity_text(float(row["capacity"]), row["capacity_unit"]):
        lines.append(f"Capacité : {capacity}")
    if row["service"] == "EMSP" and np.isfinite(row.get("emsp_fte", np.nan)):
        lines.append(f"Personnel salarié : {french_number(float(row['emsp_fte']), 2)} ETP")
    if row["address"]:
        lines.append(html.escape(str(row["address"])))
    if row["phone"]:
        phone = str(row["phone"])
        lines.append(f'Tél. : <a href="tel:{phone}">{" ".join(phone[i : i + 2] for i in range(0, len(phone), 2))}</a>')
    lines.append(f"FINESS {row['finess']}")
    note = LOCATION_NOTES[LocationSource(row["location_source"])]
    lines.append(f"<i>{note.format(edition=html.escape(str(row['edition'])))}</i>")
    return "<br>".join(lines)


def site_rows(facilities: pd.DataFrame) -> list[list]:
    """The located sites as ``[service, lat, lon, name, popup HTML]``, in the order of ``SERVICES``."""
    located = facilities[facilities["lon"].notna()]
    located = located.assign(position=located["service"].map(SERVICES.index)).sort_values("position", kind="stable")
    return [
        [row["service"], round(float(row["lat"]), 5), round(float(row["lon"]), 5), str(row["name"]), site_popup(row)]
        for _, row in located.iterrows()
    ]


def service_entries(shown: tuple[str, ...] = SHOWN_AT_OPENING) -> list[dict]:
    """Each service's code, French name, colour and whether its sites are shown at opening, in ``SERVICES`` order."""
    return [{"code": s, "name": SERVICE_NAMES[s], "color": SERVICE_COLORS[s], "shown": s in shown} for s in SERVICES]


def minutes_title(service: str) -> str:
    """The picker's and legend's title of a service's minutes."""
    return f"Minutes jusqu'au site {service} le plus proche"


def _class_index(minutes: pd.Series, classes: list[tuple[float, str, str]]) -> np.ndarray:
    """The class of each value of minutes, ``len(classes)`` for no time (no site within the horizon)."""
    bounds = np.array([upper for upper, _, _ in classes])
    values = minutes.astype(float).to_numpy()
    index = np.where(np.isfinite(values), np.searchsorted(bounds, values, side="left"), len(classes))
    return np.minimum(index, len(classes))


def _class_digits(minutes: pd.Series, classes: list[tuple[float, str, str]], unknown: np.ndarray) -> str:
    """The class of each commune's minutes as one digit (then: no site within the horizon; then: ``unknown``, off
    the network)."""
    index = np.where(unknown, len(classes) + 1, _class_index(minutes, classes))
    return "".join(map(str, index.tolist()))


def _band_text(service: str, band: pd.Series) -> str:
    """Tooltip of an isochrone band: service, minutes, people and area."""
    return (f"{service} : {band['min_from']:g} – {band['min_to']:g} min<br>{french_number(band['population'])} "
            f"habitants<br>{french_number(band['area_km2'])} km²")  # fmt: skip


def _proposal_popup(service: str, proposal: pd.Series) -> str:
    """Popup of a siting proposal: rank, service, name, FINESS number, people brought within reach."""
    return (
        f"<b>Proposition n° {proposal['rank']} ({service}, département {proposal['departement']})</b><br>"
        f"{html.escape(str(proposal['name']))}<br>FINESS {proposal['finess']}<br>"
        f"+{french_number(proposal['population_gain'])} habitants à portée<br>"
        f"Part couverte ensuite : {french_number(100 * proposal['share_covered_after'], 1)} %"
    )


def _siting_entries(siting: dict[str, tuple[pd.DataFrame, pd.DataFrame]], position: dict[str, int]) -> list[dict]:
    """Each service's proposals, with the communes (their positions in the page's geometry) each newly covers."""
    entries = []
    for service, (proposals, covered) in siting.items():
        rows = []
        for _, proposal in proposals.iterrows():
            codes = covered.loc[covered["finess"] == proposal["finess"], "commune"]
            rows.append({"lat": round(float(proposal["lat"]), 5), "lon": round(float(proposal["lon"]), 5),
                         "name": str(proposal["name"]), "popup": _proposal_popup(service, proposal),
                         "color": (int(proposal["rank"]) - 1) % len(SITING_COLORS),
                         "communes": [position[c] for c in codes if c in position]})  # fmt: skip
        entries.append({"service": service, "proposals": rows})
    return entries


ALONE_RADIUS_PX = (4, 28)
"""Radius of a site without backup on the map, from a site serving nobody alone to the one serving most alone (by
area: the square root of its people)."""


def _alone_popup(service: str, site: pd.Series, threshold: float) -> str:
    """Popup of a site without backup: name, service, its people alone and their next site ("non atteint": beyond
    the horizon)."""
    return (
        f"<b>{html.escape(str(site['name']))}</b><br>{SERVICE_NAMES[service]}<br>"
        f"{alone_text(threshold, site['population_without_backup'])}<br>"
        f"S'il fermait, site suivant : {minutes_text(site['median_backup_min'])} (médiane), "
        f"{minutes_text(site['worst_backup_min'])} au plus"
    )


def _alone_entries(alone: pd.DataFrame, sites: pd.DataFrame) -> list[dict]:
    """Each service's sites with people only they bring within the threshold, largest first:
    ``[lat, lon, radius in pixels, popup]`` (:data:`ALONE_RADIUS_PX`, one scale for every service)."""
    located = sites.drop_duplicates(["service", "finess"])[["service", "finess", "name", "lat", "lon"]]
    counted = alone[alone["population_without_backup"] > 0].merge(located, on=["service", "finess"])
    most = counted["population_without_backup"].max() if len(counted) else 1
    low, high = ALONE_RADIUS_PX
    entries = []
    for service in [s for s in SERVICES if s in set(counted["service"])]:
        own = counted[counted["service"] == service].sort_values("population_without_backup", ascending=False)
        radius = low + (high - low) * np.sqrt(own["population_without_backup"] / most)
        entries.append({"service": service, "color": SERVICE_COLORS[service], "sites": [
            [round(float(site["lat"]), 5), round(float(site["lon"]), 5), round(float(r), 1),
             _alone_popup(service, site, site["threshold_min"])]
            for (_, site), r in zip(own.iterrows(), radius, strict=True)
        ]})  # fmt: skip
    return entries


def _ehpad_popup(home: pd.Series, teams: list[str]) -> str:
    """Popup of an EHPAD: its name and commune, the nearest base of each team and its minutes."""
    lines = [f"<b>{html.escape(str(home['name']))}</b> (EHPAD)", html.escape(str(home["address"]))]
    for service in teams:
        s = service.lower()
        site = f" : {html.escape(str(home[f'{s}_nearest_name']))}" if home[f"{s}_nearest_name"] else ""
        lines.append(f"{service} la plus proche{site}, {minutes_text(home[f'{s}_minutes'])}")
    return "<br>".join(lines)


def _ehpad_entries(ehpad: pd.DataFrame, classes: list[tuple[float, str, str]], teams: list[str]) -> list[list]:
    """Each placed EHPAD: ``[lat, lon, colour, popup]``, coloured by the minutes from the nearest base of the first
    of ``teams`` (EMSP) in the map's classes (grey beyond the horizon or off the network)."""
    if ehpad is None or not teams:
        return []
    placed = ehpad[ehpad["lon"].notna() & ehpad["lat"].notna()]
    palette = [color for _, color, _ in classes] + [UNREACHED_COLOR]
    colors = [palette[i] for i in _class_index(placed[f"{teams[0].lower()}_minutes"], classes)]
    return [[round(float(home["lat"]), 5), round(float(home["lon"]), 5), color, _ehpad_popup(home, teams)]
            for (_, home), color in zip(placed.iterrows(), colors, strict=True)]  # fmt: skip


CATCHMENT_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def _catchment_popup(service: str, site: pd.Series) -> str:
    """Popup of a catchment: the site, its communes and people, its capacity per 100,000 of them."""
    unit = "ETP" if service == "EMSP" else "lits"
    return (
        f"<b>Aire de recrutement : {html.escape(str(site['name']))}</b><br>{SERVICE_NAMES[service]}<br>"
        f"{french_number(site['communes'])} communes, {french_number(site['population'])} habitants "
        f"(dont {french_number(site['population_75_plus'])} de 75 ans et plus, estimation)<br>"
        f"Capacité : {french_number(site['capacity'], 2 if service == 'EMSP' else 0)} {unit}, soit "
        f"{french_number(site['capacity_per_100k'], 2)} pour 100 000 habitants, "
        f"{french_number(site['capacity_per_100k_75plus'], 2)} pour 100 000 de 75 ans et plus"
    )


def _catchment_entries(communes: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> list[dict]:
    """Each service's catchments drawn on the area: the positions of the area's communes each site is nearest to
    (the page merges their polygons), a colour, and the popup of the whole catchment (its communes beyond the area
    included)."""
    entries = []
    for service, table in tables.items():
        nearest = communes[f"{service.lower()}_nearest"].fillna("")
        sites = table.set_index("finess")
        rows = []
        for number, (finess, positions) in enumerate(nearest.groupby(nearest).groups.items()):
            if finess in sites.index:
                rows.append({"communes": [int(i) for i in positions], "color": number % len(CATCHMENT_COLORS),
                             "popup": _catchment_popup(service, sites.loc[finess])})  # fmt: skip
        entries.append({"service": service, "catchments": rows})
    return entries


def build_area_map(
    label: str, communes: gpd.GeoDataFrame, isochrones: gpd.GeoDataFrame, sites: pd.DataFrame,
    departements: gpd.GeoDataFrame, map_service: str, thresholds_min: list[float], horizon_min: float,
    editions: list[str], siting: dict[str, tuple[pd.DataFrame, pd.DataFrame]] | None = None, *,
    region: str = "", national: str = "index.html", alone: pd.DataFrame | None = None,
    catchments: dict[str, pd.DataFrame] | None = None, ehpad: pd.DataFrame | None = None,
) -> folium.Map:  # fmt: skip
    """Drive-time map of a study area.

    Parameters
    ----------
    label
        French name of the area.
    communes
        Rows of ``access_commune.csv`` with the commune polygons.
    isochrones
        The area's isochrone bands (``service``, ``min_from``, ``min_to``, ``population``, ``area_km2``).
    sites
        Facilities rows of the sites on the area's network (with contacts).
    departements
        The area's département polygons (outlines).
    map_service
        Service whose minutes, isochrones and sites are shown at opening.
    siting
        Service -> (proposals, newly covered communes) of the siting scenarios, drawn as overlays.
    region, national
        The file-name slug of the area (its directory is ``annuaire-<region>.html``) and the national map's file:
        the header links to both.
    alone
        The sites without backup of the whole area at one threshold
        (:func:`coverage.core.access.sites_without_backup`), drawn per service as circles sized by their people.
    catchments
        Service -> the catchment of each site of the run (:func:`coverage.core.access.catchments`, named), drawn
        as the area's communes each site is nearest to, merged.
    ehpad
        The area's nursing homes with the minutes from the nearest EMSP and HAD (``referral_ehpad.csv``), drawn
        as points coloured by the minutes from the nearest EMSP base.
    """
    services = [s for s in SERVICES if f"{s.lower()}_minutes" in communes.columns]
    classes = minute_classes(thresholds_min, horizon_min)
    communes = communes.reset_index(drop=True)
    names = sorted(set().union(*(set(communes[f"{s.lower()}_nearest"].dropna()) for s in services)))
    known = dict(zip(sites["finess"], sites["name"], strict=True))
    name_index = {finess: i for i, finess in enumerate(names)}
    unknown = off_network(communes)
    entries = []
    for service in services:
        minutes = communes[f"{service.lower()}_minutes"].astype(float)
        nearest = communes[f"{service.lower()}_nearest"].fillna("")
        reached = np.isfinite(minutes) & (nearest != "")
        entries.append({
            "code": service, "title": minutes_title(service),
            "minutes": [french_number(m) if ok else "" for m, ok in zip(minutes, reached, strict=True)],
            "nearest": [name_index[n] if ok else -2 if off else -1
                        for n, ok, off in zip(nearest, reached, unknown, strict=True)],
            "classes": _class_digits(minutes.where(reached), classes, unknown),
        })  # fmt: skip
    bands = {s: isochrones[isochrones["service"] == s].reset_index(drop=True) for s in services}
    upper = {bound: i for i, (bound, _, _) in enumerate(classes)}
    layers = {"communes": gpd.GeoDataFrame({"i": range(len(communes))}, geometry=communes.geometry.to_numpy(),
                                           crs=communes.crs),
              "departements": departements[["code", "nom", "geometry"]].reset_index(drop=True),
              **{f"bands_{s}": gpd.GeoDataFrame({"i": range(len(b))}, geometry=b.geometry.to_numpy(), crs=b.crs)
                 for s, b in bands.items() if len(b)}}  # fmt: skip
    west, south, east, north = departements.total_bounds
    data = {
        "topology": topology(layers, tolerance=COMMUNE_SIMPLIFY_DEGREES, cell=CELL_DEGREES),
        "communes": {"code": communes["commune"].tolist(), "nom": communes["nom"].astype(str).tolist(),
                     "population": [french_number(p) for p in communes["population"]]},
        "services": entries, "opening": minutes_title(map_service), "theme": MINUTES_THEME,
        "site_names": [known.get(finess, finess) for finess in names],
        "classes": [{"color": color, "label": text} for _, color, text in classes]
        + [{"color": UNREACHED_COLOR, "label": unreached_label(horizon_min)}]
        + [{"color": UNKNOWN_COLOR, "label": UNKNOWN_LABEL}] * bool(unknown.any()),
        "unreached": unreached_label(horizon_min), "unknown": UNKNOWN_LABEL,
        "bands": {s: [[_band_text(s, band), upper[float(band["min_to"])]] for _, band in b.iterrows()]
                  for s, b in bands.items()},
        "site_services": service_entries(shown=(map_service,)), "sites": site_rows(sites),
        "siting": _siting_entries(siting or {}, {code: i for i, code in enumerate(communes["commune"])}),
        "siting_colors": list(SITING_COLORS),
        "alone": _alone_entries(alone, sites) if alone is not None else [],
        "catchments": _catchment_entries(communes, catchments or {}), "catchment_colors": list(CATCHMENT_COLORS),
        "ehpad": _ehpad_entries(ehpad, classes, [s for s in ("EMSP", "HAD") if s in services]),
        "alone_threshold": float(alone["threshold_min"].iloc[0]) if alone is not None and len(alone) else None,
        "view": [[south, west], [north, east]],
        "sources": f"{label} — sources : " + " ; ".join(editions),
    }  # fmt: skip
    links = (f'<a href="{html.escape(national)}">Carte nationale</a>'
             + (f' · <a href="annuaire-{html.escape(region)}.html">Annuaire</a>' if region else ""))  # fmt: skip
    fmap = page_map()
    Page("coverageAreaMap", f"Temps d'accès par la route : {label}", data, links=links,
         search=("Commune", "nom ou code INSEE")).add_to(fmap)
    return fmap
