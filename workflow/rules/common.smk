import json
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")


validate(config, schema="../schemas/config.schema.yaml")

PROJECT = Path(workflow.basedir)
MIRROR = (PROJECT / config["mirror"]).resolve()


AREAS = list(config["areas"])
AREA_TABLES = [
    "access_commune.csv",
    "access_sites.csv",
    "coverage_departement.csv",
    "isochrones.gpkg",
    "e2sfca_commune.csv",
    "travel_times.parquet",
] + [f"siting_{service.lower()}.csv" for service in config["siting"]["services"]]
SITING_SERVICES = [service.lower() for service in config["siting"]["services"]]


def in_mirror(path):
    """Absolute path of a configured input: absolute as given, else under the mirror."""
    path = Path(path)
    return str(path if path.is_absolute() else MIRROR / path)


def source(key):
    """Absolute path of an input named in `sources`."""
    return in_mirror(config["sources"][key])


def area_network(area):
    """The network section of an area."""
    return config["areas"][area]["network"]


def raw_network(area):
    """Where the area's network file is copied in data/raw/ (nothing to copy for a download)."""
    network = area_network(area)
    if network["source"] == "download":
        return []
    return f"data/raw/networks/{area}/{Path(network['path']).name}"


def as_json(value):
    """A config section passed to a step as one JSON argument."""
    return json.dumps(value, ensure_ascii=False)
