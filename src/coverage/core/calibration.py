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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml
from scipy.optimize import least_squares
from scipy.spatial import cKDTree

from .access import AccessModel, Router, population_points
from .network import RoadNetwork, SpeedModel, project
from .routing import nearest_sites, travel_matrix

SCALARS = {  # parameter -> (lower, upper) bounds of the fit
    "bend_coefficient": (0.0, 10.0),
    "built_up_kph": (5.0, 130.0),
    "junction_delay_s": (0.0, 120.0),
}
CLASS_BOUNDS_KPH = (5.0, 150.0)
BANDS_MIN = (0, 15, 30, 45, 60)
COAST_M = 5000.0  # a network's hull this close to the sea follows the coast: no roads were cut there
NOTES = {
    "judged": "",
    "host": "hosts a site: 0 min by the reference's convention, not a road time",
    "off_network": "off the network",
    "site_off_network": "its nearest site as the crow flies is off the network",
    "beyond_edge": "its nearest site as the crow flies lies beyond the network's open edge",
    "too_few": "its département has too few judged communes: not fitted on",
}


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
        nearest = self.nearest(model)
        seconds = np.where(self.origin_node >= 0, nearest.seconds[np.maximum(self.origin_node, 0)], np.inf)
        seconds = seconds + self.origin_s
        return np.where(np.isfinite(seconds), seconds / 60, np.nan)

    def subset(self, keep: np.ndarray) -> Trips:
        """The same trips for some communes only."""
        return replace(self, origin_node=self.origin_node[keep], origin_s=self.origin_s[keep])


def prepare_trips(
    network: RoadNetwork, communes: gpd.GeoDataFrame, sites_lon: np.ndarray, sites_lat: np.ndarray,
    access: AccessModel, *, direction: str = "to_site",
) -> Trips:  # fmt: skip
    """Place the communes and snap the sites as :func:`coverage.core.access.commune_access` does."""
    router = Router(network)
    placed = population_points(router, communes, access.origin)
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
    xy = network.projected_xy()
    edge = shapely.convex_hull(shapely.multipoints(xy)).boundary
    if land is None:
        return edge
    inland = gpd.GeoSeries([land], crs="EPSG:4326").to_crs(network.crs).iloc[0].buffer(-coast_m)
    return edge.intersection(inland)


def judged_communes(
    trips: Trips, observed: np.ndarray, sites_lon: np.ndarray, sites_lat: np.ndarray, max_snap_m: float,
    land: shapely.Geometry | None,
) -> np.ndarray:  # fmt: skip
    """Why each reference commune is, or is not, judged: a key of :data:`NOTES` per commune.

    Hosts (0 minutes) are kept for the population shares (``host``); the others are judged when on the network,
    with their nearest site as the crow flies on it and no farther than its open edge (:func:`open_edge`).
    """
    network = trips.network
    xy = network.projected_xy()
    origin = xy[np.maximum(trips.origin_node, 0)]
    sites = project(np.asarray(sites_lon, float), np.asarray(sites_lat, float), network.crs)
    distance, nearest = cKDTree(sites).query(origin)
    site_on = cKDTree(xy).query(sites)[0] <= max_snap_m
    edge = open_edge(network, land)
    to_edge = np.full(len(origin), np.inf) if edge.is_empty else shapely.distance(edge, shapely.points(origin))
    notes = np.where(distance > to_edge, "beyond_edge", "judged")
    notes = np.where(site_on[nearest], notes, "site_off_network")
    notes = np.where((observed == 0) & (notes == "judged"), "host", notes)
    return np.where(trips.origin_node >= 0, notes, "off_network")


def driven(trips: Trips, model: SpeedModel, class_groups: dict[str, list[str]]) -> pd.DataFrame:
    """Kilometres and hours the trips drive on each class group along their shortest paths under ``model``.

    Returns ``group``, ``km``, ``hours`` and ``driven_kph`` (km / hours: the speed as driven, bends, built-up
    areas and junctions included); classes in no group count as ``other``.
    """
    network = trips.network
    seconds = model.edge_seconds(network)
    nearest = trips.nearest(model)
    steps: list[np.ndarray] = []
    for node in trips.origin_node[trips.origin_node >= 0].tolist():
        while nearest.previous[node] >= 0:
            steps.append((node, nearest.previous[node]))
            node = nearest.previous[node]
    pairs = np.array(steps, dtype=np.int64).reshape(-1, 2)
    if trips.direction == "from_site":
        pairs = pairs[:, ::-1]
    edges = pd.DataFrame({"source": network.source, "target": network.target, "seconds": seconds,
                          "km": network.length_m / 1000, "highway": network.highway})  # fmt: skip
    fastest = edges.sort_values("seconds", kind="stable").drop_duplicates(["source", "target"])
    used = pd.DataFrame(pairs, columns=["source", "target"]).merge(fastest, on=["source", "target"], how="left")
    group_of = {road: group for group, roads in class_groups.items() for road in roads}
    used["group"] = used["highway"].map(group_of).fillna("other")
    table = used.groupby("group").agg(km=("km", "sum"), hours=("seconds", lambda s: s.sum() / 3600))
    return _with_speed(table.reindex([*class_groups, "other"], fill_value=0.0).reset_index())


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
        """Build from the config's ``calibration`` section and ``speeds.models`` (its ``limits`` model's speeds).

        The class groups are taken in the order of their names, so that the fit does not depend on the order a
        config file lists them in."""
        return cls(
            class_groups={group: settings["class_groups"][group] for group in sorted(settings["class_groups"])},
            scalars=list(settings["fit"]), initial=settings["initial"],
            loss=settings["loss"], scale_min=settings["loss_scale_min"],
            limits=models[settings["limits"]]["class_kph"], floors=settings["floors_kph"],
            prior=settings["prior"]["class_kph"], min_exposure_km=settings["min_exposure_km"],
        )  # fmt: skip

    def limit(self, road: str) -> float:
        """The highest speed of a road class (its legal limit; ``default`` for classes the limits do not name)."""
        if self.limits is None:
            return CLASS_BOUNDS_KPH[1]
        return float(self.limits.get(road, self.limits["default"]))

    def prior_speed(self, road: str, model: SpeedModel) -> float:
        """The speed a class keeps when its group is not fitted."""
        speeds = self.prior if self.prior is not None else model.class_kph
        return min(float(speeds.get(road, speeds["default"])), self.limit(road))


@dataclass(frozen=True)
class Fit:
    """A fitted model, its minutes for every reference commune, how the optimiser ended, the kilometres the
    fitting trips drive on each class group (``exposure``: ``group``, ``km``, ``hours``, ``driven_kph``,
    ``fitted``), and the fitted value of each fitted group and scalar (``values``)."""

    model: SpeedModel
    minutes: np.ndarray
    evaluations: int
    message: str
    exposure: pd.DataFrame
    values: dict[str, float]


def _parameters(model: SpeedModel, settings: FitSettings, groups: list[str]):
    """Start vector, bounds and a function turning a vector into a model: one speed per fitted group (each class
    capped at its limit), the other groups at their prior, then the scalars."""
    unknown = sorted(set(settings.scalars) - set(SCALARS))
    if unknown:
        raise ValueError(f"cannot fit {', '.join(unknown)}: parameters are {', '.join(SCALARS)}")
    missing = sorted((set(groups) | set(settings.scalars)) - set(settings.initial))
    if missing:
        raise ValueError(f"no initial value for {', '.join(missing)}")
    floors = settings.floors or {}
    lower = [max(CLASS_BOUNDS_KPH[0], floors.get(g, 0.0)) for g in groups] + [SCALARS[s][0] for s in settings.scalars]
    upper = [max(settings.limit(road) for road in settings.class_groups[g]) for g in groups]
    upper += [SCALARS[s][1] for s in settings.scalars]
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


def exposure(trips: list[Trips], model: SpeedModel, settings: FitSettings) -> pd.DataFrame:
    """Kilometres and hours driven on each class group by all the trips, under ``model`` (:func:`driven`)."""
    tables = [driven(t, model, settings.class_groups) for t in trips]
    return _with_speed(pd.concat(tables).groupby("group", sort=False)[["km", "hours"]].sum().reset_index())


def fit_speed_model(
    trips: list[Trips], observed: list[np.ndarray], model: SpeedModel, settings: FitSettings
) -> Fit:
    """Fit class-group speeds and scalar parameters so that modelled minutes match observed ones.

    Robust non-linear least squares (:func:`scipy.optimize.least_squares`, ``settings.loss`` with residuals beyond
    ``settings.scale_min`` minutes weighed down): a few communes whose official origin lies far from where this
    model places them do not pull the fit. Communes the model cannot route, and those at 0 minutes (hosts of a
    site), are left out. A group is fitted when the trips drive at least ``settings.min_exposure_km`` of it under
    the starting model; the others keep their prior.

    Parameters
    ----------
    trips, observed
        One :class:`Trips` per network (département) and the official minutes of its communes.
    model
        The model fitted: its name and the parameters not fitted are kept.
    """
    _, _, starting = _parameters(model, replace(settings, prior=None), list(settings.class_groups))
    start = starting(np.array([settings.initial[name] for name in [*settings.class_groups, *settings.scalars]], float))
    driven_km = exposure(trips, start, settings)
    groups = [g for g in settings.class_groups if driven_km.set_index("group").at[g, "km"] >= settings.min_exposure_km]
    x0, bounds, model_of = _parameters(model, settings, groups)
    timed = [o > 0 for o in observed]

    def residuals(x: np.ndarray) -> np.ndarray:
        candidate = model_of(x)
        gaps = [(t.minutes(candidate) - o)[k] for t, o, k in zip(trips, observed, timed, strict=True)]
        return np.nan_to_num(np.concatenate(gaps), nan=0.0)

    scale = np.maximum(np.abs(x0), 1.0)
    result = least_squares(residuals, x0, bounds=bounds, loss=settings.loss, f_scale=settings.scale_min,
                           diff_step=1e-2, x_scale=scale)  # fmt: skip
    fitted = model_of(result.x)
    table = exposure(trips, fitted, settings).assign(fitted=lambda t: t["group"].isin(groups))
    table["km_at_start"] = table["group"].map(driven_km.set_index("group")["km"])
    minutes = np.concatenate([t.minutes(fitted) for t in trips])
    values = dict(zip([*groups, *settings.scalars], map(float, result.x), strict=True))
    return Fit(fitted, minutes, int(result.nfev), str(result.message), table, values)


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
    departement: str, network: RoadNetwork, communes: gpd.GeoDataFrame, minutes: pd.Series, sites: pd.DataFrame,
    access: AccessModel, *, direction: str = "to_site", land: shapely.Geometry | None = None,
) -> Reference:  # fmt: skip
    """The reference communes of one département, placed on its network and judged (:func:`judged_communes`).

    ``communes`` holds every commune (``code``, ``nom``, ``departement``, ``population``, points, polygon);
    ``minutes`` the official minutes by current commune code; ``sites`` the sites' ``lon`` and ``lat``.
    """
    places = communes[(communes["departement"] == departement) & communes["code"].isin(minutes.index)]
    places = places.sort_values("code").reset_index(drop=True)
    trips = prepare_trips(network, places, sites["lon"], sites["lat"], access, direction=direction)
    observed = minutes.loc[places["code"]].to_numpy(float)
    notes = judged_communes(trips, observed, sites["lon"], sites["lat"], access.max_snap_m, land)
    table = places[["code", "nom", "departement", "population"]].rename(columns={"code": "commune"})
    return Reference(departement, trips, observed, places["population"].to_numpy(float), table, notes)


@dataclass(frozen=True)
class Reference:
    """The reference communes of one département on its network: trips, official minutes, population, notes."""

    departement: str
    trips: Trips
    observed: np.ndarray
    population: np.ndarray
    communes: pd.DataFrame
    notes: np.ndarray

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


def held_out_minutes(
    references: list[Reference], model: SpeedModel, settings: FitSettings, group_of: Callable[[Reference], np.ndarray]
) -> list[np.ndarray]:
    """Minutes of each reference commune from a model fitted on the others: ``group_of`` numbers each reference's
    communes; each group is judged by a fit on every other group (NaN for communes not counted). The fits start
    from ``settings.initial``: starting them from the fit on every commune saves evaluations without letting
    the held-out communes in (only where the search starts, not what it minimises)."""
    held = [np.full(len(r.observed), np.nan) for r in references]
    labels = [group_of(r) for r in references]
    for label in sorted(set(np.concatenate(labels).tolist())):
        training = [r.kept(lab != label) for r, lab in zip(references, labels, strict=True)]
        training = [(t, o) for t, o in training if len(o)]
        fitted = fit_speed_model([t for t, _ in training], [o for _, o in training], model, settings).model
        for r, lab, out in zip(references, labels, held, strict=True):
            judged = r.counted & (lab == label)
            if judged.any():
                out[judged] = r.trips.subset(judged).minutes(fitted)
    return held


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
        Model evaluations of the fit.
    fitted
        Whether a model was fitted: False when no département had enough judged communes (``models["fitted"]``
        is then the starting model, unchanged).
    """

    communes: pd.DataFrame
    validation: pd.DataFrame
    models: dict[str, SpeedModel]
    exposure: pd.DataFrame
    evaluations: int
    fitted: bool = True


def calibrate(
    references: list[Reference], fitted_model: SpeedModel, compared: dict[str, SpeedModel], settings: FitSettings, *,
    label: str, folds: int = 5, seed: int = 0, min_communes: int = 1,
) -> Calibration:  # fmt: skip
    """Fit a speed model on the reference communes of every département, pooled, and judge it on communes it never
    saw: ``folds``-fold cross-validation over the pooled communes and, with two départements or more, each
    département by the fit on the others. ``compared`` models (role -> model: the shipped one, the alternative)
    are judged on the same communes. A département with fewer than ``min_communes`` judged communes is not fitted
    on nor judged; with none left, ``fitted_model`` is kept as it is and only the ``compared`` models are judged.
    """
    references = [r if r.judged >= min_communes else replace(r, notes=np.where(r.notes == "off_network", r.notes,
                                                                                "too_few")) for r in references]  # fmt: skip
    usable = [r for r in references if r.judged]
    roles: dict[str, list[np.ndarray]] = {}
    fitted, fit = fitted_model, None
    if usable:
        kept = [r.kept() for r in usable]
        fit = fit_speed_model([t for t, _ in kept], [o for _, o in kept], fitted_model, settings)
        places = ", ".join(r.departement for r in usable)
        fitted = replace(fit.model, source=f"ajusté sur {label} ({sum(r.judged for r in usable)} communes : {places})")
        roles["fitted"] = [r.trips.minutes(fitted) for r in references]
        rng = np.random.default_rng(seed)
        warm = replace(settings, initial={**settings.initial, **fit.values})
        roles["k_fold"] = _everywhere(references, usable, held_out_minutes(
            usable, fitted_model, warm, lambda r: rng.integers(0, folds, len(r.observed))))  # fmt: skip
        if len(usable) > 1:
            codes = {r.departement: i for i, r in enumerate(usable)}
            roles["leave_one_out"] = _everywhere(references, usable, held_out_minutes(
                usable, fitted_model, warm, lambda r: np.full(len(r.observed), codes[r.departement])))  # fmt: skip
    for role, model in compared.items():
        roles[role] = [r.trips.minutes(model) for r in references]
    communes = pd.concat([r.communes.assign(reference_minutes=r.observed, judged=r.notes == "judged",
                                            note=[NOTES[n] for n in r.notes]) for r in references], ignore_index=True)  # fmt: skip
    communes = communes.assign(**{f"{role}_minutes": np.concatenate(m) for role, m in roles.items()})
    models = {"fitted": fitted, "k_fold": fitted_model, "leave_one_out": fitted_model, **compared}
    tables = []
    for role in roles:
        name = models[role].name
        for scope in ["all", *([r.departement for r in usable] if len(usable) > 1 else [])]:
            rows = communes[np.isin(communes["note"], [NOTES["judged"], NOTES["host"]])]
            rows = rows if scope == "all" else rows[rows["departement"] == scope]
            table = validation_table(rows["reference_minutes"].to_numpy(float), rows[f"{role}_minutes"].to_numpy(float),
                                     rows["population"].to_numpy(float))  # fmt: skip
            tables.append(table.assign(role=role, model=name, departements=scope))
    validation = pd.concat(tables, ignore_index=True).assign(fitted_on=" ".join(r.departement for r in usable))
    first = ["role", "model", "departements", "fitted_on"]
    return Calibration(
        communes=communes, validation=validation[[*first, *[c for c in validation.columns if c not in first]]],
        models={"fitted": fitted, **compared},
        exposure=fit.exposure if fit else pd.DataFrame(columns=["group", "km", "hours", "driven_kph", "fitted"]),
        evaluations=fit.evaluations if fit else 0, fitted=fit is not None,
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
        header = [f"# Not fitted on {label}: no département has enough judged communes (calibration.min_communes).",
                  "# The starting model, unchanged:"]  # fmt: skip
    else:
        groups = calibration.exposure
        header = [
            f"# Speed model fitted on {label}",
            f"# {calibration.evaluations} model evaluations. On the communes it was fitted on: {stated('fitted')}.",
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
