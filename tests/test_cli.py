"""The step commands fail with a clear report and exit status 1, never with a bare traceback."""

import json
import subprocess
import sys
from pathlib import Path

from coverage.pipeline.cli import main


def test_bad_input_reports_file_line_column_and_returns_1(
    tiny_sae, tiny_finess, tiny_communes, tiny_departements, tmp_path: Path, capsys
):
    had = tiny_sae / "HAD_2023r.csv"
    had.write_bytes(had.read_bytes().replace(b";12\r\n", b";douze\r\n"))
    tiny_communes.to_file(tmp_path / "communes.gpkg", layer="communes")
    tiny_departements.to_file(tmp_path / "departements.geojson")
    out = [f"--{name}={tmp_path / name}" for name in ("out-csv", "out-gpkg", "out-unlisted", "rejects", "warnings")]
    arguments = [
        "facilities", f"--sae={tiny_sae}", f"--finess={tiny_finess}", f"--communes-path={tmp_path / 'communes.gpkg'}",
        f"--departements={tmp_path / 'departements.geojson'}", "--msp-category=603", "--tolerance-km=5", "--own-sites=[]", *out,
    ]  # fmt: skip
    assert main(arguments) == 1
    message = capsys.readouterr().err
    assert "HAD_2023r.csv" in message and "line 2" in message and "'PLATOT'" in message and "'douze'" in message


def test_a_report_names_the_file_the_user_configured_not_its_working_copy(tmp_path: Path, capsys, monkeypatch):
    """The workflow copies inputs under data/raw/; COVERAGE_ORIGINS maps each copy back to the user's file."""
    copy = tmp_path / "data/raw/finess.csv"
    copy.parent.mkdir(parents=True)
    copy.write_text("nofinesset,rs\n2A0000001,X\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COVERAGE_ORIGINS", json.dumps({"data/raw/finess.csv": "/ars/finess-2025.csv"}))
    names = ("sae", "communes-path", "departements", "out-csv", "out-gpkg", "out-unlisted", "rejects", "warnings")
    arguments = ["facilities", "--finess=data/raw/finess.csv", "--msp-category=603", "--tolerance-km=5",
                 "--own-sites=[]", *(f"--{name}=unused" for name in names)]  # fmt: skip
    assert main(arguments) == 1
    message = capsys.readouterr().err
    assert message.startswith("coverage: bad input in /ars/finess-2025.csv (read from its copy data/raw/finess.csv)")
    assert "[rule required-column]" in message


def test_config_error_is_reported_without_traceback(tmp_path: Path):
    facilities = tmp_path / "facilities.csv"
    facilities.write_text("finess,service,capacity,departement,usp_units,emsp_fte,edition\n", encoding="utf-8")
    command = [
        sys.executable, "-m", "coverage", "indicators", "--facilities-csv", str(facilities),
        "--communes-path", str(tmp_path / "missing.gpkg"), "--departements", str(tmp_path / "missing.geojson"),
        "--unlisted-csv", str(tmp_path / "missing.csv"), "--population-by-age", str(tmp_path / "missing.xls"),
        "--age-year", "2023",
        "--gaps", json.dumps([{"id": "x", "indicator": "nope", "comparison": "below", "threshold": 1}]),
        "--editions", "{}", "--out-csv", "a", "--out-national", "b", "--out-markdown", "c",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1
    assert "gap rule 'x'" in result.stderr and "label, source" in result.stderr and "Traceback" not in result.stderr


def test_missing_sae_folder_is_a_clear_error(tmp_path: Path, capsys, default_config):
    downloads = json.dumps({**default_config["downloads"], "offline": True})
    arguments = ["copy-sae", "--mirror", str(tmp_path), "--edition", "\"nowhere\"", "--downloads", downloads]
    assert main([*arguments, "--target", str(tmp_path / "raw")]) == 1
    assert "nowhere" in capsys.readouterr().err
