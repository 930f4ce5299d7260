# palliative-coverage: official registers -> five services -> indicators, tables and maps by département.
from pathlib import Path


configfile: Path(workflow.basedir) / "workflow" / "config" / "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/facilities.smk"
include: "workflow/rules/indicators.smk"
include: "workflow/rules/editions.smk"
include: "workflow/rules/access.smk"
include: "workflow/rules/calibration.smk"
include: "workflow/rules/maps.smk"
include: "workflow/rules/provenance.smk"


rule all:
    input:
        PUBLISHED,
        rules.manifest.output,
    default_target: True
