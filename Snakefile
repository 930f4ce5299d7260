# palliative-coverage: official registers -> five services -> indicators, tables and maps by département.
from pathlib import Path


configfile: Path(workflow.basedir) / "workflow" / "config" / "config.yaml"


# The copies and downloads of the inputs, and the merges of a few small tables, run by Snakemake itself (on a cluster,
# on the login node, which reaches the mirror and the download servers): never a job of their own.
localrules:
    raw_sae,
    raw_sae_edition,
    raw_communes,
    raw_file,
    raw_network,
    raw_reference_sites,
    logs,
    changes,
    merge_run,
    merge_region,
    region_capacity_access,


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


# Every other rule runs one step, its named entries bound to the step's parameters: checked before any job runs, by
# the Snakemake that plans the run (a cluster job's Snakemake runs one job of the plan it checked, and would import
# every step's module again for nothing).
if workflow.is_main_process:
    planning_check(
        check_rules,
        {
            defined.name: {
                "input": defined.input.keys(),
                "output": defined.output.keys(),
                "params": defined.params.keys(),
            }
            for defined in workflow.rules
            if defined.name != "all"
        },
    )
