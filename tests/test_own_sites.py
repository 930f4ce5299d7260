"""A planner's own list of sites (CSV or XLSX): added to or replacing the national sources, under its contract."""

import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAE, snakemake

from coverage.errors import InputError
from coverage.france.facilities import Inputs, build_facilities
from coverage.france.sources.finess import edition_label, load_finess
from coverage.france.sources.own_sites import OwnList
from coverage.france.sources.sae import find_edition

HEADER = "finess,name,service,capacity,lon,lat,commune,phone\n"


def build(tiny_sae, tiny_finess, tiny_communes, tiny_departements, *lists: OwnList):
    register = load_finess(tiny_finess)
    return build_facilities(
        Inputs(
            sae=find_edition(tiny_sae), finess=register, finess_path=tiny_finess,
            finess_label=edition_label(register, "FINESS"), communes=tiny_communes, departements=tiny_departements,
            own_lists=lists,
        )
    )  # fmt: skip


@pytest.fixture
def world(tiny_sae, tiny_finess, tiny_communes, tiny_departements):
    return lambda *lists: build(tiny_sae, tiny_finess, tiny_communes, tiny_departements, *lists)


def write(tmp_path: Path, text: str, name: str = "ars.csv") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def test_added_sites_are_placed_by_coordinates_or_commune_and_cited(world, tmp_path, tiny_communes):
    path = write(tmp_path, "2B0000020,CH DE CORTE,LISP,6,9.5,42.4,,0495000020\n2A0000021,SSR DU SUD,LISP,4,,,2A041,\n")
    result = world(OwnList(path, "ARS de Corse, LISP reconnus"))
    lisp = result.facilities[result.facilities["service"] == "LISP"].set_index("finess")
    assert lisp.loc["2B0000020", ["capacity", "departement", "location_source", "phone"]].tolist() == [
        6, "2B", "list", "0495000020",
    ]  # fmt: skip
    bonifacio = tiny_communes.set_index("code").loc["2A041"]
    assert (lisp.loc["2A0000021", "lon"], lisp.loc["2A0000021", "lat"]) == (bonifacio["lon"], bonifacio["lat"])
    assert lisp.loc["2A0000021", "edition"] == "ARS de Corse, LISP reconnus"
    assert {"2A0000001", "2B0000002"} <= set(lisp.index), "national LISP stay with mode add"
    warned = result.warnings[result.warnings["file"] == str(path)]
    assert warned[["line", "id"]].values.tolist() == [[3, "2A0000021"]]
    assert "placed at the point of commune 2A041" in warned["warning"].iloc[0]


def test_a_listed_site_the_sae_declares_no_activity_for_is_not_read_as_refused(world, tmp_path):
    path = write(tmp_path, "2A0000005,EHPAD,LISP,2,,,2A041,\n")
    result = world(OwnList(path, "ARS de Corse"))
    assert "2A0000005" in set(result.facilities["finess"])
    (reason,) = result.rejects.loc[result.rejects["id"] == "2A0000005", "reason"]
    assert reason.endswith("; the site is given by the list ars.csv (ARS de Corse)"), reason


def test_replace_removes_the_national_sites_of_the_service_in_its_departements(world, tmp_path):
    path = write(tmp_path, "2A0000001,CH ETOILE,LISP,8,,,2A004,\n")
    own = OwnList(path, "ARS", "replace", ("LISP",), ("2A", "2B"))
    result = world(own)
    lisp = result.facilities[result.facilities["service"] == "LISP"]
    assert lisp[["finess", "capacity"]].values.tolist() == [["2A0000001", 8]]
    assert lisp["phone"].tolist() == ["0495000000"], "contacts come from FINESS when the list has none"
    replaced = result.rejects[result.rejects["reason"].str.contains("replaced by the list ars.csv")]
    assert sorted(replaced["id"]) == ["2A0000001", "2B0000002"]
    assert result.facilities["service"].eq("USP").sum() == 1, "other services are untouched"


def test_xlsx_list_with_numbers_typed_as_numbers(world, tmp_path):
    path = tmp_path / "ars.xlsx"
    frame = pd.DataFrame(
        {"finess": ["2B0000020"], "name": ["CH DE CORTE"], "service": ["usp"], "capacity": [10], "lon": [9.5],
         "lat": [42.4]}
    )  # fmt: skip
    frame.to_excel(path, index=False)
    usp = world(OwnList(path, "ARS")).facilities.query("service == 'USP'").set_index("finess")
    assert usp.loc["2B0000020", "capacity"] == 10 and usp.loc["2B0000020", "departement"] == "2B"


def test_every_violation_of_the_list_is_reported_at_once(world, tmp_path):
    path = write(
        tmp_path,
        "2B0000020,CH,LISP,-2,9.5,42.4,,\n"  # line 2: negative capacity
        "2B0000021,CH,SOINS,1,9.5,42.4,,\n"  # line 3: unknown service
        "2B0000022,CH,LISP,1,42.4,9.5,,\n"  # line 4: lon and lat swapped
        "2B0000023,CH,LISP,1,,,2B777,\n"  # line 5: unknown commune
        "2B0000024,CH,LISP,1,,,,\n"  # line 6: nowhere
        "2B0000020,CH,LISP,1,9.5,42.4,,\n"  # line 7: duplicate of line 2
        "123,CH,LISP,1,9.5,42.4,,\n",  # line 8: not a FINESS number
    )
    with pytest.raises(InputError) as error:
        world(OwnList(path, "ARS"))
    text = str(error.value)
    assert str(path) in text and "7 problem(s)" in text
    for line, rule in [(2, "non-negative-number"), (3, "allowed-value"), (4, "in-france"), (5, "known-commune"),
                       (6, "located"), (7, "unique"), (8, "finess-format")]:  # fmt: skip
        assert any(f"line {line}," in row and f"[rule {rule}]" in row for row in text.splitlines()), (line, rule)


def test_replace_list_outside_its_scope_is_refused(world, tmp_path):
    path = write(tmp_path, "2A0000001,CH ETOILE,USP,8,,,2A004,\n")
    with pytest.raises(InputError, match=r"(?s)line 2, column 'service'.*\[rule in-scope\]"):
        world(OwnList(path, "ARS", "replace", ("LISP",), ("2B",)))


@pytest.mark.parametrize(
    "row, claim",
    [("2B0000020,CH DE CORTE,USP,10,8.5,41.5,,", "of its FINESS number 2B0000020"),
     ("2B0000020,CH DE CORTE,USP,10,9.5,42.5,2A004,", "of its commune 2A004")],
)  # fmt: skip
def test_coordinates_far_from_the_sites_own_departement_stop_the_run(world, tmp_path, row, claim):
    """A site whose point lies in another département than its FINESS number or commune says is not moved
    there (its capacity would change département): the run stops, naming both places."""
    path = write(tmp_path, row + "\n")
    with pytest.raises(InputError) as error:
        world(OwnList(path, "ARS"))
    text = str(error.value)
    assert str(path) in text and "line 2, column 'lon'" in text and "[rule plausible-location]" in text
    claimed, lies_in = ("2B", "2A") if "FINESS" in claim else ("2A", "2B")
    assert f"within 5 km of département {claimed} ({claim})" in text and f"in département {lies_in}" in text
    assert "trust_coordinates: true" in text


def test_trusted_coordinates_count_where_they_lie_and_are_listed(world, tmp_path):
    path = write(tmp_path, "2B0000020,CH DE CORTE,USP,10,8.5,41.5,,\n")
    result = world(OwnList(path, "ARS", trust_coordinates=True))
    usp = result.facilities.query("service == 'USP'").set_index("finess")
    assert usp.loc["2B0000020", "departement"] == "2A" and usp.loc["2B0000020", "lon"] == 8.5
    warned = result.warnings[result.warnings["file"] == str(path)]
    assert warned["line"].tolist() == [2] and "[rule plausible-location]" in warned["warning"].iloc[0]
    assert "counted in département 2A" in warned["warning"].iloc[0]


def test_a_point_just_across_the_border_keeps_the_departement_of_its_codes(world, tmp_path):
    """Within the tolerance the codes decide, not the geometry (a coastal or border site)."""
    path = write(tmp_path, "2B0000020,CH DE CORTE,USP,10,8.99,42.1,,\n")
    usp = world(OwnList(path, "ARS")).facilities.query("service == 'USP'").set_index("finess")
    assert usp.loc["2B0000020", "departement"] == "2B"


def test_a_count_typed_with_a_decimal_comma_is_refused(world, tmp_path):
    path = write(tmp_path, '2B0000020,CH DE CORTE,HAD,"12,5",9.5,42.4,,\n')
    with pytest.raises(InputError, match=r"line 2, column 'capacity': value '12,5': expected a whole number"):
        world(OwnList(path, "ARS"))


def test_xlsx_list_with_a_title_row_above_its_header(world, tmp_path):
    """Workbooks often carry a title and a blank row above the table: the header is found, lines stay Excel's."""
    path = tmp_path / "ars.xlsx"
    rows = [["LISP reconnus en Corse, 2025", None, None, None, None, None], [None] * 6,
            ["finess", "name", "service", "capacity", "lon", "lat"],
            ["2B0000020", "CH DE CORTE", "LISP", 6, 9.5, 42.4], ["2B0000021", "CH", "LISP", -1, 9.5, 42.4]]  # fmt: skip
    pd.DataFrame(rows).to_excel(path, index=False, header=False)
    with pytest.raises(InputError, match=r"line 5, column 'capacity': value '-1'"):
        world(OwnList(path, "ARS"))
    pd.DataFrame(rows[:4]).to_excel(path, index=False, header=False)
    lisp = world(OwnList(path, "ARS")).facilities.query("service == 'LISP'").set_index("finess")
    assert lisp.loc["2B0000020", "capacity"] == 6


def test_a_missing_column_lists_only_the_files_own_columns(world, tmp_path):
    path = tmp_path / "ars.csv"
    path.write_text("finess,name,service,lon,lat\n2B0000020,CH,LISP,9.5,42.4\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        world(OwnList(path, "ARS"))
    text = str(error.value)
    assert "a column 'capacity'" in text and "columns present: finess, name, service, lon, lat" in text
    assert "commune" not in text and "phone" not in text


def test_a_faulty_list_stops_the_planning_before_any_job(tmp_path: Path):
    """The README's promise: `snakemake -n` (and the first seconds of a run) name the list's fault, its line, column
    and what is expected, before the calibration or any other job."""
    path = write(tmp_path, "2A0002614,CH SARTENE,LISP,,8.97,41.62,,\n")
    started = time.monotonic()
    result = snakemake(tmp_path / "run", {"sources": {"sae": str(SAE)}, "own_sites": [{"path": str(path),
                                                                                       "label": "ARS"}]}, "-n")
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode != 0 and f"bad input in {path}: 1 problem(s)" in output
    assert ("line 2, column 'capacity': value '': expected a non-negative number of beds for a USP or LISP, places "
            "for an HAD, teams for an EMSP, 1 for an MSP (required: a cell never left empty)") in output
    assert "Job stats" not in output and elapsed < 60, elapsed


def test_a_relative_list_path_is_read_beside_the_config_else_in_the_mirror(tmp_path: Path):
    """A planner keeps the list beside the config: `ars.csv` is found there; a path that is in neither place stops the
    planning, naming the key and both places looked in."""
    write(tmp_path / "run", "2A0002614,CH SARTENE,LISP,4,8.97,41.62,,\n")
    beside = snakemake(tmp_path / "run", {"sources": {"sae": str(SAE)}, "own_sites": [{"path": "ars.csv",
                                                                                       "label": "ARS"}]}, "-n")
    assert beside.returncode == 0, beside.stderr[-2000:]
    missing = snakemake(tmp_path / "other", {"sources": {"sae": str(SAE)}, "own_sites": [{"path": "ars.csv",
                                                                                         "label": "ARS"}]}, "-n")
    assert missing.returncode != 0
    assert ("value 'ars.csv': expected an existing file or folder for own_sites[0].path (relative to the config file "
            "or to the mirror ") in missing.stderr
