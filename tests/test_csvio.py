"""Reading delimited files: encodings, delimiters, line numbers and numbers."""

from pathlib import Path

import pandas as pd
import pytest

from coverage._csvio import read_delimited
from coverage.errors import InputError
from coverage.france.contracts import Column, Contract, non_negative, numbers
from coverage.tables import read_csv, write_csv


def test_latin1_crlf_is_read_with_line_numbers(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_bytes("a;b\r\nÉté;1\r\n\r\nmer;2\r\n".encode("latin-1"))
    frame = read_delimited(path, ";")
    assert frame["a"].tolist() == ["Été", "mer"]
    assert frame["_line"].tolist() == [2, 4]


def test_utf8_is_read_as_utf8(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text("a,b\nÉté,1\n", encoding="utf-8")
    assert read_delimited(path, ",")["a"].tolist() == ["Été"]


def test_wrong_delimiter_names_the_file_and_what_was_found(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_delimited(path, ";")
    assert "f.csv" in str(error.value) and "semicolon" in str(error.value) and "comma" in str(error.value)


def test_row_with_too_many_cells_is_reported_with_its_line(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text("a;b\n1;2\n1;2;3\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 3"):
        read_delimited(path, ";")


def test_missing_columns_are_all_named(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        Contract("test", (Column("a"), Column("X"), Column("Y"))).apply(read_delimited(path, ";"), path)
    assert "'X'" in str(error.value) and "'Y'" in str(error.value)


def test_numbers_accept_decimal_comma_and_empty_cells(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text("n;m\n1,5;x\n;x\n2;x\n", encoding="utf-8")
    frame = Contract("test", (Column("n", (non_negative("things"),)),)).apply(read_delimited(path, ";"), path)
    values = numbers(frame["n"])
    assert values.iloc[0] == 1.5 and values.isna().iloc[1] and values.iloc[2] == 2.0


def test_bad_numbers_give_line_column_value_and_expectation(tmp_path: Path):
    path = tmp_path / "f.csv"
    path.write_text("n;m\n1;x\nabc;x\n-2;x\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        Contract("test", (Column("n", (non_negative("beds"),)),)).apply(read_delimited(path, ";"), path)
    text = str(error.value)
    assert "line 3" in text and "'abc'" in text and "line 4" in text and "a non-negative number of beds" in text


def test_tables_round_trip_keeps_codes_and_empty_texts(tmp_path: Path):
    frame = pd.DataFrame({"finess": ["2A0004842", "010000024"], "phone": ["", "0474000000"], "capacity": [8.0, 1 / 3]})
    write_csv(frame, tmp_path / "t.csv")
    back = read_csv(tmp_path / "t.csv")
    assert back["finess"].tolist() == ["2A0004842", "010000024"]
    assert back["phone"].tolist() == ["", "0474000000"]
    assert back["capacity"].iloc[1] == pytest.approx(1 / 3, rel=1e-9)


def test_the_nearest_site_of_each_service_stays_a_finess_number(tmp_path: Path):
    """A mainland FINESS number keeps its leading zero, and stays text beside a commune with no site reached."""
    frame = pd.DataFrame({"commune": ["01001", "91319"], "usp_minutes": [12.5, float("nan")],
                          "usp_nearest": ["010000024", ""], "emsp_nearest": ["910000306", "910000306"]})  # fmt: skip
    write_csv(frame, tmp_path / "access.csv")
    back = read_csv(tmp_path / "access.csv")
    assert back["usp_nearest"].tolist() == ["010000024", ""] and back["emsp_nearest"].tolist() == ["910000306"] * 2
