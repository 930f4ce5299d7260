import json
import re
from functools import cache
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from coverage.errors import ConfigError, InputError
from coverage.resources import JobCost, NodeModel
from coverage.sources.fetch import Downloads, fetch
from coverage.territories import Territories, departement_sizes

min_version("9.0")


validate(config, schema="../schemas/config.schema.yaml")

PROJECT = Path(workflow.basedir)
MIRROR = (PROJECT / config["mirror"]).resolve()


def in_mirror(path):
    """Absolute path of a configured input: absolute as given, else under the mirror."""
    path = Path(path)
    return str(path if path.is_absolute() else MIRROR / path)


def in_mirror_if_present(path):
    """The configured input's path in the mirror when it is there; nothing when it is to be downloaded."""
    found = in_mirror(path)
    return found if Path(found).exists() else []


OWN_SITES = [{**entry, "path": in_mirror(entry["path"])} for entry in config["own_sites"]]


def plan_input(name):
    """A source read while planning (mirror, verified cache or download): its path."""
    try:
        return fetch(config["sources"][name], MIRROR, Downloads.from_config(config["downloads"]))
    except InputError as error:
        raise WorkflowError(f"bad input in {error.report()}") from None


TERRITORIES = Territories.read(plan_input("departement_regions"), plan_input("regions"))
try:
    DEPARTEMENTS = TERRITORIES.select(config["departements"])
except ConfigError as error:
    raise WorkflowError(str(error)) from None
REGIONS = TERRITORIES.regions(DEPARTEMENTS)
def check_horizon():
    """The drive-time horizon must hold every time the run uses."""
    used = [*config["access"]["thresholds_min"], config["siting"]["minutes"]]
    used += [step["max_min"] for step in config["e2sfca"]["steps"]]
    if config["access"]["horizon_min"] < max(used):
        raise WorkflowError(
            f"config 'access.horizon_min': {config['access']['horizon_min']} is shorter than {max(used)} minutes, "
            "the longest threshold, E2SFCA step or siting time"
        )


check_horizon()


def check_speed_models():
    """The speed models named by `speeds` and `calibration` must be defined, and calibrated départements run."""
    named = {"speeds.model": config["speeds"]["model"], "speeds.alternative": config["speeds"]["alternative"]}
    if config["calibration"]:
        named["calibration.model"] = config["calibration"]["model"]
        missing = sorted(set(config["calibration"]["departements"]) - set(DEPARTEMENTS))
        if missing:
            raise WorkflowError(
                f"config 'calibration.departements': {', '.join(missing)} not among the run's départements "
                f"({', '.join(DEPARTEMENTS)}); the calibration routes on their networks"
            )
    for key, name in named.items():
        if name not in config["speeds"]["models"]:
            models = ", ".join(config["speeds"]["models"])
            raise WorkflowError(f"config '{key}': no speed model {name!r} in speeds.models ({models})")


check_speed_models()
SITING_SERVICES = [service.lower() for service in config["siting"]["services"]]
DEPARTEMENT_TABLES = [
    "access_commune.csv",
    "access_sites.csv",
    "coverage_departement.csv",
    "isochrones.gpkg",
    "travel_times.parquet",
] + [f"siting_{service}{suffix}.csv" for service in SITING_SERVICES for suffix in ("", "_communes")]
RUN_TABLES = DEPARTEMENT_TABLES + ["e2sfca_commune.csv"]


def network_source(departement):
    """The first entry of `networks.sources` listing the département (or `all`)."""
    for entry in config["networks"]["sources"]:
        if entry["departements"] == "all" or departement in entry["departements"]:
            return entry
    raise WorkflowError(f"config 'networks.sources': no road network source lists département {departement}")


def network_path(departement):
    """The département's network file as configured, relative to the mirror ('' for a download)."""
    return network_source(departement).get("path", "").format(departement=departement)


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
    """Edition labels for tables about some départements: the configured ones and their road networks'."""
    return as_json({**config["editions"], "networks": sorted({network_label(d) for d in departements})})


def departement_editions(wildcards):
    """Edition labels for the tables of one département."""
    return editions_of([wildcards.departement])


def region_editions(wildcards):
    """Edition labels for the tables, maps and report of one région."""
    return editions_of(REGIONS[wildcards.region].departements)


def region_departements(wildcards):
    """The run's départements in a région, as one JSON argument."""
    return as_json(list(REGIONS[wildcards.region].departements))


def as_json(value):
    """A config section passed to a step as one JSON argument."""
    return json.dumps(value, ensure_ascii=False)


NODE_MODEL = NodeModel(**config["resources"]["network_nodes"])


@cache
def sizes():
    """Area (with the buffer) and population of every département, read once, when a job's resources are asked."""
    return departement_sizes(plan_input("departements"), plan_input("population"), config["networks"]["buffer_km"])


def scaled_resource(job, name, nodes):
    """threads, mem_mb or runtime of one kind of network job; memory and time scale with ``nodes(wildcards)``."""
    cost = JobCost.from_config(config["resources"]["departement_jobs"][job])
    if name == "threads":
        return cost.threads
    safety = config["resources"]["safety"]
    return lambda wildcards, attempt: cost.resources(nodes(wildcards), safety, attempt)[name]


def departement_resource(job, name):
    """threads, mem_mb or runtime of one kind of département job, scaled with its network's size."""
    return scaled_resource(job, name, lambda wildcards: NODE_MODEL.nodes(sizes()[wildcards.departement]))


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
    return lambda wildcards, attempt: OTHER_JOBS.resources(0, config["resources"]["safety"], attempt)[name]


def departement_codes(wildcards):
    """The département of a job, as the one-element JSON list the steps take."""
    return as_json([wildcards.departement])


def labelled_inputs():
    """Inputs whose edition comes from the config, with their labels (SAE and FINESS are read from the data)."""
    labels = {
        **({"data/raw/reference_times.csv": config["calibration"]["label"],
            "data/raw/reference_sites.csv": config["calibration"]["label"]} if config["calibration"] else {}),
        "data/raw/population.json": config["editions"]["population"],
        "data/raw/departements.geojson": config["editions"]["boundaries"],
        "data/raw/communes": config["editions"]["boundaries"],
    }
    labels.update({raw_network(d): network_label(d) for d in DEPARTEMENTS if raw_network(d)})
    labels.update({entry["path"]: entry["label"] for entry in OWN_SITES})
    return labels
