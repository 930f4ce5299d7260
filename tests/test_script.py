"""A rule runs its step (coverage.pipeline.script): entries bound by name, paths typed, faults reported cleanly."""

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from snakemake.iocontainers import InputFiles, Log, OutputFiles, Params

from coverage.pipeline import script
from coverage.pipeline.steps import access as access_steps, maps as maps_steps
from coverage.pipeline.script import STEPS, BindingError, bind, binding_faults, check_rules, run_rule, step_of


class Job:
    """What Snakemake gives a rule's script: its rule name and its named entries."""

    def __init__(self, rule: str, input: dict, output: dict, params: dict, log: list[str] = ()):
        self.rule = rule
        self.input = InputFiles(fromdict=input)
        self.output = OutputFiles(fromdict=output)
        self.params = Params(fromdict=params)
        self.log = Log(log)


def test_entries_bind_by_name_and_paths_become_paths(tmp_path: Path):
    parts = [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    bound = bind(access_steps.merge_tables, "merge_run", {"input": {"parts": parts}, "output": {"merged": "m.csv"}})
    assert bound == {"parts": [Path(p) for p in parts], "merged": [Path("m.csv")]}
    named = {"input": {"table": "t.csv"}, "output": {"selected": "s.csv"}, "params": {"codes": ["2A"]}}
    bound = bind(access_steps.select_departements, "region_capacity_access", named)
    assert bound == {"table": Path("t.csv"), "selected": Path("s.csv"), "codes": ["2A"]}


def test_a_name_the_step_does_not_take_a_missing_one_and_a_repeated_one_are_named():
    faults = binding_faults(maps_steps.report_pdf, {"input": ["page"], "output": ["pdf"], "params": ["pdf"]})
    assert faults == [
        "input 'page' is not a parameter of report_pdf (html, pdf)",
        "'pdf' is named twice (again in params)",
        "no entry gives report_pdf's html",
    ]
    with pytest.raises(BindingError, match=r"rule report_pdf: input 'page' is not a parameter"):
        bind(maps_steps.report_pdf, "report_pdf", {"input": {"page": "r.html"}, "output": {"pdf": "r.pdf"}})


def test_the_planning_check_names_every_rule_out_of_step():
    with pytest.raises(BindingError) as caught:
        check_rules({
            "report_pdf": {"input": ["html"], "output": ["pdf"], "params": []},
            "merge_run": {"input": ["parts"], "output": ["out"], "params": []},
            "mystery": {"input": [], "output": [], "params": []},
        })  # fmt: skip
    message = str(caught.value)
    assert "rule mystery: no step runs it" in message and "rule merge_run: output 'out'" in message
    assert "report_pdf" not in message


def test_a_rule_runs_its_step_and_a_bad_input_exits_1_with_the_report_in_the_log(
    tmp_path: Path, capsys, finess_copy_lacking_columns
):
    table = tmp_path / "national.csv"
    table.write_text("departement,value\n2A,1\n2B,2\n01,3\n", encoding="utf-8")
    job = Job("region_capacity_access", {"table": str(table)}, {"selected": str(tmp_path / "corse.csv")},
              {"codes": ["2A", "2B"]}, [str(tmp_path / "logs/select.log")])  # fmt: skip
    run_rule(job)
    assert (tmp_path / "corse.csv").read_text(encoding="utf-8") == "departement,value\n2A,1\n2B,2\n"

    job = Job("finess", {"table": "data/raw/finess.csv"}, {"register": "out/finess.parquet"}, {}, ["logs/finess.log"])
    with pytest.raises(SystemExit) as exited:
        run_rule(job)
    assert exited.value.code == 1
    assert capsys.readouterr().err.startswith(finess_copy_lacking_columns)
    assert (tmp_path / "logs/finess.log").read_text(encoding="utf-8").startswith(finess_copy_lacking_columns)


def test_every_rule_reused_with_use_rule_runs_the_same_step():
    assert step_of("edition_facilities") is step_of("facilities")
    assert step_of("edition_indicators") is step_of("indicators")
    assert step_of("merge_run") is access_steps.merge_tables
    assert step_of("raw_network") is step_of("raw_file")


def test_an_unexpected_fault_leaves_its_traceback_in_the_jobs_log(tmp_path: Path, capsys):
    """Not an input fault (no clean report): the traceback goes to the job's log as well as stderr, exit 1."""
    log = tmp_path / "logs/region_capacity_access_corse.log"
    job = Job("region_capacity_access", {"table": str(tmp_path / "missing.csv")},
              {"selected": str(tmp_path / "corse.csv")}, {"codes": ["2A"]}, [str(log)])  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        run_rule(job)
    assert exited.value.code == 1
    logged = log.read_text(encoding="utf-8")
    assert logged.startswith("Traceback (most recent call last):") and "FileNotFoundError" in logged
    assert "missing.csv" in logged and logged == capsys.readouterr().err


def test_a_jobs_log_says_what_its_step_is_doing_as_it_goes(tmp_path: Path, monkeypatch):
    """The library's progress messages reach the job's log line by line, timed, while the step still runs: a job
    that works for minutes is told from a hung one."""
    log = tmp_path / "logs/long.log"
    seen = []

    def long_step(*, done: Path) -> None:
        logging.getLogger("coverage.core.example").info("fit %d of %d: starts", 1, 3)
        seen.append(log.read_text(encoding="utf-8"))
        done.write_text("ok", encoding="utf-8")

    monkeypatch.setattr(script, "step_of", lambda rule: long_step)
    run_rule(Job("long", {}, {"done": str(tmp_path / "done.txt")}, {}, [str(log)]))
    assert re.fullmatch(r"\d\d:\d\d:\d\d fit 1 of 3: starts\n", seen[0])
    assert log.read_text(encoding="utf-8") == seen[0]


def test_a_dataclass_parameter_gathers_the_entries_named_as_its_fields(tmp_path: Path):
    """The report's step takes its many tables as a few named objects; the planning names a missing field."""
    from coverage.pipeline.steps.maps import AreaTables, StudyArea

    fields = {"input": {name: str(tmp_path / f"{name}.csv") for name in ("indicators", "coverage", "access", "scores",
                                                                          "facilities", "ranking")},
              "output": {"markdown": "r.md", "html": "r.html"}}  # fmt: skip
    fields["input"].update({name: [] for name in ("siting", "catchment_tables", "referral", "earlier", "change",
                                                  "pictures", "validation", "driven", "judged", "fitted")})  # fmt: skip
    fields["params"] = {"label": "Corse", "codes": ["2A"], "gaps": [], "editions": {}, "settings": {}, "titles": {},
                        "drive_time_min": 30, "change_layers": []}  # fmt: skip
    bound = bind(maps_steps.report, "report", fields)
    assert sorted(bound) == ["area", "calibration", "html", "markdown", "pictures", "ranking", "tables"]
    assert isinstance(bound["tables"], AreaTables) and bound["tables"].scores == tmp_path / "scores.csv"
    assert isinstance(bound["area"], StudyArea) and bound["area"].codes == ["2A"] and bound["ranking"].suffix == ".csv"
    del fields["params"]["titles"]
    assert binding_faults(maps_steps.report, fields) == ["no entry gives report's titles"]


def test_each_rule_runs_a_step_of_the_module_named_after_its_rule_file():
    """One step module per rule file (workflow/rules/access.smk: coverage.pipeline.steps.access); the copies of the
    inputs (raw_*) run the mirror's."""
    rules = Path(__file__).resolve().parents[1] / "workflow" / "rules"
    for smk in sorted(rules.glob("*.smk")):
        for rule in re.findall(r"^\s*rule (\w+):", smk.read_text(encoding="utf-8"), flags=re.MULTILINE):
            module = step_of(rule).__module__
            expected = ("coverage.france.sources.mirror" if rule.startswith("raw_")
                        else f"coverage.pipeline.steps.{smk.stem}")  # fmt: skip
            assert module == expected, (smk.name, rule, module)


def test_a_job_imports_its_own_step_not_every_step():
    """A copy of an input imports neither pandas' tables of the engine nor the other steps (each job is a process)."""
    code = ("import sys; from coverage.pipeline.script import step_of; step_of('raw_file'); print(sorted(m for m in "
            "sys.modules if m.startswith(('coverage.pipeline.steps', 'coverage.core', 'geopandas'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", loaded
