"""Drive time from every commune to the nearest site of each service, and coverage by département."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from ..errors import ArgumentError
from .checks import (
    degrees_not_labelled_metres, known_values, routed_services, travel_times_set, unique_keys, wgs84_points,
)  # fmt: skip
from .columns import Columns
from .geometry import WGS84
from .network import RoadNetwork, project
from .routing import Nearest, bounded_times, nearest_sites, travel_matrix

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccessModel:
    """Parameters of the access computation.

    Parameters
    ----------
    directions
        Service -> ``to_site`` (patients travel) or ``from_site`` (teams travel).
    offroad_kph
        Speed between a point and its nearest network node (the snapping distance, straight line).
    max_snap_m
        A point further than this from any node is off the network: flagged, not routed.
    horizon_min
        Longest time reported: a département's network holds the roads within this time of it, so a
        longer trip may leave it; beyond, a commune has no time (more than the horizon).
    origin
        Where a commune's inhabitants are placed (:func:`population_points`).
    """

    directions: dict[str, str]
    offroad_kph: float
    max_snap_m: float
    horizon_min: float = np.inf
    origin: str = "nearest_road"

    CONFIG_KEYS: ClassVar[tuple[str, ...]] = ("directions", "offroad_kph", "max_snap_m", "horizon_min", "origin")

    @classmethod
    def from_config(cls, settings: dict) -> AccessModel:
        """Build from the config's ``access`` section (its keys :attr:`CONFIG_KEYS`)."""
        return cls(*(settings[key] for key in cls.CONFIG_KEYS))


@dataclass(frozen=True)
class Snapped:
    """Points snapped to their nearest network node."""

    node: np.ndarray
    distance_m: np.ndarray
    on_network: np.ndarray

    def offroad_seconds(self, offroad_kph: float) -> np.ndarray:
        """Straight-line access time between each point and its node."""
        return self.distance_m / (offroad_kph / 3.6)


class Router:
    """A prepared network: travel-time matrices both ways (built when first routed on) and a spatial index of its
    nodes."""

    def __init__(self, network: RoadNetwork):
        self.network = network
        self.xy = network.projected_xy()
        self._tree = cKDTree(self.xy)
        self._extent = shapely.from_wkt(network.extent) if network.extent else None

    @cached_property
    def forward(self) -> sp.csr_matrix:
        """Travel times of the network's edges as a sparse matrix (:func:`coverage.core.routing.travel_matrix`); a
        network without times (as a reader gives it, before :meth:`RoadNetwork.with_times`) is refused."""
        network = self.network
        travel_times_set(network.travel_time_s, network.length_m)
        return travel_matrix(network.source, network.target, network.travel_time_s, network.n_nodes)

    @cached_property
    def backward(self) -> sp.csr_matrix:
        """The transpose of :attr:`forward`: searches towards a node."""
        return self.forward.T.tocsr()

    def snap(self, lon: np.ndarray, lat: np.ndarray, max_snap_m: float) -> Snapped:
        """Nearest node of each WGS84 point, the distance to it, and whether it is on the network.

        On the network: within ``max_snap_m`` of a node, and inside the extent the network was cut to
        (a site beyond a département's buffer is reached by roads this network does not hold). A
        point without coordinates is off the network (infinite distance).
        """
        located = np.isfinite(lon) & np.isfinite(lat)
        if self._extent is not None:
            located &= shapely.contains_xy(self._extent, np.nan_to_num(lon), np.nan_to_num(lat))
        node = np.zeros(len(lon), dtype=np.int64)
        distance = np.full(len(lon), np.inf)
        if located.any():
            distance[located], node[located] = self._tree.query(project(lon[located], lat[located], self.network.crs))
        return Snapped(node=node, distance_m=distance, on_network=distance <= max_snap_m)

    def nearest(
        self, sites: Snapped, offroad_kph: float, direction: str, *, backup: bool = False
    ) -> tuple[Nearest, np.ndarray]:
        """Nearest-site search from the sites on the network (with ``backup``, the nearest other site's time too:
        :func:`coverage.core.routing.nearest_sites`); returns it and those sites' positions."""
        usable = np.flatnonzero(sites.on_network)
        offsets = sites.offroad_seconds(offroad_kph)[usable]
        return nearest_sites(self.forward, self.backward, sites.node[usable], offsets, direction, backup=backup), usable


ORIGINS = ("chef_lieu", "nearest_road", "densest_junctions")


def population_points(
    router: Router, communes: gpd.GeoDataFrame, origin: str = "nearest_road", *, columns: Columns,
) -> pd.DataFrame:  # fmt: skip
    """Where each commune (identified by its ``commune_id`` column) places its population: ``lon``, ``lat``,
    ``point_source``.

    With ``origin`` ``chef_lieu``, the commune's chef-lieu (its main settlement, where official road times
    start: columns ``chef_lieu_lon``, ``chef_lieu_lat``), snapped like any point; a commune without one falls
    back to ``nearest_road``. Otherwise a network node inside the commune, chosen by ``origin``:

    - ``nearest_road``: the node nearest the commune's representative point. Weighted by population,
      it matches official road times, measured from each commune's chef-lieu, best: the chef-lieu
      is often the historical village, away from the newer settlement on the plain or the coast;
    - ``densest_junctions``: the node with the most junctions within 300 m, ties going to the node
      nearest the representative point: the densest settlement, often where most inhabitants live.

    People live along roads, while the representative point of a mountain commune may lie
    kilometres into the forest. A commune without any node keeps its representative point
    (``representative_point``), snapped like any other point.
    """
    commune_id = columns.commune
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
    if origin == "chef_lieu":
        given = communes["chef_lieu_lon"].notna() & communes["chef_lieu_lat"].notna()
        placed = pd.DataFrame({"lon": communes["chef_lieu_lon"], "lat": communes["chef_lieu_lat"],
                               "point_source": "chef_lieu"}, index=communes.index)  # fmt: skip
        if not given.all():
            placed.loc[~given] = population_points(router, communes[~given], "nearest_road", columns=columns)
        return placed
    network = router.network
    located = communes[communes.geometry.notna()].to_crs(WGS84)
    west, south, east, north = located.total_bounds if len(located) else (0.0, 0.0, -1.0, -1.0)
    near = np.flatnonzero((network.lon >= west) & (network.lon <= east) & (network.lat >= south)
                          & (network.lat <= north))  # fmt: skip  (only the nodes that may lie in a commune)
    nodes = gpd.GeoDataFrame(geometry=gpd.points_from_xy(network.lon[near], network.lat[near]), index=near, crs=WGS84)
    inside = gpd.sjoin(nodes, gpd.GeoDataFrame({"code": located[commune_id]}, geometry=located.geometry.to_numpy(),
                                               crs=WGS84), predicate="within")  # fmt: skip
    anchors = pd.DataFrame(
        project(communes["lon"], communes["lat"], network.crs), index=communes[commune_id], columns=["x", "y"]
    )
    offsets = router.xy[inside.index] - anchors.loc[inside["code"]].to_numpy()
    inside = inside.assign(
        distance=np.hypot(offsets[:, 0], offsets[:, 1]), junctions=network.nearby_junctions[inside.index]
    )
    if origin == "densest_junctions":
        chosen = inside.sort_values(["code", "junctions", "distance"], ascending=[True, False, True])
    else:
        chosen = inside.sort_values(["code", "distance"])
    chosen = chosen.drop_duplicates("code")
    node = communes[commune_id].map(pd.Series(chosen.index.to_numpy(), index=chosen["code"].to_numpy()))
    has_node = node.notna().to_numpy()
    node_index = node.fillna(0).astype(np.int64).to_numpy()
    return pd.DataFrame(
        {
            "lon": np.where(has_node, network.lon[node_index], communes["lon"]),
            "lat": np.where(has_node, network.lat[node_index], communes["lat"]),
            "point_source": np.where(has_node, origin, "representative_point"),
        },
        index=communes.index,
    )


def service_sites(facilities: pd.DataFrame, service: str, *, columns: Columns) -> pd.DataFrame:
    """Located sites of one service (one row per site, as identified by the ``site_id`` column), in the order of
    their ids: a tie between sites goes to the smaller id."""
    site_id = columns.site
    sites = facilities[(facilities["service"] == service) & facilities["lon"].notna()]
    return sites.drop_duplicates(site_id).sort_values(site_id, kind="stable").reset_index(drop=True)


def snapped_sites(
    router: Router, facilities: pd.DataFrame, service: str, max_snap_m: float, *, columns: Columns,
) -> tuple[pd.DataFrame, Snapped]:
    """The located sites of a service and their snapping to the network."""
    sites = service_sites(facilities, service, columns=columns)
    return sites, router.snap(sites["lon"].to_numpy(), sites["lat"].to_numpy(), max_snap_m)


def sites_once(sites: pd.DataFrame, *, columns: Columns) -> pd.DataFrame:
    """The sites of several networks (``access_sites.csv`` of neighbouring départements), each site of a
    service kept once, as snapped on the network where it lies nearest a road."""
    site_id = columns.site
    ordered = sites.sort_values(["service", site_id, "snap_m"], kind="stable")
    return ordered.drop_duplicates(["service", site_id])


def point_commune_seconds(
    router: Router, lon: np.ndarray, lat: np.ndarray, communes: pd.DataFrame, model: AccessModel, *, direction: str,
    limit_min: float,
) -> np.ndarray:  # fmt: skip
    """Seconds between each point (a site) and each commune, off-road legs at both ends included.

    One bounded search per point, searched no further than ``limit_min`` on the road; ``inf`` beyond
    it, and for points or communes off the network. Shape (points, communes).
    """
    points = router.snap(lon, lat, model.max_snap_m)
    places = router.snap(communes["lon"].to_numpy(float), communes["lat"].to_numpy(float), model.max_snap_m)
    seconds = np.full((len(lon), len(communes)), np.inf)
    usable, reachable = np.flatnonzero(points.on_network), np.flatnonzero(places.on_network)
    road = bounded_times(
        router.forward, router.backward, points.node[usable], places.node[reachable], limit_min * 60, direction
    )
    offroad = (
        points.offroad_seconds(model.offroad_kph)[usable, None] + places.offroad_seconds(model.offroad_kph)[reachable]
    )
    seconds[np.ix_(usable, reachable)] = road + offroad
    return seconds


def site_commune_seconds(
    router: Router, communes: pd.DataFrame, facilities: pd.DataFrame, model: AccessModel, *, limit_min: float,
    columns: Columns,
) -> Iterator[tuple[str, pd.DataFrame, np.ndarray]]:  # fmt: skip
    """For each service of ``model``: its sites and the seconds between each of them and each commune, in the
    service's direction, searched no further than ``limit_min`` (:func:`point_commune_seconds`)."""
    for number, (service, direction) in enumerate(model.directions.items(), start=1):
        sites = service_sites(facilities, service, columns=columns)
        logger.info("%s (%d of %d): %d sites searched up to %g min", service, number, len(model.directions),
                    len(sites), limit_min)  # fmt: skip
        lon, lat = sites["lon"].to_numpy(float), sites["lat"].to_numpy(float)
        yield service, sites, point_commune_seconds(
            router, lon, lat, communes, model, direction=direction, limit_min=limit_min
        )


def ranked_sites(
    router: Router, communes: pd.DataFrame, facilities: pd.DataFrame, model: AccessModel, *, count: int,
    limit_min: float, columns: Columns,
) -> pd.DataFrame:  # fmt: skip
    """The ``count`` nearest sites of each service from each commune by road, within ``limit_min``.

    Times are in each service's direction (``model.directions``), off-road legs included, like the
    commune minutes; a commune gets fewer sites (or none) when fewer are reached within the limit.

    Returns
    -------
    pandas.DataFrame
        ``commune_id``, ``service``, ``rank`` (1 = nearest), the site's ``site_id``, ``minutes``, sorted.
    """
    site_id, commune_id = columns.site, columns.commune
    frames = []
    ranked = site_commune_seconds(router, communes, facilities, model, limit_min=limit_min, columns=columns)
    for service, sites, seconds in ranked:
        order = np.argsort(seconds, axis=0, kind="stable")[: min(count, len(sites))]
        best = np.take_along_axis(seconds, order, axis=0)
        rank, commune = np.nonzero(np.isfinite(best))
        frames.append(
            pd.DataFrame(
                {
                    commune_id: communes[commune_id].to_numpy()[commune],
                    "service": service,
                    "rank": rank + 1,
                    site_id: sites[site_id].to_numpy()[order[rank, commune]],
                    "minutes": best[rank, commune] / 60,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values([commune_id, "service", "rank"], ignore_index=True)


@dataclass(frozen=True)
class Access:
    """Result of :func:`commune_access`.

    Attributes
    ----------
    communes
        ``commune``, ``nom``, the ``area``, ``population``, ``lon``, ``lat`` (the point used),
        ``point_source``, ``snap_m``, ``on_network``, and per service S: ``S_minutes`` (NaN, never
        ``inf``, off the network, beyond the horizon or where no site of S is routed), ``S_nearest`` (``site_id`` of the nearest site) and ``S_backup_minutes``, the minutes to
        the nearest other site of the service, where the commune's people would go if their nearest closed
        (NaN when no other site is within the horizon).
    sites
        ``site_id``, ``service``, ``area``, ``snap_m``, ``on_network`` of the sites on the network and of
        the area's own sites (flagged when off the network).
    node_seconds
        Service -> (seconds between every node and the nearest site, direction), for isochrones.
    node_sites
        Service -> ``site_id`` of every node's nearest site (``""`` where none is reached), for
        :func:`place_access`.
    dropped_sites
        ``site_id``, ``service``, ``area``, ``snap_m`` of the sites of other areas further than ``max_snap_m``
        from the network (outside its extent: infinite), not routed.
    """

    communes: pd.DataFrame
    sites: pd.DataFrame
    node_seconds: dict[str, tuple[np.ndarray, str]]
    node_sites: dict[str, np.ndarray] = field(default_factory=dict)
    dropped_sites: pd.DataFrame = field(default_factory=pd.DataFrame)


def commune_access(
    router: Router, communes: gpd.GeoDataFrame, facilities: pd.DataFrame, model: AccessModel, *, columns: Columns,
) -> Access:  # fmt: skip
    """Minutes between each commune's population point and the nearest site of every service.

    ``communes`` has the ``commune_id``, ``name`` (optional: None for none), ``area`` and ``population`` columns,
    ``lon``, ``lat`` and a polygon; ``facilities`` the sites' ``site_id``, ``service``, ``area``, ``lon``, ``lat``.
    Every located site is snapped, whatever its area (a patient may cross a border); sites and communes
    further than ``max_snap_m`` from the network are flagged and not routed (those of other areas are listed in
    :attr:`Access.dropped_sites`, never silently left out). Times beyond the model's horizon are left empty.
    :attr:`Access.communes` keeps the caller's column names, and is a GeoDataFrame with the communes' geometry and
    CRS when ``communes`` is one.

    Raises
    ------
    ArgumentError
        A commune without population, a commune id or a (site, service) given twice, coordinates that are not
        WGS84 degrees, points off the network that would be on it with lon and lat swapped.
    ArgumentTypeError
        Coordinates that are not numbers.

    Warns
    -----
    UserWarning
        A service whose sites all lie off the network (none routed: every commune has no minutes to it).
    """
    site_id, area, commune_id = columns.site, columns.area, columns.commune
    name, population = columns.name, columns.population
    _check_communes(communes, area, commune_id, population)
    wgs84_points(facilities, "facilities")
    unique_keys(facilities, [site_id, "service"], "facilities")
    placed = population_points(router, communes, model.origin, columns=columns)
    points = router.snap(placed["lon"].to_numpy(), placed["lat"].to_numpy(), model.max_snap_m)
    not_swapped(router, placed, points, model.max_snap_m, "communes")
    commune_offroad = points.offroad_seconds(model.offroad_kph)
    access = pd.DataFrame(
        {
            commune_id: communes[commune_id].to_numpy(),
            **({name: communes[name].to_numpy()} if name is not None else {}),
            area: communes[area].to_numpy(),
            population: communes[population].to_numpy(),
            "lon": placed["lon"].to_numpy(),
            "lat": placed["lat"].to_numpy(),
            "point_source": placed["point_source"].to_numpy(),
            "snap_m": points.distance_m.round(1),
            "on_network": points.on_network,
        }
    )
    site_rows, node_seconds, node_sites, dropped = [], {}, {}, []
    for number, (service, direction) in enumerate(model.directions.items(), start=1):
        logger.info("%s (%d of %d): routing %d communes to the nearest site", service, number, len(model.directions),
                    len(communes))  # fmt: skip
        sites, snapped = snapped_sites(router, facilities, service, model.max_snap_m, columns=columns)
        not_swapped(router, sites, snapped, model.max_snap_m, "facilities")
        if len(sites) and not snapped.on_network.any():
            warnings.warn(f"no site of {service} lies within max_snap_m ({model.max_snap_m:g} m) of the network: "
                          f"none of its {len(sites)} sites is routed (Access.dropped_sites, Access.sites), every "
                          "commune has no minutes to it", stacklevel=2)  # fmt: skip
        considered = snapped.on_network | sites[area].isin(communes[area]).to_numpy()
        dropped.append(sites.loc[~considered, [site_id, "service", area]].assign(
            snap_m=snapped.distance_m[~considered]))  # fmt: skip
        site_rows.append(
            sites.loc[considered, [site_id, "service", area]].assign(
                snap_m=snapped.distance_m[considered].round(1), on_network=snapped.on_network[considered]
            )
        )
        nearest, usable = router.nearest(snapped, model.offroad_kph, direction, backup=True)
        node_seconds[service] = (nearest.seconds, direction)
        backup = nearest.backup[points.node] + commune_offroad
        codes = sites[site_id].to_numpy()[usable]
        node_site = first_of_colocated(codes, snapped.node[usable], snapped.distance_m[usable])[nearest.site]
        node_sites[service] = np.where(node_site >= 0, codes[np.clip(node_site, 0, None)] if len(codes) else "", "")
        s = service.lower()
        access[f"{s}_minutes"], access[f"{s}_nearest"], reached = _nearest_of_points(
            nearest.seconds, node_sites[service], points, commune_offroad, model.horizon_min)  # fmt: skip
        backed = reached & np.isfinite(backup) & (backup <= model.horizon_min * 60)
        access[f"{s}_backup_minutes"] = np.where(backed, backup / 60, np.nan)
    return Access(communes=with_geometry_of(access, communes), sites=pd.concat(site_rows, ignore_index=True),
                  node_seconds=node_seconds, node_sites=node_sites,
                  dropped_sites=pd.concat(dropped, ignore_index=True))  # fmt: skip


def with_geometry_of(table: pd.DataFrame, given: pd.DataFrame) -> pd.DataFrame:
    """``table`` (a row per row of ``given``, in its order) as a GeoDataFrame with ``given``'s geometry column and
    CRS when ``given`` is a GeoDataFrame: a result in the caller's terms."""
    if not isinstance(given, gpd.GeoDataFrame) or given.geometry.name in table:
        return table
    column = given.geometry.name
    return gpd.GeoDataFrame(table.assign(**{column: given.geometry.to_numpy()}), geometry=column, crs=given.crs)


def not_swapped(router: Router, points: pd.DataFrame, snapped: Snapped, max_snap_m: float, argument: str) -> None:
    """Refuse points off the network that would be on it with ``lon`` and ``lat`` swapped (a column order mistaken:
    the points would silently reach nothing)."""
    off = ~snapped.on_network & np.isfinite(points["lon"].to_numpy(float)) & np.isfinite(points["lat"].to_numpy(float))
    if not off.any():
        return
    lon, lat = points["lon"].to_numpy(float)[off], points["lat"].to_numpy(float)[off]
    swapped = router.snap(lat, lon, max_snap_m).on_network
    if swapped.any():
        first = np.flatnonzero(swapped)[0]
        raise ArgumentError(f"{argument}[['lon', 'lat']]", f"{int(swapped.sum())} points off the network that lie "
                            f"on it with lon and lat swapped (first: lon {lon[first]:g}, lat {lat[first]:g})",
                            "longitudes in 'lon' and latitudes in 'lat' (WGS84 degrees)")  # fmt: skip


def _routed(access: pd.DataFrame) -> list[str]:
    """The services an access table has minutes for (``S_minutes`` columns)."""
    return [c.removesuffix("_minutes").upper() for c in access.columns if c.endswith("_minutes") and
            not c.endswith("_backup_minutes")]  # fmt: skip


def _check_communes(communes: pd.DataFrame, area: str, commune_id: str, population: str) -> None:
    """Communes the access can count: each id once, a population each, points in degrees, a CRS that is theirs."""
    for column in (commune_id, area):
        known_values(communes, column, "communes", f"a {column} for every commune")
    unique_keys(communes, [commune_id], "communes")
    known_values(communes, population, "communes", "a number of inhabitants for every commune (0 for none): a "
                 "missing one would drop its people from every total")  # fmt: skip
    wgs84_points(communes, "communes")
    degrees_not_labelled_metres(communes, "communes")


def place_access(
    router: Router, access: Access, places: pd.DataFrame, services: list[str], model: AccessModel, *, place_id: str,
) -> pd.DataFrame:  # fmt: skip
    """Minutes between each place (``place_id``, ``lon``, ``lat``: a nursing home, a hospital) and the nearest site
    of each of ``services``, in the direction of that service's access, read from ``access``'s node times: no new
    search.

    The place is snapped and given its off-road leg as a commune's point is. Returns ``place_id``, ``snap_m``,
    ``on_network`` and per service S ``S_minutes`` (NaN off the network or beyond the horizon) and ``S_nearest``
    (the nearest site's id, ``""`` then); a GeoDataFrame with the places' geometry and CRS when ``places`` is one.
    """
    routed_services(services, list(access.node_sites), "services")
    wgs84_points(places, "places")
    points = router.snap(places["lon"].to_numpy(float), places["lat"].to_numpy(float), model.max_snap_m)
    offroad = points.offroad_seconds(model.offroad_kph)
    table = pd.DataFrame({place_id: places[place_id].to_numpy(), "snap_m": points.distance_m.round(1),
                          "on_network": points.on_network})  # fmt: skip
    for service in services:
        s = service.lower()
        table[f"{s}_minutes"], table[f"{s}_nearest"], _ = _nearest_of_points(
            access.node_seconds[service][0], access.node_sites[service], points, offroad, model.horizon_min)
    return with_geometry_of(table, places)


def _nearest_of_points(
    node_seconds: np.ndarray, node_sites: np.ndarray, points: Snapped, offroad: np.ndarray, horizon_min: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minutes to the nearest site of each snapped point (its node's time plus its off-road leg), that site's id,
    and whether it is reached: on the network, routed to a site and within the horizon (else NaN and ``""``, never
    ``inf``: the horizon may be infinite)."""
    seconds = node_seconds[points.node] + offroad
    reached = points.on_network & np.isfinite(seconds) & (seconds <= horizon_min * 60)
    return np.where(reached, seconds / 60, np.nan), np.where(reached, node_sites[points.node], ""), reached


def first_of_colocated(codes: np.ndarray, nodes: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """For each site, the position of the site with the smallest code snapped to the same node from the same
    distance (itself when alone); one more entry, -1, so that an unreached node's ``-1`` stays -1.

    Such sites (two establishments at one address) tie for every commune: the search reports either, and this
    makes it the smaller code, whatever the order of the sites."""
    frame = pd.DataFrame({"code": codes, "node": nodes, "distance": distances})
    first = frame.sort_values("code", kind="stable").groupby(["node", "distance"], sort=False).head(1)
    representative = frame.merge(first.reset_index(), on=["node", "distance"], how="left")["index"]
    return np.append(representative.to_numpy(np.int64), -1)


def save_node_times(node_seconds: dict[str, tuple[np.ndarray, str]], path: str | Path) -> None:
    """Write the node times of every service and their directions to an uncompressed ``.npz``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    directions = {f"direction_{service}": np.array(direction) for service, (_, direction) in node_seconds.items()}
    with open(path, "wb") as handle:
        np.savez(handle, **{service: seconds for service, (seconds, _) in node_seconds.items()}, **directions)


def load_node_times(path: str | Path) -> dict[str, tuple[np.ndarray, str]]:
    """Read what :func:`save_node_times` wrote: service -> (seconds per node, direction)."""
    with np.load(path, allow_pickle=False) as data:
        services = [name for name in data.files if not name.startswith("direction_")]
        return {service: (data[service], str(data[f"direction_{service}"])) for service in services}


def population_quantile(minutes: np.ndarray, population: np.ndarray, share: float) -> float:
    """The time within which ``share`` of the population lives (lowest such commune time).

    Communes without a time (off the network, or no site within the horizon) count as infinitely
    far: NaN when the quantile falls among them, or when there is no population.
    """
    minutes = np.where(np.isnan(minutes), np.inf, minutes)
    order = np.argsort(minutes, kind="stable")
    cumulative = np.cumsum(population[order])
    if len(cumulative) == 0 or cumulative[-1] <= 0:
        return np.nan
    value = minutes[order][np.searchsorted(cumulative, share * cumulative[-1])]
    return float(value) if np.isfinite(value) else np.nan


def sites_without_backup(
    communes: pd.DataFrame, services: list[str], thresholds: list[float], *,
    sites: pd.DataFrame | None = None, columns: Columns,
) -> pd.DataFrame:  # fmt: skip
    """The people (the ``population`` column) each site alone brings within each threshold: beyond it if that site
    closed.

    For every site of each service nearest to some commune of ``communes`` within the largest threshold (the
    :attr:`Access.communes` table, with ``S_minutes``, ``S_nearest`` and ``S_backup_minutes``), by ``area`` of
    the communes and threshold:
    ``population_served``, the people whose nearest site it is within the threshold, and
    ``population_without_backup``, those of them with no other site of the service within the threshold. For
    these, ``median_backup_min`` and ``worst_backup_min`` are the minutes to their next-nearest site (the
    median by population; empty when it lies beyond the horizon), and ``population_beyond_horizon`` counts
    those left with no site within the horizon. ``sites`` (``site_id``, ``service``, ``area``) adds a row of
    zeros for each site of an area that is nobody's nearest. A ``population_75_plus`` column of ``communes`` is
    summed the same way (``population_75_plus_without_backup``).
    """
    site_id, area, population = columns.site, columns.area, columns.population
    routed_services(services, _routed(communes), "services")
    known_values(communes, population, "communes", "a number of inhabitants for every commune (0 for none)")
    rows, elderly = [], "population_75_plus" in communes
    for service in services:
        s = service.lower()
        nearest, minutes, backup = (f"{s}_nearest", f"{s}_minutes", f"{s}_backup_minutes")
        served = communes[communes[nearest].fillna("") != ""]
        served = served[served[minutes] <= max(thresholds)]
        for (code, site), group in served.groupby([area, nearest]):
            for threshold in thresholds:
                within = group[group[minutes] <= threshold]
                alone = within[~(within[backup] <= threshold)]
                people = alone[population].to_numpy(float)
                rows.append({
                    area: code, "service": service, site_id: site, "threshold_min": threshold,
                    "population_served": int(within[population].sum()),
                    "population_without_backup": int(people.sum()),
                    "median_backup_min": population_quantile(alone[backup].to_numpy(float), people, 0.5),
                    "worst_backup_min": alone[backup].max() if alone[backup].notna().all() else np.nan,
                    "population_beyond_horizon": int(alone.loc[alone[backup].isna(), population].sum()),
                    **({"population_75_plus_without_backup": alone["population_75_plus"].sum()} if elderly else {}),
                })  # fmt: skip
    names = [area, "service", site_id, "threshold_min", "population_served", "population_without_backup",
             "median_backup_min", "worst_backup_min", "population_beyond_horizon"]  # fmt: skip
    table = pd.DataFrame(rows, columns=[*names, *(["population_75_plus_without_backup"] if elderly else [])])
    if sites is not None:
        listed = sites[sites[area].isin(communes[area]) & sites["service"].isin(services)]
        idle = listed.merge(table[[area, "service", site_id]].drop_duplicates(), how="left", indicator=True)
        idle = idle.loc[idle["_merge"] == "left_only", [area, "service", site_id]].drop_duplicates()
        zeros = [idle.assign(threshold_min=threshold) for threshold in thresholds]
        counted = [column for column in table.columns if column.startswith("population_")]
        table = pd.concat([table, *zeros], ignore_index=True).fillna(dict.fromkeys(counted, 0))
    counts = ["population_served", "population_without_backup", "population_beyond_horizon"]
    return table.astype({column: int for column in counts}).sort_values(
        [area, "service", "threshold_min", "population_without_backup", site_id],
        ascending=[True, True, True, False, True], ignore_index=True,
    )


def catchments(
    communes: pd.DataFrame, sites: pd.DataFrame, service: str, capacity: str, *, columns: Columns,
) -> pd.DataFrame:  # fmt: skip
    """Each site's travel-time catchment: the communes whose nearest site of ``service`` by road it is, their
    people, and the site's capacity per 100,000 of them.

    Unlike E2SFCA (:func:`coverage.core.e2sfca.e2sfca_scores`), which shares each site's capacity over every
    commune within reach, weighted by time, a catchment gives each commune one site, its nearest: the population a
    unit or a team answers for first. ``communes`` is the :attr:`Access.communes` table (``S_nearest``,
    ``S_minutes``, the ``population`` column; a ``population_75_plus`` column is summed too); ``sites`` the
    service's sites with ``site_id`` and the ``capacity`` column (each site once; those nearest to no commune get an
    empty catchment). Communes reaching no site within the horizon are in none.

    Returns
    -------
    pandas.DataFrame
        ``site_id``, ``capacity``, ``communes``, ``population`` (the people of its communes),
        ``capacity_per_100k``, ``median_min`` and ``max_min`` (minutes of its communes, the median by population),
        and with ``population_75_plus`` that column and ``capacity_per_100k_75plus``; a site without people has no
        rate (empty). A GeoDataFrame with each site's geometry and CRS when ``sites`` is one.
    """
    site_id, population = columns.site, columns.population
    routed_services([service], _routed(communes), "service")
    unique_keys(sites, [site_id], "sites")
    s = service.lower()
    own = sites.drop_duplicates(site_id).set_index(site_id)[capacity].astype(float)
    reached = communes[communes[f"{s}_nearest"].fillna("").isin(own.index)]
    reached = reached.rename(columns={population: "population"})  # the people summed, under the output's name
    summed = ["population", *(["population_75_plus"] if "population_75_plus" in communes else [])]
    groups = reached.groupby(f"{s}_nearest")
    table = pd.DataFrame({"capacity": own, "communes": groups.size()}).fillna({"communes": 0})
    table = table.join(groups[summed].sum()).fillna(dict.fromkeys(summed, 0))
    table["median_min"] = pd.Series({site: population_quantile(g[f"{s}_minutes"].to_numpy(float),
                                                               g["population"].to_numpy(float), 0.5)
                                     for site, g in groups}, dtype=float)  # fmt: skip
    table["max_min"] = groups[f"{s}_minutes"].max()
    rates = {"population": "capacity_per_100k", "population_75_plus": "capacity_per_100k_75plus"}
    with np.errstate(divide="ignore", invalid="ignore"):
        for column in summed:
            table[rates[column]] = (table["capacity"] / table[column].astype(float) * 1e5).where(table[column] > 0)
    table = table.astype({"communes": int, "population": int})
    table = table.rename_axis(site_id).reset_index().sort_values([site_id], ignore_index=True)
    if isinstance(sites, gpd.GeoDataFrame):
        located = sites.drop_duplicates(site_id)[[site_id, sites.geometry.name]]
        return gpd.GeoDataFrame(table.merge(located, on=site_id, how="left"), geometry=sites.geometry.name,
                                crs=sites.crs)  # fmt: skip
    return table


def coverage_by_departement(
    access: pd.DataFrame, services: list[str], thresholds: list[float], *, alternative: pd.DataFrame | None = None,
    max_unknown_share: float = 1.0, columns: Columns,
) -> pd.DataFrame:  # fmt: skip
    """Population (the ``population`` column) within each threshold of each service, its share, and the median and 90th-percentile minutes,
    by ``area`` (one row per area, service and threshold).

    Communes off the network (``on_network`` false: no polygon, or farther than ``max_snap_m`` from a
    road) have no time: their people are ``population_unknown``, never counted as beyond. Shares are
    of the whole population, so they are lower bounds by at most ``share_unknown``; when that exceeds
    ``max_unknown_share`` (a network that does not cover the département) the shares and quantiles
    are left empty. Communes on the network with no site within the horizon count as beyond every
    threshold. With ``alternative`` (the same table under the alternative speed model, same rows),
    the share within each threshold under that model too (``share_within_alternative``, empty without one).
    """
    area, population = columns.area, columns.population
    routed_services(services, _routed(access), "services")
    known_values(access, population, "access", "a number of inhabitants for every commune (0 for none)")
    rows = []
    for code, group in access.groupby(area):
        total = group[population].sum()
        unknown = int(group.loc[~group["on_network"].astype(bool), population].sum())
        share_unknown = unknown / total if total else np.nan
        known = share_unknown <= max_unknown_share
        people = group[population].to_numpy(float)
        for service in services:
            column = f"{service.lower()}_minutes"
            minutes = group[column]
            quantiles = {
                "median_min": population_quantile(minutes.to_numpy(float), people, 0.5) if known else np.nan,
                "p90_min": population_quantile(minutes.to_numpy(float), people, 0.9) if known else np.nan,
            }
            for threshold in thresholds:
                within = int(group.loc[minutes <= threshold, population].sum())
                row = {
                    area: code,
                    "service": service,
                    "threshold_min": threshold,
                    "population": int(total),
                    "population_within": within,
                    "share_within": within / total if known else np.nan,
                    "population_unknown": unknown,
                    "share_unknown": share_unknown,
                    **quantiles,
                    "share_within_alternative": np.nan,
                }
                if alternative is not None and known:
                    other = int(group.loc[alternative.loc[group.index, column] <= threshold, population].sum())
                    row["share_within_alternative"] = other / total
                rows.append(row)
    return pd.DataFrame(rows)
