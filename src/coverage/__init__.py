"""palliative-coverage: where France's palliative and supportive care is within reach, and where it is not.

The package has three layers, one sub-package each:

- :mod:`.core`, the accessibility engine, which knows nothing of France: road networks as arrays
  (:mod:`.core.network`), read from their sources (:mod:`.core.readers`, :mod:`.core.osm`) by the tag rules of a car
  (:mod:`.core.tags`), driven at the speed model's times (:mod:`.core.speed_model`) within an area's horizon
  (:mod:`.core.horizon`), routing (:mod:`.core.routing`), access and coverage
  (:mod:`.core.access`), isochrones (:mod:`.core.isochrones`), capacity-aware access (:mod:`.core.e2sfca`),
  siting (:mod:`.core.siting`), the speed model's calibration (:mod:`.core.calibration`), geometry
  (:mod:`.core.geometry`); tables go in and out under the caller's column names (:class:`.core.columns.Columns`);
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

import importlib

EXPORTS: dict[str, tuple[str, ...]] = {
    "core.access": ("AccessModel", "Router", "catchments", "commune_access", "coverage_by_departement", "place_access",
                    "population_points", "ranked_sites", "sites_without_backup"),
    "core.calibration": ("FitSettings", "calibrate", "fit_speed_model", "reference_communes", "validation_table"),
    "core.columns": ("Columns",),
    "core.e2sfca": ("DecaySteps", "e2sfca", "e2sfca_scores", "travel_pairs"),
    "core.horizon": ("horizon_network",),
    "core.isochrones": ("edges_leaving", "fidelity", "isochrone_table"),
    "core.network": ("RoadNetwork", "main_component"),
    "core.readers": ("load_network",),
    "core.siting": ("greedy_scenario",),
    "core.speed_model": ("SpeedModel", "speed_models"),
    "errors": ("ArgumentError", "ArgumentTypeError", "ConfigError", "CoverageError", "InputError"),
    "france.candidates": ("CandidateRule", "candidate_sites"),
    "france.constants": ("COLUMNS", "LAMBERT_93", "SERVICES", "UNITS", "WGS84", "area_crs", "metric_crs"),
    "france.facilities": ("Inputs", "build_facilities"),
    "france.geography": ("build_communes",),
    "france.indicators": ("GapRule", "compute_indicators", "national_values"),
    "france.sources.boundaries": ("load_commune_polygons", "load_departements"),
    "france.sources.chefs_lieux": ("load_chefs_lieux",),
    "france.sources.deaths": ("load_cancer_deaths", "load_deaths"),
    "france.sources.emergency": ("emergency_sites", "find_emergency_tables"),
    "france.sources.finess": ("load_finess",),
    "france.sources.population": ("load_population",),
    "france.sources.reference": ("load_reference_times",),
    "france.sources.sae": ("find_edition", "load_home_hospitalisation", "load_identification", "load_palliative"),
    "outputs.maps": ("build_area_map",),
    "outputs.page": ("write_map",),
    "outputs.plot": ("plot_area_minutes", "plot_indicator"),
}  # fmt: skip
"""Module (under the package) -> the public names it defines, imported when first asked for (as SPEC 1's
lazy_loader does): ``import coverage.france.sources.mirror`` or a pipeline step's process pays for what it uses, not
for the whole package (pandas, geopandas, scipy: 1.6 s of CPU a job). ``coverage.speeds``, the shipped speed models,
is a module of its own."""
DRAWING = ("outputs.maps", "outputs.page", "outputs.plot")
"""The modules drawn with folium and matplotlib: ``palliative-coverage[maps]``."""
MODULE_OF = {name: module for module, names in EXPORTS.items() for name in names}
__all__ = ["speeds", *MODULE_OF]

__version__ = "0.3.0"


def __getattr__(name: str) -> object:
    """A public name, imported from its module when first asked for (and kept); ``speeds``, the module."""
    if name == "speeds":
        return importlib.import_module(".speeds", __name__)
    if name not in MODULE_OF:
        raise AttributeError(f"module 'coverage' has no attribute {name!r}")
    try:
        module = importlib.import_module(f".{MODULE_OF[name]}", __name__)
    except ModuleNotFoundError as error:
        if MODULE_OF[name] not in DRAWING:
            raise
        raise ModuleNotFoundError(f"coverage.{name} draws with {error.name}, which the engine does not install: "
                                  "pip install 'palliative-coverage[maps]'", name=error.name) from error  # fmt: skip
    value = globals()[name] = getattr(module, name)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
