"""SAE editions: found by file name, read by column name, with clear errors."""

from pathlib import Path

import pytest
from conftest import ID_HEADER, PALIA_HEADER, write_sae_file

from coverage.errors import InputError
from coverage.france.sources.sae import find_edition, load_identification, load_palliative


def test_edition_year_and_files_are_detected(tiny_sae: Path):
    edition = find_edition(tiny_sae)
    assert edition.year == 2023 and edition.label == "SAE 2023"
    assert sorted(p.name for p in edition.files.values()) == ["HAD_2023r.csv", "ID_2023r.csv", "PALIA_2023r.csv"]


def test_tables_of_other_years_are_named_and_a_missing_or_doubled_kind_refused(tiny_sae: Path):
    (tiny_sae / "PALIA_2023r.csv").rename(tiny_sae / "PALIA_2022a.csv")
    edition = find_edition(tiny_sae)
    assert edition.year == 2023 and edition.label == "SAE 2023 (PALIA 2022)"
    (tiny_sae / "HAD_2023r.csv").rename(tiny_sae / "HAD_2022a.csv")
    assert find_edition(tiny_sae).label == "SAE 2023 (PALIA 2022, HAD 2022)"
    (tiny_sae / "HAD_2021r.csv").write_bytes((tiny_sae / "HAD_2022a.csv").read_bytes())
    with pytest.raises(InputError) as error:
        find_edition(tiny_sae)
    assert "['HAD_2021r.csv', 'HAD_2022a.csv']" in str(error.value)
    (tiny_sae / "HAD_2021r.csv").unlink()
    (tiny_sae / "HAD_2022a.csv").unlink()
    with pytest.raises(InputError, match="HAD_<year>r.csv"):
        find_edition(tiny_sae)


def test_columns_are_read_by_name_whatever_their_order_and_case(tmp_path: Path):
    header = list(reversed([c.lower() for c in PALIA_HEADER]))
    row = list(reversed(["PALIA", "2A0000001", "1", "3", "2", "1", "1", "1", "10", "1", "1.5", "2"]))
    palia = load_palliative(write_sae_file(tmp_path / "PALIA_2021a.csv", header, [row]))
    assert palia.loc[0, "usp_beds"] == 10 and palia.loc[0, "lisp_beds_ssr"] == 2 and palia.loc[0, "emsp_fte"] == 3.5


def test_missing_column_names_file_and_column(tmp_path: Path):
    header = [c for c in PALIA_HEADER if c != "PALIA_A8"]
    path = write_sae_file(tmp_path / "PALIA_2023r.csv", header, [["PALIA", "2A0000001"] + ["0"] * (len(header) - 2)])
    with pytest.raises(InputError) as error:
        load_palliative(path)
    assert "PALIA_2023r.csv" in str(error.value) and "'PALIA_A8'" in str(error.value)


def test_finess_numbers_stay_strings_and_lost_zeros_are_restored(tmp_path: Path):
    path = write_sae_file(
        tmp_path / "ID_2023r.csv", ID_HEADER, [["ID", "2023", "10780195", "X", "1", "1451", "", "", "", "", ""]]
    )
    row = load_identification(path).iloc[0]
    assert (row["finess"], row["departement"], row["commune"]) == ("010780195", "01", "01451")


def test_duplicate_and_malformed_finess_are_refused_with_their_lines(tmp_path: Path):
    rows = [["ID", "2023", f, "X", "01", "01001", "", "", "", "", ""] for f in ("010000024", "010000024", "ABC")]
    with pytest.raises(InputError) as error:
        load_identification(write_sae_file(tmp_path / "ID_2023r.csv", ID_HEADER, rows))
    assert "line 3" in str(error.value) and "line 4" in str(error.value) and "'ABC'" in str(error.value)


def test_flag_values_other_than_zero_or_one_are_refused(tmp_path: Path):
    row = ["PALIA", "2A0000001", "oui", "3", "", "", "0", "", "", "0", "", ""]
    with pytest.raises(InputError, match="column 'PALIA_A1'.*'oui'"):
        load_palliative(write_sae_file(tmp_path / "PALIA_2023r.csv", PALIA_HEADER, [row]))
