"""The facilities table on a tiny hand-made world: capacities, locations, rejects, warnings."""

from pathlib import Path

import pytest

from coverage.france.facilities import Inputs, build_facilities
from coverage.france.sources.finess import edition_label, load_finess
from coverage.france.sources.sae import find_edition


@pytest.fixture
def result(tiny_sae, tiny_finess, tiny_communes, tiny_departements):
    register = load_finess(tiny_finess)
    return build_facilities(
        Inputs(
            sae=find_edition(tiny_sae),
            finess=register,
            finess_path=tiny_finess,
            finess_label=edition_label(register, "FINESS"),
            communes=tiny_communes,
            departements=tiny_departements,
        )
    )


def _row(result, finess, service):
    table = result.facilities
    rows = table[(table["finess"] == finess) & (table["service"] == service)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_one_row_per_establishment_and_service(result):
    services = result.facilities.groupby("service")["finess"].apply(sorted).to_dict()
    assert services == {
        "EMSP": ["2A0000001"],
        "HAD": ["2A0000004"],
        "LISP": ["2A0000001", "2B0000002"],
        "MSP": ["2A0000010", "2B0000011"],
        "USP": ["2A0000001"],
    }


def test_capacities_follow_the_sae_columns(result):
    assert _row(result, "2A0000001", "LISP")["capacity"] == 3 + 2 + 1
    assert _row(result, "2A0000001", "LISP")["lisp_beds_ssr"] == 2
    assert _row(result, "2A0000001", "USP")["capacity"] == 10
    assert _row(result, "2A0000001", "USP")["usp_units"] == 1
    assert _row(result, "2A0000001", "EMSP")["capacity"] == 1
    assert _row(result, "2A0000001", "EMSP")["emsp_fte"] == 3.5
    assert _row(result, "2A0000004", "HAD")["capacity"] == 12
    assert _row(result, "2A0000010", "MSP")[["capacity", "capacity_unit"]].tolist() == [1, "structure"]


def test_contacts_and_finess_location(result):
    usp = _row(result, "2A0000001", "USP")
    assert (usp["lon"], usp["lat"], usp["location_source"]) == (8.5, 41.5, "finess")
    assert usp["phone"] == "0495000000" and usp["address"] == "1 AV DE LA MER 20000 AJACCIO"
    assert usp["name"] == "CH ÉTOILE" and usp["edition"] == "SAE 2023"
    msp = _row(result, "2A0000010", "MSP")
    assert msp["commune"] == "2A041" and msp["departement"] == "2A"
    assert msp["edition"] == "FINESS (mis à jour jusqu'au 2021-01-05)"


def test_site_absent_from_finess_is_placed_at_its_current_commune_and_said(result, tiny_communes):
    lisp = _row(result, "2B0000002", "LISP")
    bastia = tiny_communes.set_index("code").loc["2B033"]
    assert lisp["commune"] == "2B033" and lisp["location_source"] == "commune"
    assert (lisp["lon"], lisp["lat"]) == (bastia["lon"], bastia["lat"])
    assert result.warnings["id"].eq("2B0000002").any()


def test_every_sae_row_is_used_or_rejected_with_its_line(result, tiny_sae: Path):
    rejects = result.rejects.assign(file=result.rejects["file"].map(lambda f: Path(f).name))
    got = sorted(zip(rejects["file"], rejects["line"], rejects["id"], strict=True))
    assert got == [
        ("HAD_2023r.csv", 3, "2A0000003"),
        ("ID_2023r.csv", 4, "2A0000003"),
        ("ID_2023r.csv", 6, "2A0000005"),
        ("PALIA_2023r.csv", 4, "2A0000003"),
    ]
    used = set(result.facilities["finess"])
    assert used | set(rejects.loc[rejects["file"] == "ID_2023r.csv", "id"]) >= {f"2A000000{i}" for i in (1, 3, 4, 5)}


def test_codes_stay_strings(result):
    assert result.facilities["finess"].map(type).eq(str).all()
    assert result.facilities["departement"].map(type).eq(str).all()


def test_an_older_table_lists_establishments_closed_since_they_are_rejected(
    tiny_sae, tiny_finess, tiny_communes, tiny_departements, tmp_path: Path
):
    """An edition of tables of different years (ID 2023, PALIA 2021): a PALIA row of an establishment ID 2023 no
    longer lists is rejected with its reason, not a fault of the files; in tables of one year it stops the run."""
    from conftest import PALIA_HEADER, write_sae_file

    from coverage.errors import InputError
    from coverage.france.sources.sae import SaeEdition

    rows = [["PALIA", "2A0000001", "1", "3", "2", "1", "1", "1", "10", "1", "1.5", "2"],
            ["PALIA", "2B0000099", "1", "5", "", "", "0", "", "", "0", "", ""]]  # fmt: skip
    palia = write_sae_file(tmp_path / "sae-2021" / "PALIA_2021r.csv", PALIA_HEADER, rows)
    mixed = SaeEdition({"ID": tiny_sae / "ID_2023r.csv", "PALIA": palia, "HAD": tiny_sae / "HAD_2023r.csv"})
    register = load_finess(tiny_finess)

    def build(edition):
        return build_facilities(Inputs(sae=edition, finess=register, finess_path=tiny_finess, finess_label="FINESS",
                                       communes=tiny_communes, departements=tiny_departements))  # fmt: skip

    result = build(mixed)
    assert "2B0000099" not in set(result.facilities["finess"])
    assert result.facilities.loc[result.facilities["service"] == "LISP", "capacity"].tolist() == [6]
    rejected = result.rejects[result.rejects["id"] == "2B0000099"].iloc[0]
    assert (rejected["file"], rejected["line"]) == (str(palia), 3)
    assert "not listed in ID_2023r.csv (SAE 2023): closed or merged since PALIA 2021" in rejected["reason"]
    same_year = write_sae_file(tmp_path / "sae-2023" / "PALIA_2023r.csv", PALIA_HEADER, rows)
    with pytest.raises(InputError, match="listed-in-id"):
        build(SaeEdition({**mixed.files, "PALIA": same_year}))
