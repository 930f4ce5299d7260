"""The library's edge: each wrong input a researcher may give raises the project's own error naming the argument, the
value and what was expected, or gives the same result as the right input; never a plausible wrong number."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from test_access import MODEL, communes, facilities, line_network

import coverage as cov
from coverage.core.access import AccessModel, Router, commune_access, coverage_by_departement
from coverage.core.isochrones import edges_leaving
from coverage.errors import ArgumentError, ArgumentTypeError, CoverageError
from coverage.france.constants import COLUMNS


def right_result(sites: pd.DataFrame | None = None, places: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    result = commune_access(Router(line_network()), communes() if places is None else places,
                            facilities() if sites is None else sites, MODEL, columns=COLUMNS)  # fmt: skip
    return coverage_by_departement(result.communes, ["USP"], [30], columns=COLUMNS)


def test_a_geographic_crs_and_a_polygon_in_metres_are_refused_before_reading():
    corsica = box(8.5, 41.3, 9.6, 43.1)
    with pytest.raises(ArgumentError, match=r"^crs: 'EPSG:4326': expected a projected CRS in metres"):
        cov.load_network("graphml", "never-read.graphml", corsica, "EPSG:4326")
    with pytest.raises(ArgumentError, match=r"^polygon: 'bounds \(1170000, .*look like metres"):
        cov.load_network("graphml", "never-read.graphml", box(1_170_000, 6_040_000, 1_250_000, 6_240_000), "EPSG:2154")


def test_a_network_without_travel_times_is_refused_when_routed():
    untimed = line_network()
    untimed = type(untimed)(**{**untimed.__dict__, "travel_time_s": np.zeros(len(untimed.source))})
    with pytest.raises(ArgumentError, match=r"^network: '6 of 6 roads without a travel time'.*with_times"):
        commune_access(Router(untimed), communes(), facilities(), MODEL, columns=COLUMNS)


def test_sites_off_the_network_are_carried_in_the_result_not_dropped():
    result = commune_access(Router(line_network()), communes(), facilities(), MODEL, columns=COLUMNS)
    assert result.dropped_sites["finess"].tolist() == ["750000001"] and (result.dropped_sites["snap_m"] > 2000).all()
    marseille = facilities().iloc[[2]].assign(lon=5.37, lat=43.30, departement="13")
    with pytest.warns(UserWarning, match="no site of USP lies within max_snap_m"):
        alone = commune_access(Router(line_network()), communes(), marseille, MODEL, columns=COLUMNS)
    assert alone.dropped_sites["finess"].tolist() == ["750000001"] and alone.communes["usp_minutes"].isna().all()


def test_swapped_coordinates_metres_and_text_name_the_argument():
    swapped = facilities().rename(columns={"lon": "lat", "lat": "lon"})
    with pytest.raises(ArgumentError, match=r"^facilities\[\['lon', 'lat'\]\]: '1 points off the network that lie on "
                       r"it with lon and lat swapped \(first: lon 42, lat 9\)'"):  # fmt: skip
        right_result(swapped.iloc[:2])
    metres = facilities().assign(lon=lambda f: f["lon"] * 111_000)
    with pytest.raises(ArgumentError, match=r"^facilities\['lon', 'lat'\]: \(999000.0, 42.0\): expected WGS84"):
        right_result(metres)
    text = facilities().assign(lon=lambda f: f["lon"].astype(str))
    with pytest.raises(ArgumentTypeError, match=r"^facilities\['lon'\]: '9.0': expected numbers"):
        right_result(text)


def test_missing_people_duplicate_ids_and_a_crs_that_is_not_theirs():
    with pytest.raises(ArgumentError, match=r"^communes\['population'\]: '1 missing \(first at row 1\)'"):
        right_result(places=communes().assign(population=[100, np.nan]))
    with pytest.raises(ArgumentError, match=r"^facilities\[\['finess', 'service'\]\]"):
        right_result(pd.concat([facilities(), facilities().iloc[[0]]], ignore_index=True))
    with pytest.raises(ArgumentError, match=r"^communes.crs: 'EPSG:2154': expected the CRS of its coordinates"):
        right_result(places=communes().set_crs("EPSG:2154", allow_override=True))


def test_a_service_not_routed_and_an_empty_selection_are_errors():
    result = commune_access(Router(line_network()), communes(), facilities(), MODEL, columns=COLUMNS)
    with pytest.raises(ArgumentError, match=r"^services: \['EMSP'\]: expected services routed"):
        coverage_by_departement(result.communes, ["USP", "EMSP"], [30], columns=COLUMNS)
    shapes = gpd.GeoDataFrame({"code": ["2B"]}, geometry=[box(8.9, 41.9, 9.1, 42.1)], crs="EPSG:4326")
    with pytest.raises(ArgumentError, match=r"^codes: \['2B001'\]: expected ids of the areas table's 'code' column"):
        edges_leaving(line_network(), shapes, ["2B001"], area_id="code")


def swap_some(frame: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    swapped = frame.copy()
    swapped.loc[rows, ["lon", "lat"]] = frame.loc[rows, ["lat", "lon"]].to_numpy()
    return swapped


CORRUPTIONS = {
    "swapped": lambda f, rows: swap_some(f, rows),
    "metres": lambda f, rows: f.assign(lon=f["lon"].where(~f.index.isin(rows), f["lon"] * 111_000)),
    "text": lambda f, rows: f.assign(lat=f["lat"].astype(object).where(~f.index.isin(rows), "42,0")),
    "duplicated": lambda f, rows: pd.concat([f, f.iloc[rows]], ignore_index=True),
}


@settings(max_examples=60, deadline=None)
@given(corruption=st.sampled_from(sorted(CORRUPTIONS)), rows=st.lists(st.integers(0, 2), min_size=1, unique=True))
def test_any_corrupted_site_table_raises_the_projects_error_or_gives_the_right_result(corruption, rows):
    right = right_result()
    try:
        got = right_result(CORRUPTIONS[corruption](facilities(), rows))
    except CoverageError as error:
        assert isinstance(error, ArgumentError | ArgumentTypeError) and ": expected " in str(error)
    else:
        pd.testing.assert_frame_equal(got, right)


@settings(max_examples=40, deadline=None)
@given(population=st.lists(st.one_of(st.integers(0, 10_000), st.just(np.nan)), min_size=2, max_size=2),
       directions=st.sampled_from([{"USP": "to_site"}, {"USP": "from_site"}, {"EMSP": "to_site"}]))  # fmt: skip
def test_any_population_or_model_either_raises_or_counts_every_person(population, directions):
    places = communes().assign(population=population)
    model = AccessModel(directions, offroad_kph=20, max_snap_m=2000)
    try:
        result = commune_access(Router(line_network()), places, facilities(), model, columns=COLUMNS)
        table = coverage_by_departement(result.communes, ["USP"], [30], columns=COLUMNS)
    except CoverageError as error:
        assert np.isnan(population).any() or "USP" not in directions, str(error)
    else:
        assert table["population"].sum() == sum(population) and "USP" in directions
