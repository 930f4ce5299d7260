"""Directory ("annuaire") of a région: a person types a commune or a postcode and sees, for each service, the
nearest sites with their drive minutes, address, phone and a link to the area map centred on them.

One self-contained HTML page (data and script inlined, nothing loaded from the internet), in French.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..france.constants import SERVICES
from .citations import sources_line
from .french import SERVICE_NAMES, alone_text, capacity_text

EARTH_RADIUS_KM = 6371.0088
ENTRY_COLUMNS = ["commune", "service", "rank", "finess", "minutes", "km"]
TRAVELLERS = {"to_site": "patient", "from_site": "team"}


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on the unit sphere: the chord between two of them orders pairs as the great circle does."""
    lon, lat = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _chord_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle km of a chord between points on the unit sphere."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))


def great_circle_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between paired points."""
    return _chord_km(np.linalg.norm(_unit_vectors(lon1, lat1) - _unit_vectors(lon2, lat2), axis=1))


def straight_line_sites(communes: pd.DataFrame, sites: pd.DataFrame, count: int) -> pd.DataFrame:
    """The ``count`` nearest sites of each service from each commune as the crow flies.

    Parameters
    ----------
    communes
        ``commune``, ``lon``, ``lat`` (communes without a point are left out).
    sites
        ``finess``, ``service``, ``lon``, ``lat`` (sites without coordinates are left out).

    Returns
    -------
    pandas.DataFrame
        ``commune``, ``service``, ``rank``, ``finess``, ``km``.
    """
    frames = []
    communes = communes[communes["lon"].notna() & communes["lat"].notna()]
    origins = _unit_vectors(communes["lon"], communes["lat"])
    for service, group in sites[sites["lon"].notna()].drop_duplicates(["service", "finess"]).groupby("service"):
        k = min(count, len(group))
        chord, index = cKDTree(_unit_vectors(group["lon"], group["lat"])).query(origins, k=k)
        chord, index = chord.reshape(len(origins), k), index.reshape(len(origins), k)
        frames.append(
            pd.DataFrame(
                {
                    "commune": np.repeat(communes["commune"].to_numpy(), k),
                    "service": service,
                    "rank": np.tile(np.arange(1, k + 1), len(origins)),
                    "finess": group["finess"].to_numpy()[index.ravel()],
                    "km": _chord_km(chord.ravel()),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ENTRY_COLUMNS[:4] + ["km"])


def directory_entries(communes: pd.DataFrame, by_road: pd.DataFrame, sites: pd.DataFrame, count: int) -> pd.DataFrame:
    """The sites listed for each commune and service: those reached by road, nearest first, else (no site
    reached by road: off the network, or none within the horizon) the nearest as the crow flies.

    Parameters
    ----------
    communes
        ``commune``, ``lon``, ``lat``.
    by_road
        ``commune``, ``service``, ``rank``, ``finess``, ``minutes`` (``nearest_sites.csv``).
    sites
        The facilities table (``finess``, ``service``, ``lon``, ``lat``).

    Returns
    -------
    pandas.DataFrame
        ``ENTRY_COLUMNS``; ``minutes`` empty for straight-line entries, ``km`` the straight-line distance.
    """
    located = sites[sites["lon"].notna()].drop_duplicates(["service", "finess"]).set_index(["service", "finess"])
    road = by_road[by_road["commune"].isin(communes["commune"])]
    straight = straight_line_sites(communes, sites, count)
    reached = pd.MultiIndex.from_frame(road[["commune", "service"]].drop_duplicates())
    straight = straight[~pd.MultiIndex.from_frame(straight[["commune", "service"]]).isin(reached)]
    entries = pd.concat([road.assign(km=np.nan), straight.assign(minutes=np.nan)], ignore_index=True)
    at = communes.set_index("commune").loc[entries["commune"]]
    site = located.loc[pd.MultiIndex.from_frame(entries[["service", "finess"]])]
    entries["km"] = great_circle_km(at["lon"].to_numpy(), at["lat"].to_numpy(), site["lon"].to_numpy(),
                                    site["lat"].to_numpy())  # fmt: skip
    order = {service: position for position, service in enumerate(SERVICES)}
    entries = entries.assign(position=entries["service"].map(order))
    return entries.sort_values(["commune", "position", "rank"], ignore_index=True)[ENTRY_COLUMNS]


def directory_payload(
    communes: pd.DataFrame, entries: pd.DataFrame, sites: pd.DataFrame, directions: dict[str, str],
    maps: dict[str, str] | None = None, alone: dict[tuple[str, str], str] | None = None,
) -> dict:
    """The page's data, compact: sites once, and the communes (``commune``, ``nom``, ``departement``,
    ``postcodes``, ``population``, ``lon``) with, per service, the listed sites as ``[site index, whole
    minutes or null, km to one decimal]``, and whether the commune has a point (else nothing is listed).

    A site's map is the drive-time map of its département's area (``maps``: département -> map file), so that
    a site across a regional border opens its own région's map; the national map where no area has it.
    ``alone`` ((service, FINESS) -> a sentence, :func:`backup_text`) says how many people only that site serves.
    """
    alone = alone or {}
    maps = maps or {}
    listed = sites.drop_duplicates(["service", "finess"]).set_index(["service", "finess"])
    keys = pd.MultiIndex.from_frame(entries[["service", "finess"]].drop_duplicates())
    table = listed.loc[keys].reset_index()
    index = pd.Series(np.arange(len(keys)), index=keys)
    entries = entries.assign(site=index.loc[pd.MultiIndex.from_frame(entries[["service", "finess"]])].to_numpy())
    minutes = entries["minutes"].round().to_numpy()
    cells: dict[tuple[str, str], list] = {}
    for key, site, minute, km in zip(
        zip(entries["commune"], entries["service"], strict=True), entries["site"].tolist(), minutes,
        entries["km"].round(1).tolist(), strict=True,
    ):  # fmt: skip
        cells.setdefault(key, []).append([site, None if np.isnan(minute) else int(minute), km])
    services = [s for s in SERVICES if s in directions]
    return {
        "services": [{"code": s, "name": SERVICE_NAMES[s], "traveller": TRAVELLERS[directions[s]]} for s in services],
        "sites": [
            [
                r.finess,
                r.name,
                r.address,
                r.phone,
                round(float(r.lat), 5),
                round(float(r.lon), 5),
                capacity_text(r.capacity, r.capacity_unit),
                maps.get(r.departement, NATIONAL_MAP),
                alone.get((r.service, r.finess)),
            ]
            for r in table.itertuples()
        ],  # fmt: skip
        "communes": [
            [
                r.commune,
                r.nom,
                r.departement,
                r.postcodes,
                [cells.get((r.commune, s), []) for s in services],
                int(r.population),
                bool(np.isfinite(r.lon)),
            ]
            for r in communes.itertuples()
        ],  # fmt: skip
    }


def backup_text(table: pd.DataFrame, label: str) -> dict[tuple[str, str], str]:
    """A sentence per site with people only it brings within the threshold, from a
    :func:`coverage.core.access.sites_without_backup` table of the whole area at one threshold."""
    counted = table.groupby(["service", "finess", "threshold_min"], as_index=False)["population_without_backup"].sum()
    return {
        (r.service, r.finess): f"{alone_text(r.threshold_min, r.population_without_backup)} ({label}) : s'il "
        "fermait, ils en seraient plus loin."
        for r in counted[counted["population_without_backup"] > 0].itertuples()
    }  # fmt: skip


def directory_page(payload: dict, label: str, editions: list[str], method: str) -> str:
    """The self-contained HTML page of the directory (French)."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return (
        PAGE.replace("{{title}}", html.escape(f"Annuaire des soins palliatifs et d'accompagnement : {label}"))
        .replace("{{sources}}", html.escape(sources_line(editions, ".")))
        .replace("{{method}}", html.escape(method))
        .replace("{{data}}", data)
    )


def write_directory(page: str, path: str | Path) -> None:
    """Write the page (UTF-8), creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


NATIONAL_MAP = "index.html"
PAGE = (Path(__file__).parent / "directory.html").read_text(encoding="utf-8")


def directory_method(horizon_min: float) -> str:
    """How the directory's minutes and contacts were obtained, in French, under the page."""
    return (
        f"Temps de trajet en voiture, sans embouteillages, calculés par le projet jusqu'à {horizon_min:g} "
        "min : de la commune au site, ou du site à la commune pour les équipes qui se déplacent au domicile (HAD, "
        "EMSP). Au-delà, ou pour une commune que la route n'atteint pas, la distance à vol d'oiseau est donnée. "
        "Adresses et téléphones : FINESS ; capacités : SAE. Vérifiez auprès du site avant de vous déplacer."
    )
