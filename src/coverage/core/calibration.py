"""Fit a speed model to official road times, and measure how far any model is from them on trips it never saw.

The reference gives, for communes, the minutes by road to the nearest of some sites (the DREES emergency-access
diagnosis, computed with INSEE's Metric distancier from each commune's chef-lieu). The communes are placed and the
sites snapped exactly as the access step does, so the fitted model is the one the pipeline applies.

Which communes are judged (fitted on, and counted in the errors):

- a commune hosting a site is at 0 minutes by the reference's convention: a zero is not a road time, so these
  communes are left out of the fit and of the errors; they count in the population shares (within every
  threshold on both sides);
- on a network that covers only part of an area (its roads stop where land goes on: its *open edge*), a
  commune is judged only when its nearest site as the crow flies lies on the network and no farther than the
  open edge: every site outside the network is then farther away, as the crow flies, than one inside it.

What is fitted: one speed per class group, and some of the model's other parameters. A group is fitted only where
the fitting trips drive at least ``min_exposure_km`` of it (along their shortest paths under the starting model);
otherwise its classes keep a prior (a routing engine's car profile). No class is faster than its legal limit, and
some groups (motorways, expressways) have a floor.

How it is fitted without routing at every step: a trip's fastest path changes little between nearby models. A
routing under the starting model and under models around it (each parameter moved up and down) finds each trip's
paths; the fit then evaluates candidate models along the paths kept so far (:class:`coverage.core.paths.PathStore`:
each trip at the fastest of its kept paths, edge times from the model, no search); a routing under the fitted
model adds the paths it prefers, and the fit starts again from there, until a routing finds no trip faster than its
kept paths (usually two or three routings). Trips of several départements on
one network share its routings, and the fits that judge the model on communes it never saw start from the paths
already kept, on both cores.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from scipy.optimize import least_squares
from scipy.spatial import ConvexHull, QhullError, cKDTree

from .access import AccessModel, Router, population_points
from .columns import Columns
from .network import RoadNetwork, project
from .paths import PathStore
from .routing import Nearest, nearest_sites, travel_matrix
from .speed_model import CLASS_BOUNDS_KPH, FIT_BOUNDS, SpeedModel, legal_limit

logger = logging.getLogger(__name__)

BANDS_MIN = (0, 15, 30, 45, 60)
METHOD = "paths kept between routings"
ROUTINGS_PER_FIT = 8  # a fit stops after this many routings, converged or not (said so)
CONVERGED_MIN = 0.01  # a fit has converged when a routing finds no trip faster than its kept paths by more,
SETTLED = 0.001  # or when a fit on the paths the last routing added moved no parameter by more than this share
SPREAD = (0.8, 1.25)  # the first routings: the starting model, and each parameter of it moved by these factors
COAST_M = 5000.0  # a network's hull this close to the sea follows the coast: no roads were cut there
NOTES = {
    "judged": "",
    "host": "hosts a site: 0 min by the reference's convention, not a road time",
    "off_network": "off the network",
    "site_off_network": "its nearest site as the crow flies is off the network",
    "beyond_edge": "its nearest site as the crow flies lies beyond the network's open edge",
    "too_few": "its département has too few judged communes: not fitted on",
}
"""Why a reference commune is not judged, by note code (the ``note`` column of :attr:`Calibration.communes`)."""
UNJUDGED = {
    "off_network": "off the network",
    "site_off_network": "whose nearest site as the crow flies is off the network",
    "beyond_edge": "whose nearest site as the crow flies lies beyond the network's open edge",
    "host": "hosting a site (0 min by the reference's convention)",
    "too_few": "in départements with too few judged communes (calibration.min_communes)",
}
"""The same reasons, as a count of communes goes on (``3 off the network``)."""


def unjudged_counts(communes: pd.DataFrame) -> dict[str, int]:
    """Note code -> how many reference communes of :attr:`Calibration.communes` are not judged for that reason."""
    codes = {text: code for code, text in NOTES.items()}
    counts = communes["note"].map(codes).value_counts()
    return {code: int(counts[code]) for code in UNJUDGED if code in counts}


def not_fitted_reason(communes: pd.DataFrame, departements: list[str]) -> str:
    """Why no model could be fitted on ``departements``, from their reference communes and notes."""
    if communes.empty:
        return f"no commune of {', '.join(departements)} has an official time in the reference table"
    counts = "; ".join(f"{count} {UNJUDGED[code]}" for code, count in unjudged_counts(communes).items())
    return f"none of the {len(communes)} communes of {', '.join(departements)} with an official time is judged: {counts}"


@dataclass(frozen=True)
class Trips:
    """What routing the reference trips needs, whatever the speeds: the network, where trips start and end.

    ``origin_node``/``origin_s`` place each reference commune (node, off-road seconds; node -1 when off
    the network), ``site_node``/``site_s`` the sites on the network.
    """

    network: RoadNetwork
    origin_node: np.ndarray
    origin_s: np.ndarray
    site_node: np.ndarray
    site_s: np.ndarray
    direction: str

    def nearest(self, model: SpeedModel):
        """Every node's nearest site under ``model`` (:func:`coverage.core.routing.nearest_sites`)."""
        network = self.network
        forward = travel_matrix(network.source, network.target, model.edge_seconds(network), network.n_nodes)
        return nearest_sites(forward, forward.T.tocsr(), self.site_node, self.site_s, self.direction)

    def minutes(self, model: SpeedModel) -> np.ndarray:
        """Minutes from each commune to its nearest site under ``model`` (NaN: off the network, unreachable)."""
        return _as_minutes(self.nearest(model).seconds, self)

    def subset(self, keep: np.ndarray) -> Trips:
        """The same trips for some communes only."""
        return replace(self, origin_node=self.origin_node[keep], origin_s=self.origin_s[keep])


def prepare_trips(
    router: Router, communes: gpd.GeoDataFrame, sites_lon: np.ndarray, sites_lat: np.ndarray, access: AccessModel, *,
    columns: Columns, direction: str = "to_site",
) -> Trips:  # fmt: skip
    """Place the communes and snap the sites on the router's network as :func:`coverage.core.access.commune_access`
    does."""
    network = router.network
    placed = population_points(router, communes, access.origin, columns=columns)
    origins = router.snap(placed["lon"].to_numpy(), placed["lat"].to_numpy(), access.max_snap_m)
    sites = router.snap(np.asarray(sites_lon, float), np.asarray(sites_lat, float), access.max_snap_m)
    return Trips(
        network=network,
        origin_node=np.where(origins.on_network, origins.node, -1),
        origin_s=origins.offroad_seconds(access.offroad_kph),
        site_node=sites.node[sites.on_network],
        site_s=sites.offroad_seconds(access.offroad_kph)[sites.on_network],
        direction=direction,
    )


def open_edge(network: RoadNetwork, land: shapely.Geometry | None, coast_m: float = COAST_M) -> shapely.Geometry:
    """Where the network's roads stop but land goes on (in its CRS): the boundary of the hull of its nodes, less
    what lies at sea or within ``coast_m`` of it. ``land`` (WGS84) is where roads may run; None: land everywhere."""
    hull = _hull(network.projected_xy())
    edge = hull.boundary
    if land is None:
        return edge
    near = gpd.GeoSeries([hull.buffer(2 * coast_m)], crs=network.crs).to_crs("EPSG:4326").iloc[0]
    inland = gpd.GeoSeries([shapely.intersection(land, near)], crs="EPSG:4326").to_crs(network.crs).iloc[0]
    return edge.intersection(inland.buffer(-coast_m))


def _hull(xy: np.ndarray) -> shapely.Geometry:
    """The convex hull of points (qhull's, much faster than shapely's on millions of nodes; shapely's when the points
    are too few or in a line)."""
    try:
        return shapely.Polygon(xy[ConvexHull(xy).vertices])
    except (QhullError, ValueError):
        return shapely.convex_hull(shapely.multipoints(xy))


@dataclass(frozen=True)
class ReferenceNetwork:
    """A network with what placing and judging reference communes on it needs, prepared once for every
    département it serves: its router (snapping) and its open edge (:func:`open_edge`)."""

    router: Router
    edge: shapely.Geometry

    @classmethod
    def of(cls, network: RoadNetwork, land: shapely.Geometry | None = None) -> ReferenceNetwork:
        """Prepare a network; ``land`` (WGS84) is where roads may run (None: land everywhere)."""
        return cls(Router(network), open_edge(network, land))


def judged_communes(
    trips: Trips, observed: np.ndarray, sites_lon: np.ndarray, sites_lat: np.ndarray, max_snap_m: float,
    prepared: ReferenceNetwork,
) -> np.ndarray:  # fmt: skip
    """Why each reference commune is, or is not, judged: a key of :data:`NOTES` per commune.

    Hosts (0 minutes) are kept for the population shares (``host``); the others are judged when on the network,
    with their nearest site as the crow flies on it and no farther than its open edge (``prepared.edge``).
    """
    router, edge = prepared.router, prepared.edge
    origin = router.xy[np.maximum(trips.origin_node, 0)]
    sites = project(np.asarray(sites_lon, float), np.asarray(sites_lat, float), router.network.crs)
    distance, nearest = cKDTree(sites).query(origin)
    site_on = router.snap(np.asarray(sites_lon, float), np.asarray(sites_lat, float), max_snap_m).on_network
    to_edge = np.full(len(origin), np.inf) if edge.is_empty else shapely.distance(edge, shapely.points(origin))
    notes = np.where(distance > to_edge, "beyond_edge", "judged")
    notes = np.where(site_on[nearest], notes, "site_off_network")
    notes = np.where((observed == 0) & (notes == "judged"), "host", notes)
    return np.where(trips.origin_node >= 0, notes, "off_network")


class Routes:
    """The paths the routings of a calibration found, one :class:`~coverage.core.paths.PathStore` per network and
    sites routed: the trips of several départements on one network share its routings."""

    def __init__(self):
        self._stores: dict[tuple, PathStore] = {}
        self._last: dict[int, tuple[SpeedModel, Nearest]] = {}

    def store(self, trips: Trips) -> PathStore:
        """The store of the network and sites of some trips."""
        key = (id(trips.network), trips.direction, trips.site_node.tobytes(), trips.site_s.tobytes())
        if key not in self._stores:
            self._stores[key] = PathStore(trips.network, trips.site_node, trips.site_s, trips.direction)
        return self._stores[key]

    def copy(self) -> Routes:
        """The same kept paths in a set of their own (the work that starts from them gives the same result whatever
        ran before it)."""
        twin = Routes()
        twin._stores = {key: store.copy() for key, store in self._stores.items()}
        found = {id(store): key for key, store in self._stores.items()}
        twin._last = {id(twin._stores[found[key]]): last for key, last in self._last.items()}
        return twin

    @property
    def routings(self) -> int:
        """Routings run so far, over all networks."""
        return sum(store.routings for store in self._stores.values())

    def route(self, trips: Sequence[Trips], model: SpeedModel) -> list[np.ndarray]:
        """Route each network of ``trips`` once under ``model`` (unless its last routing was under that model), keep
        the new paths; each trips' minutes, exact (NaN: off the network, unreachable)."""
        routed = {}
        for t in trips:
            store = self.store(t)
            if id(store) not in routed:
                last = self._last.get(id(store))
                nearest = last[1] if last is not None and _same_times(last[0], model) else store.route(model)
                self._last[id(store)] = (model, nearest)
                routed[id(store)] = nearest
            store.add(routed[id(store)], t.origin_node)
        return [_as_minutes(routed[id(self.store(t))].seconds, t) for t in trips]

    def minutes(self, trips: Sequence[Trips], model: SpeedModel) -> list[np.ndarray]:
        """Each trips' minutes along the fastest of their kept paths under ``model`` (NaN where none is kept): the
        model evaluated once per network."""
        stores = {id(self.store(t)): self.store(t) for t in trips}
        found = {key: iter(store.seconds_of_each(model, [t.origin_node for t in trips if self.store(t) is store]))
                 for key, store in stores.items()}  # fmt: skip
        return [_minutes_of(next(found[id(self.store(t))]), t) for t in trips]

    def driven(self, trips: Sequence[Trips], model: SpeedModel, class_groups: dict[str, list[str]]) -> pd.DataFrame:
        """Kilometres and hours the trips drive on each class group along their fastest kept paths under ``model``
        (:func:`driven`)."""
        tables = []
        for t in trips:
            store = self.store(t)
            edges, uses, seconds = store.driven(model, t.origin_node[t.origin_node >= 0])
            network = store.network
            tables.append(pd.DataFrame({"highway": network.highway[edges], "km": uses * network.length_m[edges] / 1000,
                                        "hours": uses * seconds / 3600}))  # fmt: skip
        used = pd.concat(tables, ignore_index=True)
        group_of = {road: group for group, roads in class_groups.items() for road in roads}
        used["group"] = used["highway"].map(group_of).fillna("other")
        table = used.groupby("group")[["km", "hours"]].sum()
        return _with_speed(table.reindex([*class_groups, "other"], fill_value=0.0).reset_index())


def _same_times(one: SpeedModel, other: SpeedModel) -> bool:
    """Whether two models give every edge the same time (whatever their names and sources)."""
    return replace(one, name="", source="") == replace(other, name="", source="")


def _as_minutes(node_seconds: np.ndarray, trips: Trips) -> np.ndarray:
    """Minutes of each trip from the seconds of every node to its nearest site."""
    return _minutes_of(np.where(trips.origin_node >= 0, node_seconds[np.maximum(trips.origin_node, 0)], np.inf), trips)


def _minutes_of(seconds: np.ndarray, trips: Trips) -> np.ndarray:
    """Minutes of each trip from its seconds on the network: off-road seconds added, NaN where off the network or
    unreachable."""
    seconds = np.where(trips.origin_node >= 0, seconds, np.inf) + trips.origin_s
    return np.where(np.isfinite(seconds), seconds / 60, np.nan)


def driven(trips: Trips, model: SpeedModel, class_groups: dict[str, list[str]]) -> pd.DataFrame:
    """Kilometres and hours the trips drive on each class group along their shortest paths under ``model``.

    Returns ``group``, ``km``, ``hours`` and ``driven_kph`` (km / hours: the speed as driven, bends, built-up
    areas and junctions included); classes in no group count as ``other``.
    """
    routes = Routes()
    routes.route([trips], model)
    return routes.driven([trips], model, class_groups)


def _with_speed(table: pd.DataFrame) -> pd.DataFrame:
    """A table of ``km`` and ``hours`` with the speed they give, ``driven_kph`` (empty where nothing is driven)."""
    return table.assign(driven_kph=table["km"] / table["hours"].where(table["hours"] > 0))


@dataclass(frozen=True)
class FitSettings:
    """How a speed model is fitted.

    Parameters
    ----------
    class_groups
        Group -> road classes sharing one fitted speed (``default`` may be listed).
    scalars
        Other parameters fitted, among ``bend_coefficient``, ``built_up_kph``, ``junction_delay_s``.
    initial
        Starting value of each class group's speed and of each scalar. Fixed starting values, rather than the
        model's current ones, make the fit give the same model whatever was adopted before.
    loss, scale_min
        Robust loss of :func:`scipy.optimize.least_squares` and the residual (minutes) beyond which it weighs down.
    limits
        Speed per class no fitted speed may exceed (the legal limits); None: no such bound.
    floors
        Group -> lowest speed it may be fitted at.
    prior
        Speed per class of the groups not fitted (``default`` for other classes); None: the model's own.
    min_exposure_km
        Kilometres the fitting trips must drive on a group for it to be fitted.
    """

    class_groups: dict[str, list[str]]
    scalars: list[str]
    initial: dict[str, float]
    loss: str = "soft_l1"
    scale_min: float = 3.0
    limits: dict[str, float] | None = None
    floors: dict[str, float] | None = None
    prior: dict[str, float] | None = None
    min_exposure_km: float = 0.0

    @classmethod
    def from_config(cls, settings: dict, models: dict) -> FitSettings:
        """Build from the config's ``calibration`` section and ``speeds.models`` (the class speeds of its ``limits``
        and ``prior`` models).

        The class groups are taken in the order of their names, so that the fit does not depend on the order a
        config file lists them in."""
        return cls(
            class_groups={group: settings["class_groups"][group] for group in sorted(settings["class_groups"])},
            scalars=list(settings["fit"]), initial=settings["initial"],
            loss=settings["loss"], scale_min=settings["loss_scale_min"],
            limits=models[settings["limits"]]["class_kph"], floors=settings["floors_kph"],
            prior=models[settings["prior"]]["class_kph"], min_exposure_km=settings["min_exposure_km"],
        )  # fmt: skip

    def limit(self, road: str) -> float:
        """The highest speed of a road class (its legal limit; ``default`` for classes the limits do not name)."""
        return legal_limit(self.limits, road)

    def prior_speed(self, road: str, model: SpeedModel) -> float:
        """The speed a class keeps when its group is not fitted."""
        speeds = self.prior if self.prior is not None else model.class_kph
        return min(float(speeds.get(road, speeds["default"])), self.limit(road))


@dataclass(frozen=True)
class Fit:
    """A fitted model, its minutes for every reference commune (routed under it), how the optimiser ended, the
    kilometres the fitting trips drive on each class group (``exposure``: ``group``, ``km``, ``hours``,
    ``driven_kph``, ``fitted``), the fitted value of each fitted group and scalar (``values``), the model
    evaluations along the kept paths and the routings the fit ran, and whether its last routing found no trip
    faster than its kept paths (``converged``)."""

    model: SpeedModel
    minutes: np.ndarray
    evaluations: int
    message: str
    exposure: pd.DataFrame
    values: dict[str, float]
    routings: int = 0
    converged: bool = True


def _parameters(model: SpeedModel, settings: FitSettings, groups: list[str]):
    """Start vector, bounds and a function turning a vector into a model: one speed per fitted group (each class
    capped at its limit), the other groups at their prior, then the scalars."""
    unknown = sorted(set(settings.scalars) - set(FIT_BOUNDS))
    if unknown:
        raise ValueError(f"cannot fit {', '.join(unknown)}: parameters are {', '.join(FIT_BOUNDS)}")
    missing = sorted((set(groups) | set(settings.scalars)) - set(settings.initial))
    if missing:
        raise ValueError(f"no initial value for {', '.join(missing)}")
    floors = settings.floors or {}
    lower = [max(CLASS_BOUNDS_KPH[0], floors.get(g, 0.0)) for g in groups]
    lower += [FIT_BOUNDS[s][0] for s in settings.scalars]
    upper = [max(settings.limit(road) for road in settings.class_groups[g]) for g in groups]
    upper += [FIT_BOUNDS[s][1] for s in settings.scalars]
    x0 = np.clip([float(settings.initial[name]) for name in [*groups, *settings.scalars]], lower, upper)
    fixed = dict(model.class_kph)
    for group, roads in settings.class_groups.items():
        if group not in groups:
            fixed.update({road: settings.prior_speed(road, model) for road in roads})

    def model_at(x: np.ndarray) -> SpeedModel:
        speeds = dict(fixed)
        for value, group in zip(x[: len(groups)], groups, strict=True):
            speeds.update({road: min(float(value), settings.limit(road)) for road in settings.class_groups[group]})
        fitted = {name: float(value) for name, value in zip(settings.scalars, x[len(groups) :], strict=True)}
        return replace(model, class_kph=speeds, **fitted)

    return x0, (lower, upper), model_at


def fit_speed_model(
    trips: list[Trips], observed: list[np.ndarray], model: SpeedModel, settings: FitSettings, *,
    routes: Routes | None = None, name: str = "fit",
) -> Fit:  # fmt: skip
    """Fit class-group speeds and scalar parameters so that modelled minutes match observed ones.

    Robust non-linear least squares (:func:`scipy.optimize.least_squares`, ``settings.loss`` with residuals beyond
    ``settings.scale_min`` minutes weighed down): a few communes whose official origin lies far from where this
    model places them do not pull the fit. Communes the model cannot route, and those at 0 minutes (hosts of a
    site), are left out. A group is fitted when the trips drive at least ``settings.min_exposure_km`` of it under
    the starting model; the others keep their prior.

    Candidate models are evaluated along the paths ``routes`` keeps (each trip at the fastest of them), not by
    routing: a routing under the fitted model then adds the paths it prefers and the fit resumes from there, until
    a routing finds no trip faster than its kept paths by more than :data:`CONVERGED_MIN` minutes, or the fit on
    the paths a routing added moves no parameter by more than :data:`SETTLED` of its value (a few of thousands of
    trips may keep trading near-equal paths; at most :data:`ROUTINGS_PER_FIT` rounds). Trips with no kept path are
    routed first, under the starting model.

    Parameters
    ----------
    trips, observed
        One :class:`Trips` per network (département) and the official minutes of its communes.
    model
        The model fitted: its name and the parameters not fitted are kept.
    routes
        The paths already kept (a new, empty set when None); the fit adds to them. Trips none of whose paths were
        looked for are first routed under the starting model and under models around it (each parameter moved by
        the factors of :data:`SPREAD`), so that the kept paths hold the alternatives a change of each parameter
        would make the trips take.
    name
        What the progress log calls this fit.
    """
    routes = routes if routes is not None else Routes()
    before = routes.routings
    x, (lower, upper), starting = _parameters(model, replace(settings, prior=None), list(settings.class_groups))
    start = starting(x)
    if not all(routes.store(t).routed(t.origin_node) for t in trips):
        spread = [np.clip(np.where(np.arange(len(x)) == i, x * f, x), lower, upper)
                  for i in range(len(x)) for f in SPREAD]  # fmt: skip
        for candidate in [start, *map(starting, spread)]:
            routes.route(trips, candidate)
        logger.info("%s: routed under the starting model and %d models around it", name, len(spread))
    driven_km = routes.driven(trips, start, settings.class_groups).set_index("group")["km"]
    groups = [g for g in settings.class_groups if driven_km[g] >= settings.min_exposure_km]
    x, bounds, model_of = _parameters(model, settings, groups)
    timed = [o > 0 for o in observed]

    def residuals(x: np.ndarray) -> np.ndarray:
        gaps = [(m - o)[k] for m, o, k in zip(routes.minutes(trips, model_of(x)), observed, timed, strict=True)]
        return np.nan_to_num(np.concatenate(gaps), nan=0.0)

    scale = np.maximum(np.abs(x), 1.0)
    evaluations, converged, rounds, previous = 0, False, 0, None
    while not converged and rounds < ROUTINGS_PER_FIT:
        rounds += 1
        result = least_squares(residuals, x, bounds=bounds, loss=settings.loss, f_scale=settings.scale_min,
                               diff_step=1e-2, x_scale=scale)  # fmt: skip
        x, evaluations = result.x, evaluations + result.nfev + (result.njev or 0) * len(x)
        moved = np.inf if previous is None else float(np.max(np.abs(x - previous) / scale))
        kept = routes.minutes(trips, model_of(x))
        routed = routes.route(trips, model_of(x))
        faster = max((np.nanmax(k[t] - r[t], initial=0.0) for k, r, t in zip(kept, routed, timed, strict=True)))
        converged = faster <= CONVERGED_MIN or moved <= SETTLED
        error = np.nanmean(np.abs(np.concatenate([(r - o)[t] for r, o, t in zip(routed, observed, timed,
                                                                                  strict=True)])))  # fmt: skip
        logger.info("%s: round %d, routed under the fitted model: mean absolute error %.2f min, no trip faster than "
                    "its kept paths by more than %.2f min%s%s", name, rounds, error, faster,
                    "" if previous is None else f", parameters moved by {100 * moved:.2f} % at most",
                    "" if converged else ": fitting again")  # fmt: skip
        previous = x
    fitted = model_of(x)
    table = routes.driven(trips, fitted, settings.class_groups).assign(fitted=lambda t: t["group"].isin(groups))
    table["km_at_start"] = table["group"].map(driven_km)
    values = dict(zip([*groups, *settings.scalars], map(float, x), strict=True))
    return Fit(fitted, np.concatenate(routed), int(evaluations), str(result.message), table, values,
               routes.routings - before, converged)  # fmt: skip


def validation_table(
    observed: np.ndarray, modelled: np.ndarray, population: np.ndarray, *, bands: tuple[float, ...] = BANDS_MIN
) -> pd.DataFrame:
    """How far modelled minutes are from observed ones, for all communes and by band of observed minutes.

    Columns: ``band`` (``all``, ``0-15``…, ``60+``), ``communes``, ``timed`` (in the errors: routed, and not at 0
    in the reference), ``unrouted`` (no modelled time),
    ``median_ratio`` (modelled / observed), ``median_bias_min``, ``mean_abs_error_min``,
    ``population_abs_error_min`` (the same, weighted by population), ``share_within_5_min`` (communes
    within 5 minutes of the reference), and the population share beyond 30 minutes, modelled and in the
    reference (unrouted communes count as beyond). Communes at 0 in the reference (hosts of a site) are left out
    of the errors and count in the population shares.
    """
    edges = list(bands) + [np.inf]
    pairs = list(zip(edges, edges[1:], strict=False))
    labels = ["all"] + [f"{low:g}-{high:g}" if np.isfinite(high) else f"{low:g}+" for low, high in pairs]
    masks = [np.ones(len(observed), bool)] + [(observed >= low) & (observed < high) for low, high in pairs]
    rows = []
    for label, mask in zip(labels, masks, strict=True):
        obs, mod, pop = observed[mask], modelled[mask], population[mask]
        routed = np.isfinite(mod)
        timed = routed & (obs > 0)
        error = mod[timed] - obs[timed]
        total = pop.sum()
        rows.append(
            {
                "band": label,
                "communes": int(mask.sum()),
                "timed": int(timed.sum()),
                "unrouted": int((~routed).sum()),
                "median_ratio": float(np.median(mod[timed] / obs[timed])) if timed.any() else np.nan,
                "median_bias_min": float(np.median(error)) if len(error) else np.nan,
                "mean_abs_error_min": float(np.mean(np.abs(error))) if len(error) else np.nan,
                "population_abs_error_min": float(np.average(np.abs(error), weights=pop[timed]))
                if pop[timed].sum() > 0 else np.nan,
                "share_within_5_min": float(np.mean(np.abs(error) <= 5)) if len(error) else np.nan,
                "population_beyond_30": float(pop[~routed | (mod > 30)].sum() / total) if total else np.nan,
                "reference_population_beyond_30": float(pop[obs > 30].sum() / total) if total else np.nan,
            }
        )
    return pd.DataFrame(rows)


def reference_communes(
    departement: str, network: RoadNetwork | ReferenceNetwork, communes: gpd.GeoDataFrame, minutes: pd.Series,
    sites: pd.DataFrame, access: AccessModel, *, columns: Columns, direction: str = "to_site",
    land: shapely.Geometry | None = None,
) -> Reference:  # fmt: skip
    """The reference communes of one area (``departement``, a value of the ``columns.area`` column), placed on its
    network and judged (:func:`judged_communes`).

    ``network`` is the area's network, or the same prepared once (:class:`ReferenceNetwork`) when several areas
    share it (``land`` is then not read); ``communes`` holds every commune (the ``columns``' id, name, area and
    population, points, polygon); ``minutes`` the official minutes by commune id; ``sites`` the sites' ``lon`` and
    ``lat``. :attr:`Reference.communes` keeps those four columns under the caller's names.
    """
    commune, area, population = columns.commune, columns.area, columns.population
    prepared = network if isinstance(network, ReferenceNetwork) else ReferenceNetwork.of(network, land)
    places = communes[(communes[area] == departement) & communes[commune].isin(minutes.index)]
    places = places.sort_values(commune).reset_index(drop=True)
    trips = prepare_trips(prepared.router, places, sites["lon"], sites["lat"], access, columns=columns,
                          direction=direction)
    observed = minutes.loc[places[commune]].to_numpy(float)
    notes = judged_communes(trips, observed, sites["lon"], sites["lat"], access.max_snap_m, prepared)
    named = [commune, *([columns.name] if columns.name else []), area, population]
    return Reference(departement, trips, observed, places[population].to_numpy(float), places[named], notes, columns)


@dataclass(frozen=True)
class Reference:
    """The reference communes of one département on its network: trips, official minutes, population, notes."""

    departement: str
    trips: Trips
    observed: np.ndarray
    population: np.ndarray
    communes: pd.DataFrame
    notes: np.ndarray
    columns: Columns

    @property
    def judged(self) -> int:
        """How many communes are judged (fitted on, counted in the errors)."""
        return int((self.notes == "judged").sum())

    @property
    def counted(self) -> np.ndarray:
        """The communes counted in the validation: judged ones and hosts."""
        return np.isin(self.notes, ["judged", "host"])

    def kept(self, mask: np.ndarray | None = None) -> tuple[Trips, np.ndarray]:
        """Trips and official minutes of the counted communes (of ``mask`` among them, when given)."""
        keep = self.counted if mask is None else self.counted & mask
        return self.trips.subset(keep), self.observed[keep]


@dataclass(frozen=True)
class HeldOut:
    """Minutes of some reference communes from a model that never saw them (NaN for the others), one array per
    reference, and what the work took: routings, model evaluations, whether its fit converged."""

    minutes: list[np.ndarray]
    routings: int
    evaluations: int = 0
    converged: bool = True


def held_out_minutes(
    references: list[Reference], model: SpeedModel, settings: FitSettings, labels: list[np.ndarray], label: int, *,
    routes: Routes, name: str = "held-out fit",
) -> HeldOut:  # fmt: skip
    """Minutes of the reference communes numbered ``label`` (``labels``: a number per commune of each reference)
    from a model fitted on the communes numbered otherwise (NaN for the other communes and those not counted).

    The fit starts from ``settings.initial`` and from the paths ``routes`` keeps: starting them from the fit on
    every commune saves work without letting the held-out communes in (only where the search starts, not what it
    minimises). The held-out communes are routed under the fitted model."""
    before = routes.routings
    training = [r.kept(lab != label) for r, lab in zip(references, labels, strict=True)]
    training = [(t, o) for t, o in training if len(o)]
    fit = fit_speed_model([t for t, _ in training], [o for _, o in training], model, settings, routes=routes, name=name)
    judged = [r.counted & (lab == label) for r, lab in zip(references, labels, strict=True)]
    routed = routes.route([r.trips.subset(j) for r, j in zip(references, judged, strict=True)], fit.model)
    held = [np.full(len(r.observed), np.nan) for r in references]
    for out, j, minutes in zip(held, judged, routed, strict=True):
        out[j] = minutes
    return HeldOut(held, routes.routings - before, fit.evaluations, fit.converged)


_FORKED: Callable | None = None  # the work the processes of :func:`forked_map` run, set before they are forked


def _run_forked(index: int):
    """Run item ``index`` of the work set before forking (in a forked process)."""
    return _FORKED(index)


def forked_map(function: Callable[[int], object], count: int, workers: int) -> list:
    """``function(0)`` ... ``function(count - 1)`` in ``workers`` processes forked from this one, which share its
    memory as it is (networks, kept paths: nothing is copied but the results); here, one after the other, when
    ``workers`` is 1."""
    global _FORKED
    if workers <= 1 or count <= 1:
        return [function(i) for i in range(count)]
    for stream in (sys.stdout, sys.stderr):  # a forked copy of a buffered stream would write it twice
        stream.flush()
    _FORKED = function
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, count), mp_context=context) as pool:
            return list(pool.map(_run_forked, range(count)))
    finally:
        _FORKED = None


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    communes
        Every reference commune of the départements: ``commune``, ``nom``, ``departement``, ``population``,
        ``reference_minutes``, ``judged`` (fitted on and counted in the errors), ``note`` (why not), and the
        minutes of each role (``<role>_minutes``: ``fitted``, ``k_fold``, ``leave_one_out``, and the other
        models compared).
    validation
        :func:`validation_table` of every role on the counted communes, with ``role``, ``model``,
        ``departements`` (the communes judged: ``all`` or one département) and ``fitted_on`` (the départements of
        the fit) first (``k_fold``: each commune by the fit on the other folds; ``leave_one_out``: each
        département by the fit on the others).
    models
        Role -> model: ``fitted`` and the models compared.
    exposure
        The fit's kilometres, hours and speed as driven on each class group (:attr:`Fit.exposure`; empty when
        nothing was fitted).
    evaluations
        Model evaluations of the fit (along the kept paths).
    fitted
        Whether a model was fitted: False when no département had enough judged communes (``models["fitted"]``
        is then the starting model, unchanged; ``not_fitted`` says why).
    routings
        Routings of the fit, and of the whole calibration (``routings_in_all``: the held-out fits and the models
        compared too).
    converged
        Whether every fit ended on a routing that found no trip faster than its kept paths; ``fits`` how many.
    """

    communes: pd.DataFrame
    validation: pd.DataFrame
    models: dict[str, SpeedModel]
    exposure: pd.DataFrame
    evaluations: int
    fitted: bool = True
    routings: int = 0
    routings_in_all: int = 0
    fits: int = 0
    converged: bool = True
    method: str = METHOD
    not_fitted: str = ""


def calibrate(
    references: list[Reference], fitted_model: SpeedModel, compared: dict[str, SpeedModel], settings: FitSettings, *,
    label: str, folds: int = 5, seed: int = 0, min_communes: int = 1, workers: int = 1,
) -> Calibration:  # fmt: skip
    """Fit a speed model on the reference communes of every département, pooled, and judge it on communes it never
    saw: ``folds``-fold cross-validation over the pooled communes and, with two départements or more, each
    département by the fit on the others. ``compared`` models (role -> model: the shipped one, the alternative)
    are judged on the same communes. A département with fewer than ``min_communes`` judged communes is not fitted
    on nor judged; with none left, ``fitted_model`` is kept as it is and only the ``compared`` models are judged.

    The fit runs first; the held-out fits and the compared models then start from the paths it kept, in
    ``workers`` processes. The progress log says which fit of how many runs, and each of its routings.
    """
    references = [r if r.judged >= min_communes else replace(r, notes=np.where(r.counted, "too_few", r.notes))
                  for r in references]  # fmt: skip
    usable = [r for r in references if r.judged]
    rng = np.random.default_rng(seed)
    held_out = {"k_fold": [rng.integers(0, folds, len(r.observed)) for r in usable]} if usable else {}
    if len(usable) > 1:
        held_out["leave_one_out"] = [np.full(len(r.observed), i) for i, r in enumerate(usable)]
    work = [(role, number) for role, labels in held_out.items()
            for number in sorted(set(np.concatenate(labels).tolist()))]  # fmt: skip
    fits = bool(usable) + len(work)
    routes = Routes()
    roles: dict[str, list[np.ndarray]] = {}
    fitted, fit = fitted_model, None
    if usable:
        logger.info("fit 1 of %d: %d communes of %s", fits, sum(r.judged for r in usable),
                    ", ".join(r.departement for r in usable))  # fmt: skip
        kept = [r.kept() for r in usable]
        fit = fit_speed_model([t for t, _ in kept], [o for _, o in kept], fitted_model, settings, routes=routes,
                              name=f"fit 1 of {fits}")  # fmt: skip
        places = ", ".join(r.departement for r in usable)
        fitted = replace(fit.model, source=f"ajusté sur {label} ({sum(r.judged for r in usable)} communes : {places})")
        roles["fitted"] = routes.route([r.trips for r in references], fitted)
    warm = replace(settings, initial={**settings.initial, **(fit.values if fit else {})})
    names = {"k_fold": "fold {} of %d" % folds, "leave_one_out": "without {}"}

    def judge(index: int) -> HeldOut:
        """One held-out fit, or the minutes of one compared model, from the paths the fit kept (a copy of them: the
        result does not depend on what ran before in the same process)."""
        own = routes.copy()
        if index < len(work):
            role, held = work[index]
            what = names[role].format(held + 1 if role == "k_fold" else usable[held].departement)
            name = f"fit {index + 2} of {fits} ({what})"
            logger.info("%s: starts", name)
            return held_out_minutes(usable, fitted_model, warm, held_out[role], held, routes=own, name=name)
        role, model = list(compared.items())[index - len(work)]
        logger.info("the %s model (%s): routing", role, model.name)
        return HeldOut(own.route([r.trips for r in references], model), own.routings - routes.routings)

    judged = forked_map(judge, len(work) + len(compared), workers)
    for role in held_out:
        parts = [j.minutes for (r, _), j in zip(work, judged, strict=False) if r == role]
        roles[role] = _everywhere(references, usable, [np.fmax.reduce(m) for m in zip(*parts, strict=True)])
    roles.update({role: j.minutes for role, j in zip(compared, judged[len(work):], strict=True)})
    logger.info("%d fits, %d routings in all", fits, routes.routings + sum(j.routings for j in judged))
    columns = references[0].columns
    communes = pd.concat([r.communes.assign(reference_minutes=r.observed, judged=r.notes == "judged",
                                            note=[NOTES[n] for n in r.notes]) for r in references], ignore_index=True)  # fmt: skip
    communes = communes.assign(**{f"{role}_minutes": np.concatenate(m) for role, m in roles.items()})
    models = {"fitted": fitted, "k_fold": fitted_model, "leave_one_out": fitted_model, **compared}
    tables = []
    for role in roles:
        name = models[role].name
        for scope in ["all", *([r.departement for r in usable] if len(usable) > 1 else [])]:
            rows = communes[np.isin(communes["note"], [NOTES["judged"], NOTES["host"]])]
            rows = rows if scope == "all" else rows[rows[columns.area] == scope]
            table = validation_table(rows["reference_minutes"].to_numpy(float), rows[f"{role}_minutes"].to_numpy(float),
                                     rows[columns.population].to_numpy(float))  # fmt: skip
            tables.append(table.assign(role=role, model=name, departements=scope))
    empty = validation_table(np.zeros(0), np.zeros(0), np.zeros(0)).iloc[:0].assign(role="", model="", departements="")
    validation = pd.concat(tables or [empty], ignore_index=True).assign(fitted_on=" ".join(r.departement for r in usable))
    first = ["role", "model", "departements", "fitted_on"]
    return Calibration(
        communes=communes, validation=validation[[*first, *[c for c in validation.columns if c not in first]]],
        models={"fitted": fitted, **compared},
        exposure=fit.exposure if fit else pd.DataFrame(columns=["group", "km", "hours", "driven_kph", "fitted"]),
        evaluations=fit.evaluations if fit else 0, fitted=fit is not None, routings=fit.routings if fit else 0,
        routings_in_all=routes.routings + sum(j.routings for j in judged), fits=fits,
        converged=(fit is None or fit.converged) and all(j.converged for j in judged),
        not_fitted="" if fit else not_fitted_reason(communes, [r.departement for r in references]),
    )  # fmt: skip


def _everywhere(references: list[Reference], usable: list[Reference], minutes: list[np.ndarray]) -> list[np.ndarray]:
    """Minutes computed for the usable references, placed among all of them (NaN for the others)."""
    found = {id(r): m for r, m in zip(usable, minutes, strict=True)}
    return [found.get(id(r), np.full(len(r.observed), np.nan)) for r in references]


def config_fragment(calibration: Calibration, label: str) -> str:
    """The fitted model as a config fragment to adopt (``--configfile`` or copied), its fit stated above it.

    When nothing could be fitted, the fragment holds the starting model unchanged and says why."""
    validation = calibration.validation.set_index(["role", "departements", "band"])
    roles = set(validation.index.get_level_values(0))

    def stated(role: str) -> str:
        stats = validation.loc[(role, "all", "all")]
        return (f"median bias {stats['median_bias_min']:+.2f} min, mean absolute error "
                f"{stats['mean_abs_error_min']:.2f} min, {100 * stats['share_within_5_min']:.0f} % within 5 min, "
                f"population beyond 30 min {100 * stats['population_beyond_30']:.1f} % "
                f"(reference {100 * stats['reference_population_beyond_30']:.1f} %)")  # fmt: skip

    if not calibration.fitted:
        header = [f"# Not fitted on {label}: {calibration.not_fitted}.",
                  "# The starting model, unchanged:"]  # fmt: skip
    else:
        groups = calibration.exposure
        header = [
            f"# Speed model fitted on {label}",
            f"# Method: {calibration.method}. The fit: {calibration.routings} routings, "
            f"{calibration.evaluations} model evaluations along the kept paths; {calibration.fits} fits and "
            f"{calibration.routings_in_all} routings in all, with those judging the model on communes it never saw "
            "and the models compared"
            + ("." if calibration.converged else f" (a fit stopped after {ROUTINGS_PER_FIT} rounds, its paths and "
                                                  "parameters still changing)."),
            f"# On the communes it was fitted on: {stated('fitted')}.",
            f"# Held out (each commune by a fit on the other folds): {stated('k_fold')}.",
            *([f"# Held out (each département by a fit on the others): {stated('leave_one_out')}."]
              if "leave_one_out" in roles else []),
            "# Class groups, km driven by the fitting trips and speed as driven:",
            *[f"#   {row.group}: {row.km:.0f} km" + (f", {row.driven_kph:.1f} km/h" if row.km > 0 else "")
              + ("" if row.fitted else " (not fitted: too few km driven; prior speed)")
              for row in groups[groups["group"] != "other"].itertuples()],
            "# Adopt it: pass this file to snakemake with --configfile, or copy it into your config.",
        ]  # fmt: skip
    model = calibration.models["fitted"]
    body = yaml.safe_dump({"speeds": {"models": {model.name: model.as_config()}}}, allow_unicode=True, sort_keys=False)
    return "\n".join(header) + "\n" + body
