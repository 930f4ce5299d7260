"""The script of every rule: run the step the rule is bound to (coverage.pipeline.script)."""

from coverage.pipeline.script import run_rule

run_rule(snakemake)  # noqa: F821 -- the object Snakemake gives the script
