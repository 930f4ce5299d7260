import json
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")


validate(config, schema="../schemas/config.schema.yaml")

PROJECT = Path(workflow.basedir)
MIRROR = (PROJECT / config["mirror"]).resolve()


def source(key):
    """Absolute path of an input named in `sources`: absolute as given, else under the mirror."""
    path = Path(config["sources"][key])
    return str(path if path.is_absolute() else MIRROR / path)


def as_json(value):
    """A config section passed to a step as one JSON argument."""
    return json.dumps(value, ensure_ascii=False)
