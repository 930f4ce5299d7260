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


def in_mirror_if_present(path):
    """The configured input's path in the mirror when it is there; nothing when it is to be downloaded."""
    found = in_mirror(path)
    return found if Path(found).exists() else []


OWN_SITES = [{**entry, "path": in_mirror(entry["path"])} for entry in config["own_sites"]]


def area_network(area):
    """The network section of an area."""
    return config["areas"][area]["network"]


def network_label(area):
    """Edition label of an area's road network, as cited under tables and maps."""
    network = area_network(area)
    if "edition" in network:
        return network["edition"]
    origin = "téléchargement" if network["source"] == "download" else Path(network["path"]).name
    return f"Réseau routier © contributeurs OpenStreetMap ({origin})"


def area_editions(wildcards):
    """Edition labels for the outputs of one area: the configured ones and its road network's."""
    return as_json({**config["editions"], "network": network_label(wildcards.area)})


def raw_network(area):
    """Where the area's network file is copied in data/raw/ (nothing to copy for a download)."""
    network = area_network(area)
    if network["source"] == "download":
        return []
    return f"data/raw/networks/{area}/{Path(network['path']).name}"


def as_json(value):
    """A config section passed to a step as one JSON argument."""
    return json.dumps(value, ensure_ascii=False)


def labelled_inputs():
    """Inputs whose edition comes from the config, with their labels (SAE and FINESS are read from the data)."""
    labels = {
        "data/raw/population.json": config["editions"]["population"],
        "data/raw/departements.geojson": config["editions"]["boundaries"],
        "data/raw/communes": config["editions"]["boundaries"],
    }
    labels.update({raw_network(area): network_label(area) for area in AREAS if raw_network(area)})
    labels.update({entry["path"]: entry["label"] for entry in OWN_SITES})
    return labels
