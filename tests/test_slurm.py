"""France on a real cluster: the default run (Corsica, two SAE editions) through a SLURM scheduler of one node
(Debian's slurm-wlm, munge, and slurmdbd on MariaDB, started here: tests/slurm.py), with the workflow's SLURM
profile and Snakemake's executor plugin, against the same run on this machine (the session's ``run``, by the
installed wheel's Snakemake with the local profile: another folder, another executor, another order of the jobs).

The resources each job asked for are read back from SLURM's own records (``sacct``) and set against the resource
estimator's (the config's ``resources``, computed here from the département sizes); a job killed by an operator
(``scancel``) is resubmitted with twice its memory and time, as the profile says, and the run completes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAE, SAE_2021, SHARED
from slurm import SlurmCluster

from coverage.france.territories import departement_sizes
from coverage.pipeline.provenance import table_digests
from coverage.pipeline.resources import JobCost, NodeModel

pytestmark = pytest.mark.integration

DEPARTEMENT_JOBS = ("network", "access", "isochrones", "commune_site_times", "nearest_sites", "siting")
FIELDS = ("JobIDRaw", "State", "ReqMem", "Timelimit", "Comment", "Start")


def default_plan() -> dict:
    """The session run's config: Corsica, two SAE editions. Both Corsican networks are under
    ``resources.small_departement_nodes``: their jobs go in the shared group of small départements, one submission
    (the profile's group-components); the group job of a large département alone is checked on the national plan
    (tests/test_national.py)."""
    return {"sources": {"sae": [str(SAE_2021), str(SAE)]}}


def through_slurm(cluster: SlurmCluster, folder: Path, config: dict, *arguments: str, wait: bool = True):
    """Snakemake with the workflow's SLURM profile, as a user on a login node would start it (status checked every
    few seconds rather than the profile's cluster-friendly pace)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    venv = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p and Path(p) != Path(venv))
    command = [
        sys.executable, "-m", "snakemake", *arguments, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(folder),
        "--workflow-profile", str(ROOT / "workflow/profiles/slurm"), "--configfile", str(folder / "config.yaml"),
        "--cores", "2", "--slurm-init-seconds-before-status-checks", "2",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=folder, env={**cluster.environment, "PATH": path}, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    if not wait:
        return process
    out, err = process.communicate(timeout=3600)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with SlurmCluster(tmp_path_factory.mktemp("slurm")) as running:
        yield running


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory) -> tuple[Path, list[dict[str, str]]]:
    folder = tmp_path_factory.mktemp("slurm-run")
    result = through_slurm(cluster, folder, default_plan())
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    return folder, [record for record in cluster.sacct(*FIELDS) if "." not in record["JobIDRaw"]]


class Estimator:
    """What the config's resource estimator asks for each job (attempt 1, 2, 3), computed here from the
    département sizes and the job costs, without the workflow."""

    def __init__(self, config: dict, folder: Path):
        settings = config["resources"]
        self.safety, self.overhead = settings["safety"], JobCost.from_config(settings["job_overhead"])
        self.costs = {job: JobCost.from_config(cost) for job, cost in settings["departement_jobs"].items()}
        self.other = JobCost.from_config(settings["other_jobs"])
        self.model = NodeModel(**settings["network_nodes"])
        sizes = departement_sizes(folder / "data/raw/departements.geojson", folder / "data/raw/population.json",
                                  config["networks"]["buffer_km"])  # fmt: skip
        self.nodes = {code: self.model.nodes(size) for code, size in sizes.items()}

    def ask(self, rule: str, wildcards: dict[str, str], attempt: int = 1) -> dict[str, int]:
        if rule in DEPARTEMENT_JOBS:
            nodes = self.nodes[wildcards["departement"]]
        elif rule == "prepare_network":  # the Corsica network serves both départements
            nodes = self.nodes["2A"] + self.nodes["2B"]
        elif rule == "calibration":  # the run's départements the official reference times cover
            nodes = sum(self.nodes[code] for code in reference_departements())
        else:
            return self.other.resources(0, self.safety, attempt, self.overhead)
        return self.costs[rule].resources(nodes, self.safety, attempt, self.overhead)


def reference_departements() -> list[str]:
    """The Corsican départements the official reference times cover (the calibration fits on them)."""
    with open(SHARED / "reference/drees-urgences-2019-communes.csv", encoding="utf-8") as table:
        codes = {line.split(",")[0].strip('"')[:2] for line in table}
    return [code for code in ("2A", "2B") if code in codes]


def megabytes(text: str) -> int:
    """SLURM's ReqMem (``3000M``, ``2G``) in MB."""
    number, unit = float(text[:-1]), text[-1]
    return round(number * {"M": 1, "G": 1024, "T": 1024 * 1024}[unit])


def minutes(text: str) -> int:
    """SLURM's Timelimit (``00:03:00``, ``1-00:00:00``) in minutes."""
    days, _, clock = text.rpartition("-")
    hours, mins, _ = (int(part) for part in clock.split(":"))
    return (int(days or 0) * 24 + hours) * 60 + mins


def submitted_jobs(log: str) -> list[dict]:
    """The jobs a group job's Snakemake log says it ran: rule, wildcards, and the resources asked.

    Each job it runs is a block at the margin (``localrule network:``, its fields indented by four spaces); the plan of
    a group printed before (its jobs indented further, resources still ``<TBD>``) is not read."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", log):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        fields = {}
        for key, value in re.findall(r"^ {4}(wildcards|resources): (.*)$", block, flags=re.MULTILINE):
            fields.setdefault(key, value)
        if rule and "resources" in fields:
            wildcards = dict(re.findall(r"(\w+)=([^,\s]+)", fields.get("wildcards", "")))
            asked = dict(re.findall(r"\b(mem_mb|runtime)=(\d+)", fields["resources"]))
            jobs.append({"rule": rule.group(1), "wildcards": wildcards, **{k: int(v) for k, v in asked.items()}})
    return jobs


def test_every_job_went_through_sbatch_with_what_the_estimator_asked(slurm_run, default_config):
    """SLURM's records: one allocation per job or group job, each asking (ReqMem, Timelimit) what the estimator
    computes for its département's network; a département's jobs in one submission, the two Corsican ones (small)
    in a shared one; every job's SLURM output in logs/slurm/ where the profile puts it."""
    folder, records = slurm_run
    estimator = Estimator(default_config, folder)
    assert records and all(record["State"] in ("COMPLETED", "FAILED", "OUT_OF_MEMORY", "TIMEOUT", "CANCELLED")
                           for record in records)  # fmt: skip
    attempts: dict[str, int] = {}
    grouped = [record for record in records if record["Comment"].startswith(("rule_small_departements_",
                                                                              "rule_departement_"))]  # fmt: skip
    singles = [record for record in records if record not in grouped]
    for record in singles:
        comment = record["Comment"].removeprefix("rule_")
        rule, _, wildcards = comment.partition("_wildcards_")
        attempts[comment] = attempt = attempts.get(comment, 0) + 1
        known = {"name": wildcards} if rule == "prepare_network" else {}
        ask = estimator.ask(rule, known, attempt)
        assert (megabytes(record["ReqMem"]), minutes(record["Timelimit"])) == (ask["mem_mb"], ask["runtime"]), record
        logs = list((folder / "logs/slurm" / f"rule_{rule}").rglob(f"{record['JobIDRaw']}.log"))
        assert logs, f"the SLURM output of job {record['JobIDRaw']} in logs/slurm/rule_{rule}/"
    assert not any(rule.startswith(DEPARTEMENT_JOBS) for rule in attempts), "département jobs go in group jobs"
    groups = {record["Comment"] for record in grouped}
    assert groups and all("small_departements" in group for group in groups), groups
    for record in grouped:
        log = next((folder / "logs/slurm").glob(f"group_*/{record['JobIDRaw']}.log")).read_text(encoding="utf-8")
        inner = submitted_jobs(log)
        departements = {job["wildcards"]["departement"] for job in inner}
        assert departements == {"2A", "2B"}, departements
        rules = sorted(job["rule"] for job in inner)
        assert rules == sorted([*DEPARTEMENT_JOBS, "siting"] * len(departements)), rules
        for job in inner:  # each job of the group asked what the estimator computes for it (a first attempt)
            ask = estimator.ask(job["rule"], job["wildcards"])
            assert (job["mem_mb"], job["runtime"]) == (ask["mem_mb"], ask["runtime"]), job
        memory = megabytes(record["ReqMem"])
        assert max(job["mem_mb"] for job in inner) <= memory <= sum(job["mem_mb"] for job in inner), record
        assert minutes(record["Timelimit"]) >= max(job["runtime"] for job in inner), record


def test_the_tables_are_those_of_the_run_on_this_machine(slurm_run, run):
    """Two runs of one config, in two folders, by two executors and two venvs (this one's Snakemake on the cluster,
    the installed wheel's here with the local profile), their jobs in another order: byte-identical tables."""
    folder, _ = slurm_run
    on_slurm, here = table_digests(folder), table_digests(run)
    assert len(here) >= 30 and on_slurm.keys() == here.keys()
    assert [name for name in here if here[name] != on_slurm[name]] == []


def test_a_job_killed_on_the_cluster_is_resubmitted_with_more_and_the_run_completes(cluster, slurm_run, default_config):
    """An operator kills the national maps' job (scancel) while it runs: Snakemake resubmits it with twice the memory
    and time (the profile's retries; its job states read from squeue), and the run completes."""
    folder, _ = slurm_run
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    process = through_slurm(cluster, folder, default_plan(), "--forcerun", "static_maps",
                            wait=False)  # fmt: skip
    deadline = time.monotonic() + 600
    killed = None
    while killed is None:
        assert time.monotonic() < deadline and process.poll() is None, "the job never ran"
        running = [job for job in cluster.queued() if job["comment"] == "rule_static_maps" and job["state"] == "RUNNING"]
        if running:
            killed = running[0]["id"]
            cluster.cancel(killed)
        time.sleep(1)
    out, err = process.communicate(timeout=1800)
    assert process.returncode == 0, (out + err)[-4000:]
    records = [r for r in cluster.sacct(*FIELDS, since=started) if r["Comment"] == "rule_static_maps"]
    assert [r["State"].split()[0] for r in records] == ["CANCELLED", "COMPLETED"], records
    # Twice the memory and time of the first attempt (the time in seconds, then rounded up to the minute).
    estimator = Estimator(default_config, folder)
    asked = [(megabytes(r["ReqMem"]), minutes(r["Timelimit"])) for r in records]
    assert asked == [tuple(estimator.ask("static_maps", {}, attempt).values()) for attempt in (1, 2)]
    assert asked[1][0] == 2 * asked[0][0] and asked[1][1] > asked[0][1]
    assert (folder / "maps/static/usp_beds_per_100k.png").stat().st_size > 10_000
