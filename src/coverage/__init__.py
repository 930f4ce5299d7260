"""palliative-coverage: where France's palliative and supportive care is within reach, and where it is not.

The package has three layers, one sub-package each:

- :mod:`.core`, the accessibility engine, which knows nothing of France: road networks as arrays
  (:mod:`.core.network`, :mod:`.core.osm`), routing (:mod:`.core.routing`), access and coverage
  (:mod:`.core.access`), isochrones (:mod:`.core.isochrones`), capacity-aware access (:mod:`.core.e2sfca`),
  siting (:mod:`.core.siting`), the speed model's calibration (:mod:`.core.calibration`), geometry
  (:mod:`.core.geometry`); tables go in and out with the columns their docstrings name;
- :mod:`.france`, the French sources and rules: the official files (:mod:`.france.sources`), facilities
  (:mod:`.france.facilities`), communes (:mod:`.france.geography`), indicators and gap rules
  (:mod:`.france.indicators`), where a new site may open (:mod:`.france.candidates`), change between
  editions (:mod:`.france.changes`);
- :mod:`.outputs`: maps (the national page :mod:`.outputs.explorer`, :mod:`.outputs.maps`,
  :mod:`.outputs.plot`), reports (:mod:`.outputs.report`, its summary page :mod:`.outputs.summary`), directories
  (:mod:`.outputs.directory`).

:mod:`.pipeline` is the workflow's glue: each Snakemake rule runs one step of :mod:`.pipeline.steps` (read,
call, write), its entries bound by name (:mod:`.pipeline.script`).
"""

from typing import TYPE_CHECKING

from . import speeds  # the shipped speed models: coverage.speeds.CALIBRATED, ...
from .constants import LAMBERT_93, SERVICES, UNITS, WGS84, metric_crs
from .core.access import (
    AccessModel, Router, catchments, commune_access, coverage_by_departement, place_access, population_points,
    ranked_sites, sites_without_backup,
)  # fmt: skip
from .core.calibration import FitSettings, calibrate, fit_speed_model, reference_communes, validation_table
from .core.e2sfca import DecaySteps, e2sfca, e2sfca_scores, travel_pairs
from .core.isochrones import edges_leaving, fidelity, isochrone_table
from .core.network import RoadNetwork, SpeedModel, area_crs, horizon_network, load_network, main_component, speed_models
from .core.siting import greedy_scenario
from .errors import ArgumentError, ArgumentTypeError, ConfigError, CoverageError, InputError
from .france.candidates import CandidateRule, candidate_sites
from .france.facilities import Inputs, build_facilities
from .france.geography import build_communes
from .france.indicators import GapRule, compute_indicators, national_values
from .france.sources.boundaries import load_commune_polygons, load_departements
from .france.sources.chefs_lieux import load_chefs_lieux
from .france.sources.deaths import load_cancer_deaths, load_deaths
from .france.sources.emergency import emergency_sites, find_emergency_tables
from .france.sources.finess import load_finess
from .france.sources.population import load_population
from .france.sources.reference import load_reference_times
from .france.sources.sae import find_edition, load_home_hospitalisation, load_identification, load_palliative

if TYPE_CHECKING:  # drawn with folium and matplotlib, imported when first used: palliative-coverage[maps]
    from .outputs.maps import build_area_map
    from .outputs.page import write_map
    from .outputs.plot import plot_area_minutes, plot_indicator

DRAWING = {"build_area_map": "maps", "write_map": "page", "plot_area_minutes": "plot", "plot_indicator": "plot"}

__version__ = "0.3.0"


def __getattr__(name: str) -> object:
    """The map functions, imported when first asked for: the engine imports without folium and matplotlib."""
    if name not in DRAWING:
        raise AttributeError(f"module 'coverage' has no attribute {name!r}")
    import importlib

    try:
        module = importlib.import_module(f".outputs.{DRAWING[name]}", __name__)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(f"coverage.{name} draws with {error.name}, which the engine does not install: "
                                  "pip install 'palliative-coverage[maps]'", name=error.name) from error  # fmt: skip
    return getattr(module, name)


__all__ = [
    "LAMBERT_93", "SERVICES", "UNITS", "WGS84", "AccessModel", "ArgumentError", "ArgumentTypeError", "CandidateRule",
    "ConfigError", "CoverageError", "DecaySteps", "FitSettings", "GapRule", "InputError", "Inputs", "RoadNetwork",
    "Router", "SpeedModel", "area_crs", "build_area_map", "build_communes", "build_facilities", "calibrate",
    "candidate_sites", "catchments", "commune_access", "compute_indicators", "coverage_by_departement", "e2sfca",
    "e2sfca_scores", "edges_leaving", "emergency_sites", "fidelity", "find_edition", "find_emergency_tables",
    "fit_speed_model", "greedy_scenario", "horizon_network", "isochrone_table", "load_cancer_deaths",
    "load_chefs_lieux", "load_commune_polygons", "load_deaths", "load_departements", "load_finess",
    "load_home_hospitalisation", "load_identification", "load_network", "load_palliative", "load_population",
    "load_reference_times", "main_component", "metric_crs", "national_values", "place_access", "plot_area_minutes",
    "plot_indicator", "population_points", "ranked_sites", "reference_communes", "sites_without_backup", "speed_models",
    "speeds", "travel_pairs", "validation_table", "write_map",
]  # fmt: skip
