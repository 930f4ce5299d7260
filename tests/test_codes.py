"""SAE and FINESS codes map to INSEE codes, always as strings."""

import pandas as pd

from coverage.france.codes import finess_departement, sae_commune, sae_departement


def test_sae_departements_overseas_letters_and_lost_zeros():
    got = sae_departement(pd.Series(["9A", "9B", "9C", "9D", "9F", "2A", "2b", "1", "75"])).tolist()
    assert got == ["971", "972", "973", "974", "976", "2A", "2B", "01", "75"]


def test_sae_communes_overseas_and_lost_zeros():
    got = sae_commune(pd.Series(["9A101", "9F611", "9D411", "2A004", "1451", "75056"])).tolist()
    assert got == ["97101", "97611", "97411", "2A004", "01451", "75056"]


def test_finess_departement_from_number_then_postal_code_overseas():
    finess = pd.Series(["2A0004842", "010009470", "970111563", "980500011", "970408234"])
    postal = pd.Series(["20000", "01500", "97150", "97600", "97400"])
    assert finess_departement(finess, postal).tolist() == ["2A", "01", "971", "976", "974"]
