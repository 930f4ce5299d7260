import json
import os
import re
import sys
from functools import cache
from pathlib import Path, PurePosixPath

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from coverage.core.access import AccessModel
from coverage.pipeline.configuration import (
    calibration_departements, check_config, check_run_departements, read_config, read_schema, with_shipped,
)
from coverage.errors import ORIGINS_VARIABLE, ConfigError, InputError
from coverage.pipeline.resources import JobCost, NodeModel, SplitCost, remembered_sizes
from coverage.pipeline.script import check_rules
from coverage.france.sources.fetch import Downloads, check_present, fetch
from coverage.france.sources.reference import reference_departements
from coverage.france.sources.own_sites import check_own_lists
from coverage.france.sources.sae import edition_key, find_edition, sae_editions
from coverage.france.territories import Territories, check_boundaries_cover, departement_sizes

min_version("9.0")



def planning_check(check, *arguments):
    """Run a check of the config or of an input while planning; a fault stops the run with its few-line message,
    and nothing else (no line of the workflow's own files)."""
    try:
        return check(*arguments)
    except (ConfigError, InputError) as error:
        text = f"bad input in {error.report()}" if isinstance(error, InputError) else str(error)
        print(f"coverage: {text}", file=sys.stderr)
        raise SystemExit(1) from None


SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
# The config files in the order they override each other: the workflow's, then those of --configfile.
CONFIG_FILES = [Path(workflow.basedir) / "workflow" / "config" / "config.yaml", *workflow.overwrite_configfiles]
config.update(with_shipped(config))  # the shipped speed models, converter defaults and indicator titles it names
planning_check(check_config, config, read_schema(SCHEMA), CONFIG_FILES)
validate(config, schema=str(SCHEMA))  # fills the schema's defaults

PROJECT = Path(workflow.basedir)
MIRROR = (PROJECT / config["mirror"]).resolve()


def beside_config(path):
    """A relative input path as the planner means it: beside the config file (of --configfile, the last first) that
    holds it when it is there, else as given (relative to the mirror)."""
    if not isinstance(path, str) or Path(path).is_absolute() or "{" in path:
        return path
    for folder in [Path(f).resolve().parent for f in reversed(workflow.overwrite_configfiles)]:
        if (folder / path).exists():
            return str(folder / path)
    return path


def resolved_sources(sources):
    """``sources`` with each path found beside a config file made absolute (editions by kind and lists too)."""
    if isinstance(sources, dict):
        return {key: resolved_sources(value) for key, value in sources.items()}
    if isinstance(sources, list):
        return [resolved_sources(value) for value in sources]
    return beside_config(sources)


config["sources"] = resolved_sources(config["sources"])
config["own_sites"] = [{**entry, "path": beside_config(entry["path"])} for entry in config["own_sites"]]
config["networks"]["sources"] = [{**entry, **({"path": beside_config(entry["path"])} if "path" in entry else {})}
                                 for entry in config["networks"]["sources"]]  # fmt: skip


def in_mirror(path):
    """Absolute path of a configured input: absolute as given, else under the mirror."""
    path = Path(path)
    return str(path if path.is_absolute() else MIRROR / path)


def in_mirror_if_present(path):
    """The configured input's path in the mirror when it is there; nothing when it is to be downloaded."""
    found = in_mirror(path)
    return found if Path(found).exists() else []


OWN_SITES = [{**entry, "path": in_mirror(entry["path"])} for entry in config["own_sites"]]

# SAE editions by the name of their working copy, oldest first: the last is the run's, the others give the
# change between editions.
SAE_EDITIONS = {edition_key(edition): edition for edition in sae_editions(config["sources"]["sae"])}
RUN_EDITION = list(SAE_EDITIONS)[-1]
COMPARED_EDITIONS = len(SAE_EDITIONS) > 1
EARLIER_EDITIONS = list(SAE_EDITIONS)[:-1]
EDITION_FOLDER = "data/processed/editions/{edition}"


def sae_in_mirror(key):
    """The files of an SAE edition present in the mirror: its folder, or its three files by kind."""
    edition = SAE_EDITIONS[key]
    paths = [edition] if isinstance(edition, str) else edition.values()
    return [found for path in paths if (found := in_mirror_if_present(path))]


def sae_copy(key):
    """Working copy of an SAE edition: data/raw/sae for the run's, data/raw/sae_editions/<name> for the others."""
    return "data/raw/sae" if key == RUN_EDITION else f"data/raw/sae_editions/{key}"


def sae_copies():
    """Each SAE working copy (folder, or file of an edition given by kind) -> the planner's folder or file."""
    copies = {}
    for key, edition in SAE_EDITIONS.items():
        if isinstance(edition, str):
            copies[sae_copy(key)] = edition
        else:
            copies.update({f"{sae_copy(key)}/{PurePosixPath(path).name}": path for path in edition.values()})
    return copies


def plan_input(name):
    """A source read while planning (mirror, verified cache or download): its path."""
    return planning_check(fetch, config["sources"][name], MIRROR, Downloads.from_config(config["downloads"]))


TERRITORIES = Territories.read(plan_input("departement_regions"), plan_input("regions"))
DEPARTEMENTS = planning_check(TERRITORIES.select, config["departements"])
planning_check(check_run_departements, config, DEPARTEMENTS, CONFIG_FILES)
REGIONS = TERRITORIES.regions(DEPARTEMENTS)
# The planner's own files are checked now, before any job: each file their config names is there (the workflow's
# defaults are fetched, or said missing, when a job needs them), an SAE folder's three files, each list's rows.
DEFAULTS = read_config(CONFIG_FILES[0])  # as the run's config: the shipped models and converter defaults resolved
planning_check(check_present, {
    **({f"sources.sae[{i}]": path for i, edition in enumerate(SAE_EDITIONS.values())
        for path in ([edition] if isinstance(edition, str) else edition.values())}
       if config["sources"]["sae"] != DEFAULTS["sources"]["sae"] else {}),
    **{f"own_sites[{i}].path": entry["path"] for i, entry in enumerate(config["own_sites"])},
    **{f"networks.sources[{i}].path": entry["path"] for i, entry in enumerate(config["networks"]["sources"])
       if entry.get("path") and "{" not in entry["path"] and entry not in DEFAULTS["networks"]["sources"]},
}, MIRROR, Downloads.from_config(config["downloads"]))  # fmt: skip
for edition in SAE_EDITIONS.values():
    if isinstance(edition, str) and Path(in_mirror(edition)).is_dir():
        planning_check(find_edition, in_mirror(edition))
if OWN_SITES:
    planning_check(check_own_lists, OWN_SITES, plan_input("population"), plan_input("departements"),
                   config["facilities"]["departement_tolerance_km"])


def fitted_departements():
    """The départements the run fits its speed model on (``calibration.departements``; none without calibration)."""
    settings = config["calibration"]
    if not settings:
        return []
    covered = (planning_check(reference_departements, plan_input("reference_times"), settings["code_column"])
               if settings["departements"] == "run" else set())  # fmt: skip
    return calibration_departements(settings["departements"], DEPARTEMENTS, covered, settings["max_departements"])


# The run fits its own speed model on these (the calibration job) and drives at the fitted speeds; with none, the
# shipped model.
CALIBRATION_DEPARTEMENTS = fitted_departements()
CALIBRATION_FOLDER = "data/processed/calibration"
FINESS_REGISTER = "data/processed/finess.parquet"  # FINESS read and checked once, for every job that needs it
FITTED_SPEEDS = [f"{CALIBRATION_FOLDER}/speeds_fitted.yaml"] if CALIBRATION_DEPARTEMENTS else []
SITES_FROM_TABLES = not str(config["sources"].get("reference_sites", "")).lower().endswith(".csv")
REFERENCE_SITES_REJECTS = "data/processed/logs/rejects_reference_sites.csv"

SITING_SERVICES = [service.lower() for service in config["siting"]["services"]]
DEPARTEMENT_TABLES = [
    "access_commune.csv",
    "access_sites.csv",
    "coverage_departement.csv",
    "critical_sites.csv",
    "isochrones.gpkg",
    "travel_times.parquet",
    "nearest_sites.csv",
    "referral_ehpad.csv",
    "referral_lisp.csv",
    "referral_departement.csv",
] + [f"siting_{service}{suffix}.csv" for service in SITING_SERVICES for suffix in ("", "_communes")]
CATCHMENT_SERVICES = [service for service in config["catchments"]["services"] if service in config["access"]["directions"]]
RUN_TABLES = DEPARTEMENT_TABLES + ["e2sfca_commune.csv"]
REGION_TABLES = [table for table in DEPARTEMENT_TABLES if table != "travel_times.parquet"]  # what maps and reports read


def network_source(departement):
    """The first entry of `networks.sources` listing the département (or `all`)."""
    for entry in config["networks"]["sources"]:
        if entry["departements"] == "all" or departement in entry["departements"]:
            return entry
    raise WorkflowError(f"config 'networks.sources': no road network source lists département {departement}")


def network_path(departement):
    """The département's network file as configured, relative to the mirror ('' for a download)."""
    return network_source(departement).get("path", "").format(departement=departement)


def network_origin(wildcards):
    """The département's road network as the planner configured it, named in its warnings."""
    path = network_path(wildcards.departement)
    return in_mirror(path) if path else "OpenStreetMap download"


def raw_network(departement):
    """Where the département's network file is copied in data/raw/ (nothing to copy for a download)."""
    path = network_path(departement)
    return f"data/raw/networks/{Path(path).name}" if path else []


def raw_network_sources():
    """File name in data/raw/networks/ -> configured path, for the networks of the run's départements."""
    sources = {}
    for departement in DEPARTEMENTS:
        path = network_path(departement)
        if path and sources.setdefault(Path(path).name, path) != path:
            raise WorkflowError(f"config 'networks.sources': two network files named {Path(path).name}")
    return sources


RAW_NETWORKS = raw_network_sources()


def from_split_source(departement):
    """Whether a département's network is a piece of a split source (`split: true`)."""
    return bool(network_path(departement) and network_source(departement).get("split"))


def prepared_name(departement):
    """The prepared network a département is sliced from: one per source file, per piece of a split
    source, per département for a download."""
    path = network_path(departement)
    if not path:
        return f"download-{departement}"
    return f"{Path(path).name}-{departement}" if from_split_source(departement) else Path(path).name


def prepared_network(departement):
    """The prepared arrays of a département's network source."""
    return f"data/processed/networks/{prepared_name(departement)}.npz"


def prepared_departements(name):
    """The run's départements a prepared network serves."""
    return [departement for departement in DEPARTEMENTS if prepared_name(departement) == name]


def prepare_input(name):
    """What a prepared network is read from: the raw file, a split source's pieces, nothing for a download."""
    departement = prepared_departements(name)[0]
    if from_split_source(departement):
        return f"data/processed/networks/pieces/{Path(network_path(departement)).name}"
    return raw_network(departement)


def prepare_path(name):
    """The file a prepared network is read from: the raw file or the département's piece ('' for a download)."""
    departement = prepared_departements(name)[0]
    if from_split_source(departement):
        return f"{prepare_input(name)}/{departement}.osm.pbf"
    return raw_network(departement) or ""


def sorted_keys(value):
    """A config section with its keys sorted at every level (lists as they are): the same settings written in
    another order are the same parameters, and do not make a job look changed."""
    if isinstance(value, dict):
        return {key: sorted_keys(value[key]) for key in sorted(value)}
    return value


def access_settings(*keys):
    """The `access` settings a rule's step reads: the routing model's and `keys`. A change to another key (the
    isochrone method, the map's service) does not make the rule's jobs look changed."""
    return {key: config["access"][key] for key in (*AccessModel.CONFIG_KEYS, *keys)}


def converter_defaults(departement):
    """The speeds a département's network source gives road classes without a limit, in a fixed order: a config
    written with its keys sorted does not make the network look changed."""
    return sorted_keys(network_source(departement).get("converter_default_maxspeeds", {}))


def split_departements(filename):
    """The run's départements whose network is a piece of the split source ``filename``."""
    return [d for d in DEPARTEMENTS if from_split_source(d) and Path(network_path(d)).name == filename]


def network_label(departement):
    """Edition label of a département's road network, as cited under tables and maps."""
    source = network_source(departement)
    if "edition" in source:
        return source["edition"]
    origin = Path(network_path(departement)).name or "téléchargement"
    return f"Réseau routier © contributeurs OpenStreetMap ({origin})"


def editions_of(departements):
    """Edition labels for tables about some départements: the configured ones, their road networks' and, when trips
    start at the chefs-lieux, theirs."""
    origins = [config["editions"]["chefs_lieux"]] if config["access"]["origin"] == "chef_lieu" else []
    return {**config["editions"], "networks": sorted({network_label(d) for d in departements}), "origins": origins}


def departement_editions(wildcards):
    """Edition labels for the tables of one département."""
    return editions_of([wildcards.departement])


def region_editions(wildcards):
    """Edition labels for the tables, maps and report of one région."""
    return editions_of(REGIONS[wildcards.region].departements)


def region_is_run(region):
    """Whether a région holds all the run's départements (an ARS running its own région): its tables are the run's."""
    return list(REGIONS[region].departements) == list(DEPARTEMENTS)


def region_parts(wildcards):
    """What a région's tables are made from: its départements' tables, or the run's when the région is the run."""
    if region_is_run(wildcards.region):
        return expand("data/processed/{table}", table=REGION_TABLES)
    return expand(f"{DEPARTEMENT_FOLDER}/{{table}}", departement=REGIONS[wildcards.region].departements,
                  table=REGION_TABLES)  # fmt: skip


def region_departements(wildcards):
    """The run's départements in a région."""
    return list(REGIONS[wildcards.region].departements)


NODE_MODEL = NodeModel(**config["resources"]["network_nodes"])
JOB_OVERHEAD = JobCost.from_config(config["resources"]["job_overhead"])


@cache
def sizes():
    """Area (with the buffer) and population of the run's départements and those its calibration fits on, read once,
    when a job's resources are asked, and kept in .snakemake/coverage for the next Snakemake start of the same plan.

    The boundaries must hold every département: a missing one stops the planning naming the file."""
    boundaries, population = plan_input("departements"), plan_input("population")
    planned, buffer_km = sorted({*DEPARTEMENTS, *CALIBRATION_DEPARTEMENTS}), config["networks"]["buffer_km"]

    def measured():
        planning_check(check_boundaries_cover, boundaries, TERRITORIES.codes)
        return departement_sizes(boundaries, population, buffer_km, codes=planned)

    return remembered_sizes(Path(".snakemake/coverage"), measured, [boundaries, population],
                            [planned, buffer_km, TERRITORIES.codes])  # fmt: skip


def scaled_resource(job, name, nodes):
    """threads, mem_mb or runtime of one kind of network job; memory and time scale with ``nodes(wildcards)``."""
    cost = JobCost.from_config(config["resources"]["departement_jobs"][job])
    if name == "threads":
        return cost.threads
    safety = config["resources"]["safety"]
    return lambda wildcards, attempt: cost.resources(nodes(wildcards), safety, attempt, JOB_OVERHEAD)[name]


def departement_resource(job, name):
    """threads, mem_mb or runtime of one kind of département job, scaled with its network's size."""
    return scaled_resource(job, name, lambda wildcards: NODE_MODEL.nodes(sizes()[wildcards.departement]))


def calibration_nodes(wildcards=None):
    """The estimated nodes the calibration routes: the networks of all its départements."""
    return sum(NODE_MODEL.nodes(sizes()[d]) for d in CALIBRATION_DEPARTEMENTS)


def calibration_resource(name):
    """threads, mem_mb or runtime of the calibration: it routes every fit on the networks of all its départements.
    Its held-out fits run side by side on `threads` cores, but on one below `resources.small_departement_nodes`
    (an island: seconds either way), where waiting for a second core would cost more than it saves."""
    if name == "threads":
        cost = JobCost.from_config(config["resources"]["departement_jobs"]["calibration"])
        return lambda wildcards: 1 if calibration_nodes() < config["resources"]["small_departement_nodes"] else cost.threads
    return scaled_resource("calibration", name, calibration_nodes)


SPLIT_COST = SplitCost(**config["resources"]["split_network"])


def split_source_gb(filename):
    """Size of a split source in GB (the file in the mirror; the France extract's 4.5 before it is downloaded)."""
    path = Path(in_mirror(RAW_NETWORKS[filename]))
    return path.stat().st_size / 1e9 if path.exists() else 4.5


def split_pieces_per_pass(filename):
    """How many pieces osmium cuts in each pass over a split source, within `resources.split_memory_mb`."""
    settings = config["resources"]
    pieces = len(split_departements(filename))
    return SPLIT_COST.pieces_per_pass(pieces, split_source_gb(filename), settings["split_memory_mb"], settings["safety"])


def split_resource(name):
    """mem_mb or runtime of the split of a source: one pass of as many pieces as fit in `split_memory_mb`."""
    settings = config["resources"]
    return lambda wildcards, attempt: SPLIT_COST.resources(
        len(split_departements(wildcards.filename)), split_source_gb(wildcards.filename), settings["split_memory_mb"],
        settings["safety"], attempt,
    )[name]


def prepare_resource(name):
    """threads, mem_mb or runtime of the job preparing a network source: it scales with all the départements it serves."""
    return scaled_resource(
        "prepare_network", name,
        lambda wildcards: sum(NODE_MODEL.nodes(sizes()[d]) for d in prepared_departements(wildcards.name)),
    )  # fmt: skip


OTHER_JOBS = JobCost.from_config(config["resources"]["other_jobs"])


def other_resource(name):
    """threads, mem_mb or runtime of the jobs that do not depend on a network (national tables, merges, maps)."""
    if name == "threads":
        return OTHER_JOBS.threads
    return lambda wildcards, attempt: OTHER_JOBS.resources(0, config["resources"]["safety"], attempt, JOB_OVERHEAD)[name]


def cluster_group(departement):
    """The cluster job a département's jobs go in (groups are ignored when running locally): one per département,
    so that its network, access, isochrone, directory and siting jobs are one submission (not the preparation of its
    network: the calibration reads it before any network job runs); the départements under `resources.small_departement_nodes` (islands and DROM) in
    a shared group, merged by the profile's group-components."""
    nodes = NODE_MODEL.nodes(sizes()[departement])
    small = nodes < config["resources"]["small_departement_nodes"]
    return "small_departements" if small else f"departement_{departement}"


def departement_group(wildcards):
    """The cluster job of a département job (:func:`cluster_group`)."""
    return cluster_group(wildcards.departement)


def departement_codes(wildcards):
    """The département of a job, as the one-element list of codes the steps take."""
    return [wildcards.departement]


RAW_SOURCES = {
    "finess": "data/raw/finess.csv",
    "population": "data/raw/population.json",
    "population_by_age": "data/raw/population_by_age.xls",
    "deaths": "data/raw/deaths.csv",
    "cancer_deaths": "data/raw/cancer_deaths.csv",
    "departements": "data/raw/departements.geojson",
    "communes": "data/raw/communes",
    "chefs_lieux": "data/raw/chefs_lieux.csv",
    "reference_times": "data/raw/reference_times.csv",
    "reference_sites": "data/raw/reference_sites" if SITES_FROM_TABLES else "data/raw/reference_sites.csv",
}


def raw_origins():
    """Each working copy under data/raw/ -> the file the planner configured, when it is in the mirror."""
    copies = {raw: config["sources"].get(name) for name, raw in RAW_SOURCES.items()}
    copies.update(sae_copies())
    copies.update({f"data/raw/networks/{name}": path for name, path in RAW_NETWORKS.items()})
    return {raw: in_mirror(path) for raw, path in copies.items() if path and Path(in_mirror(path)).exists()}


# The rules' error reports name the planner's own files, not their working copies (coverage.pipeline.script).
os.environ[ORIGINS_VARIABLE] = json.dumps(raw_origins(), ensure_ascii=False)


def labelled_inputs():
    """Inputs whose edition comes from the config, with their labels (SAE and FINESS are read from the data)."""
    labels = {
        **({"data/raw/reference_times.csv": config["calibration"]["label"],
            RAW_SOURCES["reference_sites"]: config["calibration"]["label"]} if CALIBRATION_DEPARTEMENTS else {}),
        "data/raw/population.json": config["editions"]["population"],
        "data/raw/population_by_age.xls": config["editions"]["population_by_age"],
        "data/raw/deaths.csv": config["editions"]["deaths"],
        "data/raw/cancer_deaths.csv": config["editions"]["cancer_deaths"],
        "data/raw/departements.geojson": config["editions"]["boundaries"],
        "data/raw/communes": config["editions"]["boundaries"],
        "data/raw/chefs_lieux.csv": config["editions"]["chefs_lieux"],
    }
    labels.update({raw_network(d): network_label(d) for d in DEPARTEMENTS if raw_network(d)})
    labels.update({entry["path"]: entry["label"] for entry in OWN_SITES})
    return labels
