"""Fit a speed model to official road times, and measure how far any model is from them.

The reference gives, for communes, the minutes by road to the nearest of some sites (the DREES
emergency-access diagnosis, computed with INSEE's Metric distancier). The communes are placed and the
sites snapped exactly as the access step does, so the fitted model is the one the pipeline applies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml
from scipy.optimize import least_squares

from ..errors import ConfigError
from .access import AccessModel, Router, population_points
from .network import RoadNetwork, SpeedModel
from .routing import nearest_sites, travel_matrix

SCALARS = {  # parameter -> (lower, upper) bounds of the fit
    "bend_coefficient": (0.0, 10.0),
    "built_up_kph": (5.0, 130.0),
    "junction_delay_s": (0.0, 120.0),
}
CLASS_BOUNDS_KPH = (5.0, 150.0)
BANDS_MIN = (0, 15, 30, 45, 60)


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

    def minutes(self, model: SpeedModel) -> np.ndarray:
        """Minutes from each commune to its nearest site under ``model`` (NaN: off the network, unreachable)."""
        network = self.network
        forward = travel_matrix(network.source, network.target, model.edge_seconds(network), network.n_nodes)
        nearest = nearest_sites(forward, forward.T.tocsr(), self.site_node, self.site_s, self.direction)
        seconds = np.where(self.origin_node >= 0, nearest.seconds[np.maximum(self.origin_node, 0)], np.inf)
        seconds = seconds + self.origin_s
        return np.where(np.isfinite(seconds), seconds / 60, np.nan)


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


@dataclass(frozen=True)
class Fit:
    """A fitted model, its minutes for every reference commune, and how the optimiser ended."""

    model: SpeedModel
    minutes: np.ndarray
    evaluations: int
    message: str


def _parameters(model: SpeedModel, class_groups: dict[str, list[str]], scalars: list[str], initial: dict[str, float]):
    """Start vector, bounds and a function turning a vector into a model (one speed per class group)."""
    unknown = sorted(set(scalars) - set(SCALARS))
    if unknown:
        raise ValueError(f"cannot fit {', '.join(unknown)}: parameters are {', '.join(SCALARS)}")
    missing = sorted((set(class_groups) | set(scalars)) - set(initial))
    if missing:
        raise ValueError(f"no initial value for {', '.join(missing)}")
    x0 = [float(initial[name]) for name in [*class_groups, *scalars]]
    lower = [CLASS_BOUNDS_KPH[0]] * len(class_groups) + [SCALARS[name][0] for name in scalars]
    upper = [CLASS_BOUNDS_KPH[1]] * len(class_groups) + [SCALARS[name][1] for name in scalars]

    groups = len(class_groups)

    def model_at(x: np.ndarray) -> SpeedModel:
        speeds = dict(model.class_kph)
        for value, classes in zip(x[:groups], class_groups.values(), strict=True):
            speeds.update(dict.fromkeys(classes, float(value)))
        fitted = {name: float(value) for name, value in zip(scalars, x[groups:], strict=True)}
        return replace(model, class_kph=speeds, **fitted)

    return np.clip(x0, lower, upper), (lower, upper), model_at


def fit_speed_model(
    trips: list[Trips], observed: list[np.ndarray], model: SpeedModel, *, class_groups: dict[str, list[str]],
    scalars: list[str], initial: dict[str, float], loss: str = "soft_l1", scale_min: float = 3.0,
) -> Fit:  # fmt: skip
    """Fit class-group speeds and scalar parameters so that modelled minutes match observed ones.

    Robust non-linear least squares (:func:`scipy.optimize.least_squares`, ``loss`` with residuals
    beyond ``scale_min`` minutes weighed down): a few communes whose official origin lies far from
    where this model places them do not pull the fit. Communes the model cannot route are left out.

    Parameters
    ----------
    trips, observed
        One :class:`Trips` per network (département) and the official minutes of its communes.
    model
        The model fitted: its name and the parameters not fitted are kept.
    class_groups
        Group -> road classes sharing one fitted speed (``default`` may be listed).
    scalars
        Other parameters fitted, among ``bend_coefficient``, ``built_up_kph``, ``junction_delay_s``.
    initial
        Starting value of each class group's speed and of each scalar. Fixed starting values, rather
        than the model's current ones, make the fit give the same model whatever was adopted before.
    """
    x0, bounds, model_of = _parameters(model, class_groups, scalars, initial)

    def residuals(x: np.ndarray) -> np.ndarray:
        model = model_of(x)
        gaps = np.concatenate([t.minutes(model) - o for t, o in zip(trips, observed, strict=True)])
        return np.nan_to_num(gaps, nan=0.0)

    scale = np.maximum(np.abs(x0), 1.0)
    result = least_squares(residuals, x0, bounds=bounds, loss=loss, f_scale=scale_min, diff_step=1e-2, x_scale=scale)
    model = model_of(result.x)
    return Fit(model, np.concatenate([t.minutes(model) for t in trips]), int(result.nfev), str(result.message))


def validation_table(
    observed: np.ndarray, modelled: np.ndarray, population: np.ndarray, *, bands: tuple[float, ...] = BANDS_MIN
) -> pd.DataFrame:
    """How far modelled minutes are from observed ones, for all communes and by band of observed minutes.

    Columns: ``band`` (``all``, ``0-15``…, ``60+``), ``communes``, ``unrouted`` (no modelled time),
    ``median_ratio`` (modelled / observed, observed > 0), ``median_bias_min``, ``mean_abs_error_min``,
    ``population_abs_error_min`` (the same, weighted by population), ``share_within_5_min`` (communes
    within 5 minutes of the reference), and the population share
    beyond 30 minutes, modelled and in the reference (unrouted communes count as beyond).
    """
    edges = list(bands) + [np.inf]
    pairs = list(zip(edges, edges[1:], strict=False))
    labels = ["all"] + [f"{low:g}-{high:g}" if np.isfinite(high) else f"{low:g}+" for low, high in pairs]
    masks = [np.ones(len(observed), bool)] + [(observed >= low) & (observed < high) for low, high in pairs]
    rows = []
    for label, mask in zip(labels, masks, strict=True):
        obs, mod, pop = observed[mask], modelled[mask], population[mask]
        routed = np.isfinite(mod)
        error = mod[routed] - obs[routed]
        positive = routed & (obs > 0)
        total = pop.sum()
        rows.append(
            {
                "band": label,
                "communes": int(mask.sum()),
                "unrouted": int((~routed).sum()),
                "median_ratio": float(np.median(mod[positive] / obs[positive])) if positive.any() else np.nan,
                "median_bias_min": float(np.median(error)) if len(error) else np.nan,
                "mean_abs_error_min": float(np.mean(np.abs(error))) if len(error) else np.nan,
                "population_abs_error_min": float(np.average(np.abs(error), weights=pop[routed]))
                if pop[routed].sum() > 0 else np.nan,
                "share_within_5_min": float(np.mean(np.abs(error) <= 5)) if len(error) else np.nan,
                "population_beyond_30": float(pop[~routed | (mod > 30)].sum() / total) if total else np.nan,
                "reference_population_beyond_30": float(pop[obs > 30].sum() / total) if total else np.nan,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    communes
        The reference communes (``commune``, ``nom``, ``departement``, ``population``) with
        ``reference_minutes`` and, per model role, ``<role>_minutes``.
    validation
        :func:`validation_table` of every role, with ``role`` and ``model`` first.
    models
        Role -> model: ``run`` (the run's), ``alternative`` and ``fitted``.
    evaluations
        Model evaluations of the fit.
    """

    communes: pd.DataFrame
    validation: pd.DataFrame
    models: dict[str, SpeedModel]
    evaluations: int


def calibrate(
    networks: dict[str, RoadNetwork], communes: gpd.GeoDataFrame, reference: pd.DataFrame, sites: pd.DataFrame,
    access: AccessModel, run_model: SpeedModel, alternative: SpeedModel, fitted_model: SpeedModel, *,
    class_groups: dict[str, list[str]], scalars: list[str], initial: dict[str, float], loss: str, scale_min: float,
    direction: str, label: str,
) -> Calibration:  # fmt: skip
    """Fit a speed model to official times and validate it beside the run's model and its alternative.

    Parameters
    ----------
    networks
        Département -> its prepared network; each reference commune is routed on its département's.
    communes
        Every commune (``code``, ``nom``, ``departement``, ``population``, ``lon``, ``lat``, polygon).
    reference
        ``commune`` (current code) and ``minutes`` (:func:`coverage.sources.reference.load_reference_times`).
    sites
        ``lon`` and ``lat`` of the sites the reference times go to.
    label
        The reference, cited in the fitted model's ``source``.
    """
    table = reference.merge(communes.drop(columns="geometry"), left_on="commune", right_on="code")
    outside = sorted(set(table["departement"]) - set(networks))
    if outside:
        raise ConfigError(f"config 'calibration.departements': the reference has communes of {', '.join(outside)};"
                          " list them there")  # fmt: skip
    polygons = communes.set_index("code")
    parts = [table[table["departement"] == code].reset_index(drop=True) for code in networks]
    trips = [
        prepare_trips(network, polygons.loc[part["commune"]].reset_index(), sites["lon"], sites["lat"], access,
                      direction=direction)  # fmt: skip
        for network, part in zip(networks.values(), parts, strict=True)
    ]
    observed = [part["minutes"].to_numpy(float) for part in parts]
    fit = fit_speed_model(trips, observed, fitted_model, class_groups=class_groups, scalars=scalars, initial=initial,
                          loss=loss, scale_min=scale_min)  # fmt: skip
    fitted = replace(fit.model, source=f"ajusté sur {label} ({sum(map(len, observed))} communes)")
    models = {"run": run_model, "alternative": alternative, "fitted": fitted}
    minutes = {role: np.concatenate([t.minutes(m) for t in trips]) for role, m in models.items()}
    rows = pd.concat(parts, ignore_index=True)
    obs, population = rows["minutes"].to_numpy(float), rows["population"].to_numpy(float)
    tables = [validation_table(obs, minutes[r], population).assign(role=r, model=m.name) for r, m in models.items()]
    validation = pd.concat(tables, ignore_index=True)
    rows = rows[["commune", "nom", "departement", "population"]].assign(reference_minutes=obs)
    return Calibration(
        communes=rows.assign(**{f"{role}_minutes": m for role, m in minutes.items()}),
        validation=validation[["role", "model", *validation.columns[:-2]]],
        models=models,
        evaluations=fit.evaluations,
    )


def config_fragment(calibration: Calibration, label: str) -> str:
    """The fitted model as a config fragment to adopt (``--configfile`` or copied), its fit stated above it."""
    validation = calibration.validation
    stats = validation[(validation["role"] == "fitted") & (validation["band"] == "all")].iloc[0]
    header = [
        f"# Speed model fitted on {label}",
        f"# {stats['communes']} communes, {calibration.evaluations} model evaluations: median bias"
        f" {stats['median_bias_min']:+.2f} min, mean absolute error {stats['mean_abs_error_min']:.2f} min,"
        f" {100 * stats['share_within_5_min']:.0f} % within 5 min, population beyond 30 min"
        f" {100 * stats['population_beyond_30']:.1f} %"
        f" (reference {100 * stats['reference_population_beyond_30']:.1f} %).",
        "# Adopt it: pass this file to snakemake with --configfile, or copy it into your config.",
    ]
    model = calibration.models["fitted"]
    body = yaml.safe_dump({"speeds": {"models": {model.name: model.as_config()}}}, allow_unicode=True, sort_keys=False)
    return "\n".join(header) + "\n" + body
