"""The speed models the project ships, importable without the repository: ``CALIBRATED`` (the pipeline's drive times
where a run has no reference times of its own), ``LEGAL_LIMITS`` (its sensitivity), ``OSRM_CAR`` (the calibration's
prior), and the maxspeed defaults a network converter wrote (``EQASIM_CONVERTER_DEFAULTS``).

``PRESETS`` holds them as sections of the config's ``speeds.models``: the pipeline's config names them
(``speeds.model: calibrated``) and a model of the same name in its ``speeds.models`` overrides the keys it gives
(:func:`with_presets`). A researcher drives at the pipeline's speeds with::

    network = coverage.load_network("graphml", path, polygon, crs).with_times(coverage.speeds.CALIBRATED)
"""

from __future__ import annotations

from copy import deepcopy

from .core.speed_model import SpeedModel

CLASS_SPEEDS_ONLY = {"bend_coefficient": 0, "max_sinuosity": 3.0, "built_up_kph": None, "built_up_min_junctions": 8,
                     "junction_delay_s": 0}  # fmt: skip
"""A model driven at its class speeds (and tags): no bends, no built-up cap, no delay at junctions."""

PRESETS: dict[str, dict] = {
    # Fitted by benchmarks/calibration.py (the pipeline's calibration, pooled) on the official road times (DREES/DGOS
    # 2019, INSEE Metric distancier) of the communes of Haute-Corse (2B, Corsica network) and of Essonne (91,
    # Paris-Saclay graph) that the networks can judge. Groups the fitting trips drive too little of keep the prior
    # (motorways); no class above its legal limit.
    "calibrated": {
        "class_kph": {
            "default": 30.96, "living_street": 20.0, "motorway": 90.0, "motorway_link": 45.0, "primary": 60.77,
            "primary_link": 50.0, "residential": 30.96, "road": 30.96, "secondary": 57.97, "secondary_link": 50.0,
            "tertiary": 58.12, "tertiary_link": 50.0, "trunk": 81.27, "trunk_link": 70.0, "unclassified": 30.96,
        },
        "maxspeed": "cap",
        "bend_coefficient": 0.549,
        "max_sinuosity": 3.0,  # not fitted: loops have a chord near zero
        "built_up_kph": 39.25,
        "built_up_min_junctions": 8,  # not fitted: 8 junctions within 300 m is a village street grid
        "junction_delay_s": 0.9,
        "priority_classes": ["motorway", "motorway_link", "trunk", "trunk_link", "primary"],
        "free_flow_classes": ["motorway", "trunk"],
        "source": (
            "ajusté sur les temps officiels d'accès aux urgences (DREES/DGOS, 31/12/2019, distancier Metric de l'INSEE)"
            " de 232 communes de Haute-Corse et 17 de l'Essonne ; hors échantillon, écart absolu moyen 2,8 min"
            " (validation croisée en 5 blocs), 4,0 min en Haute-Corse ajustée sur l'Essonne seule et 2,3 min en"
            " Essonne ajustée sur la Haute-Corse seule"
        ),
    },
    # French legal limits: 80 km/h on two-way roads outside built-up areas since 2018, 50 in built-up areas, 110/130
    # on expressways/motorways; an OSM maxspeed tag is the speed. No bends, no delays.
    "legal_limits": {
        "class_kph": {
            "motorway": 130, "motorway_link": 70, "trunk": 110, "trunk_link": 70, "primary": 80, "primary_link": 50,
            "secondary": 80, "secondary_link": 50, "tertiary": 80, "tertiary_link": 50, "unclassified": 80,
            "residential": 50, "living_street": 20, "road": 50, "default": 50,
        },
        "maxspeed": "target",
        **CLASS_SPEEDS_ONLY,
        "source": "limites légales françaises par classe de route (code de la route, art. R413-2 et R413-3)",
    },
    # The car profile of the OSRM routing engine (Project-OSRM osrm-backend, profiles/car.lua): conservative
    # free-flow speeds by road class, a maxspeed tag bounding them. The calibration's prior for the class groups its
    # trips hardly drive (motorways in Corsica).
    "osrm_car": {
        "class_kph": {
            "motorway": 90, "motorway_link": 45, "trunk": 85, "trunk_link": 40, "primary": 65, "primary_link": 30,
            "secondary": 55, "secondary_link": 25, "tertiary": 40, "tertiary_link": 20, "unclassified": 25,
            "residential": 25, "living_street": 10, "road": 25, "default": 25,
        },
        "maxspeed": "cap",
        **CLASS_SPEEDS_ONLY,
        "source": "profil voiture du calculateur d'itinéraires OSRM (osrm-backend, profiles/car.lua)",
    },
}

CALIBRATED = SpeedModel.from_config("calibrated", PRESETS["calibrated"])
LEGAL_LIMITS = SpeedModel.from_config("legal_limits", PRESETS["legal_limits"])
OSRM_CAR = SpeedModel.from_config("osrm_car", PRESETS["osrm_car"])

# The maxspeed values the eqasim/pt2matsim converter wrote where OSM had no tag (the Corsica and Paris-Saclay GraphML
# files): every residential edge at 15, tertiary at 25, 91 % of secondary at 30. Pass them to load_network
# (converter_defaults_kph) so that these edges count as untagged; left out, Corsica's mean time to a USP goes from
# 50 to 75 minutes.
CONVERTER_DEFAULTS: dict[str, dict[str, float]] = {
    "eqasim": {
        "living_street": 10, "residential": 15, "unclassified": 25, "tertiary": 25, "tertiary_link": 25,
        "secondary": 30, "secondary_link": 30,
    },
}
EQASIM_CONVERTER_DEFAULTS = CONVERTER_DEFAULTS["eqasim"]


def with_presets(models: dict[str, dict]) -> dict[str, dict]:
    """The shipped models with ``models`` over them: a model of a preset's name overrides the keys it gives (its
    ``class_kph`` class by class), another name is added as it is."""
    merged = deepcopy(PRESETS)
    for name, settings in models.items():
        if not isinstance(settings, dict) or not isinstance(merged.get(name, {}), dict):
            merged[name] = settings  # not a model: left for the config check to report
            continue
        base = merged.setdefault(name, {})
        for key, value in settings.items():
            base[key] = {**base.get(key, {}), **value} if key == "class_kph" and isinstance(value, dict) else value
    return merged


__all__ = [
    "CALIBRATED", "CONVERTER_DEFAULTS", "EQASIM_CONVERTER_DEFAULTS", "LEGAL_LIMITS", "OSRM_CAR", "PRESETS",
    "with_presets",
]  # fmt: skip
