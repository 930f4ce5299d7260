# palliative-coverage: official registers -> five services -> indicators, tables and maps by département.
from pathlib import Path


configfile: Path(workflow.basedir) / "workflow" / "config" / "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/facilities.smk"
include: "workflow/rules/indicators.smk"
include: "workflow/rules/access.smk"
include: "workflow/rules/maps.smk"


rule all:
    input:
        rules.facilities.output,
        rules.logs.output,
        rules.indicators.output,
        rules.html_map.output,
        expand(rules.static_map.output, indicator=list(config["maps"]["indicators"])),
        expand("data/processed/{table}", table=AREA_TABLES),
        expand(rules.area_map.output, area=AREAS),
        expand(rules.report.output, area=AREAS),
    default_target: True
