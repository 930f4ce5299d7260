"""The step commands fail with a clear report and exit status 1, never with a bare traceback."""

import inspect
import json
import subprocess
import sys
from pathlib import Path

from coverage.pipeline.steps import access as access_steps
from coverage.pipeline.cli import arguments_of, build_parser, main
from coverage.pipeline.script import STEPS, step_of


def test_bad_input_reports_file_line_column_and_returns_1(
    tiny_sae, tiny_finess, tiny_communes, tiny_departements, tmp_path: Path, capsys
):
    had = tiny_sae / "HAD_2023r.csv"
    had.write_bytes(had.read_bytes().replace(b";12\r\n", b";douze\r\n"))
    tiny_communes.to_file(tmp_path / "communes.gpkg", layer="communes")
    tiny_departements.to_file(tmp_path / "departements.geojson")
    out = [f"--{name}={tmp_path / name}" for name in ("csv", "gpkg", "unlisted", "rejects", "warnings")]
    register = tmp_path / "finess.parquet"
    assert main(["finess", f"--table={tiny_finess}", f"--register={register}"]) == 0
    arguments = [
        "facilities", f"--sae={tiny_sae}", f"--finess={tiny_finess}", f"--register={register}",
        f"--communes={tmp_path / 'communes.gpkg'}", f"--departements={tmp_path / 'departements.geojson'}",
        "--msp-category=603", "--tolerance-km=5", "--own-sites=[]", *out,
    ]  # fmt: skip
    assert main(arguments) == 1
    message = capsys.readouterr().err
    assert "HAD_2023r.csv" in message and "line 2" in message and "'PLATOT'" in message and "'douze'" in message


def test_a_report_names_the_file_the_user_configured_not_its_working_copy(finess_copy_lacking_columns, capsys):
    """The workflow copies inputs under data/raw/; COVERAGE_ORIGINS maps each copy back to the user's file."""
    assert main(["finess", "--table=data/raw/finess.csv", "--register=unused"]) == 1
    message = capsys.readouterr().err
    assert message.startswith(finess_copy_lacking_columns) and "[rule required-column]" in message


def test_config_error_is_reported_without_traceback(tmp_path: Path):
    facilities = tmp_path / "facilities.csv"
    facilities.write_text("finess,service,capacity,departement,usp_units,emsp_fte,edition\n", encoding="utf-8")
    command = [
        sys.executable, "-m", "coverage", "indicators", "--facilities", str(facilities),
        "--communes", str(tmp_path / "missing.gpkg"), "--departements", str(tmp_path / "missing.geojson"),
        "--unlisted", str(tmp_path / "missing.csv"), "--population-by-age", str(tmp_path / "missing.xls"),
        "--age-year", "2023", "--deaths", str(tmp_path / "missing.csv"),
        "--cancer-deaths", str(tmp_path / "missing.csv"),
        "--need", "{}", "--origins", "{}", "--warnings", "d",
        "--gaps", json.dumps([{"id": "x", "indicator": "nope", "comparison": "below", "threshold": 1}]),
        "--editions", "{}", "--csv", "a", "--national", "b", "--markdown", "c",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1
    assert "gap rule 'x'" in result.stderr and "label, source" in result.stderr and "Traceback" not in result.stderr


def test_missing_sae_folder_is_a_clear_error(tmp_path: Path, capsys, default_config):
    downloads = json.dumps({**default_config["downloads"], "offline": True})
    arguments = ["copy-sae", "--mirror", str(tmp_path), "--edition", "\"nowhere\"", "--downloads", downloads]
    assert main([*arguments, "--target", str(tmp_path / "raw")]) == 1
    assert "nowhere" in capsys.readouterr().err


def test_a_benchmarks_keyword_arguments_become_the_command_line_of_the_step(tmp_path: Path):
    values = {
        "network": tmp_path / "network.npz", "access": tmp_path / "access.csv", "facilities": tmp_path / "f.csv",
        "settings": {"horizon_min": 90, "directions": {"USP": "to_site"}}, "sites_per_service": 3,
        "nearest": tmp_path / "nearest sites.csv",
    }  # fmt: skip
    words = arguments_of("nearest_sites", values)
    parsed = vars(build_parser().parse_args(words))
    assert parsed.pop("function") is access_steps.nearest_sites and parsed.pop("command") == "nearest-sites"
    assert parsed == values


def test_every_step_parameter_is_keyword_only_and_annotated():
    """The rules bind their entries by name (coverage.pipeline.script): a step takes nothing by position."""
    for rule in STEPS:
        parameters = inspect.signature(step_of(rule)).parameters.values()
        assert all(p.kind is p.KEYWORD_ONLY and p.annotation is not p.empty for p in parameters), rule
