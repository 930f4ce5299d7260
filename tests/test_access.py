"""Access on a tiny hand-made network: snapping, sites outside the network, coverage and isochrones."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import box

from coverage.core.access import (
    AccessModel,
    Router,
    catchments,
    commune_access,
    coverage_by_departement,
    place_access,
    population_points,
    ranked_sites,
    sites_without_backup,
)
from coverage.core.e2sfca import DecaySteps, e2sfca_scores, travel_pairs
from coverage.core.isochrones import (
    METHODS,
    EdgeShapes,
    band_population,
    bands,
    isochrone_table,
    merge_isochrones,
    reached_segments,
)  # fmt: skip
from coverage.core.columns import Columns
from coverage.core.network import RoadNetwork, project
from coverage.errors import ArgumentError
from coverage.france.constants import COLUMNS
from coverage.france.geography import unknown_access_warnings
from coverage.france.referral import referral_shares
from coverage.core.siting import greedy_scenario

LON = np.array([9.00, 9.01, 9.02, 9.03])


def line_network() -> RoadNetwork:
    """Four nodes on a parallel of Corsica, 60 s apart, two-way."""
    source = np.array([0, 1, 1, 2, 2, 3])
    target = np.array([1, 0, 2, 1, 3, 2])
    return RoadNetwork(
        node_id=np.arange(4, dtype=np.int64),
        lon=LON,
        lat=np.full(4, 42.0),
        source=source.astype(np.int32),
        target=target.astype(np.int32),
        length_m=np.full(6, 800.0),
        travel_time_s=np.full(6, 60.0),
        highway=np.array(["tertiary"] * 6),
        crs="EPSG:2154",
    )


def communes() -> gpd.GeoDataFrame:
    """One commune around node 2, one with no node whose point is 50 km away."""
    frame = gpd.GeoDataFrame(
        {"code": ["2B001", "2B002"], "nom": ["Près", "Loin"], "departement": ["2B", "2B"], "population": [100, 40]},
        geometry=[box(9.015, 41.99, 9.025, 42.01), box(9.6, 42.3, 9.61, 42.31)],
        crs="EPSG:4326",
    )
    points = frame.geometry.representative_point()
    return frame.assign(lon=points.x, lat=points.y)


def facilities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "finess": ["2B0000001", "2B0000009", "750000001"],
            "service": ["USP", "USP", "USP"],
            "departement": ["2B", "2B", "75"],
            "lon": [9.00, 9.5, 2.35],  # on node 0; 40 km away in the area; in Paris
            "lat": [42.0, 42.3, 48.85],
        }
    )


MODEL = AccessModel({"USP": "to_site"}, offroad_kph=20, max_snap_m=2000)


def test_minutes_follow_the_road_and_far_points_are_flagged_not_snapped():
    result = commune_access(Router(line_network()), communes(), facilities(), MODEL, columns=COLUMNS)
    near, far = result.communes.iloc[0], result.communes.iloc[1]
    assert near["point_source"] == "nearest_road" and (near["lon"], near["lat"]) == (9.02, 42.0)
    assert near["usp_minutes"] == pytest.approx(2.0) and near["usp_nearest"] == "2B0000001"
    assert far["point_source"] == "representative_point" and not far["on_network"] and np.isnan(far["usp_minutes"])
    sites = result.sites.set_index("finess")
    assert sites.loc["2B0000001", "on_network"] and not sites.loc["2B0000009", "on_network"]
    assert "750000001" not in sites.index, "sites far away and outside the area are not listed"


def test_offroad_time_is_added_at_the_site_end():
    shifted = facilities().assign(lat=[42.0 + 0.009, 42.3, 48.85])  # about 1000 m north of node 0
    result = commune_access(Router(line_network()), communes(), shifted, MODEL, columns=COLUMNS)
    snap = result.sites.set_index("finess").loc["2B0000001", "snap_m"]
    assert 950 < snap < 1050
    assert result.communes.iloc[0]["usp_minutes"] == pytest.approx(2.0 + snap / (20 / 3.6) / 60, abs=1e-4)


def test_coverage_by_departement_counts_unreachable_as_beyond():
    access = pd.DataFrame(
        {
            "departement": ["2A", "2A", "2A", "2B"],
            "population": [100, 50, 25, 10],
            "on_network": [True, True, True, True],
            "usp_minutes": [10.0, 40.0, np.nan, 5.0],
        }
    )
    table = coverage_by_departement(access, ["USP"], [15, 45], columns=COLUMNS)
    table = table.set_index(["departement", "threshold_min"])
    assert table.loc[("2A", 15), "population_within"] == 100
    assert table.loc[("2A", 45), "population_within"] == 150
    assert table.loc[("2A", 45), "share_within"] == pytest.approx(150 / 175)
    assert table.loc[("2A", 45), "population_unknown"] == 0
    assert table.loc[("2B", 15), "share_within"] == 1.0


def test_people_off_the_network_are_unknown_never_beyond():
    """Half a département off the network: its shares are empty, not "0 % within"; a small part is stated."""
    access = pd.DataFrame(
        {
            "departement": ["2A", "2A", "2B", "2B"],
            "commune": ["2A001", "2A002", "2B001", "2B002"],
            "population": [100, 100, 990, 10],
            "on_network": [True, False, True, False],
            "usp_minutes": [10.0, np.nan, 10.0, np.nan],
        }
    )
    table = coverage_by_departement(access, ["USP"], [15], alternative=access, max_unknown_share=0.02, columns=COLUMNS)
    table = table.set_index("departement")
    assert table.loc["2A", "population_unknown"] == 100 and table.loc["2A", "share_unknown"] == 0.5
    assert np.isnan(table.loc["2A", "share_within"]) and np.isnan(table.loc["2A", "median_min"])
    assert np.isnan(table.loc["2A", "share_within_alternative"])
    assert table.loc["2A", "population_within"] == 100
    assert table.loc["2B", "share_within"] == pytest.approx(0.99) and table.loc["2B", "share_unknown"] == 0.01
    warnings = unknown_access_warnings(table.reset_index(), access, 0.02)
    assert [w[1] for w in warnings] == ["2A", "2B"]
    assert "2A002" in warnings[0][2] and "left empty" in warnings[0][2] and "lower bounds" in warnings[1][2]


def test_reached_segments_include_partial_edges():
    network = line_network()
    xy = network.projected_xy()
    seconds = np.array([0.0, 60.0, 120.0, 180.0])
    spacing = np.hypot(*(xy[1] - xy[0]))
    # from a site at node 0: nodes 0 and 1 and half of the edge 1 -> 2 within 90 s
    every = np.ones(6, dtype=bool)
    lines = reached_segments(network, EdgeShapes.of(network, every), seconds, 90.0, "from_site")
    assert covered_length(lines) == pytest.approx(1.5 * spacing, rel=1e-3)
    # towards a site at node 3: node 3, node 2 and half of the edge 1 -> 2 within 90 s of it
    to_site = reached_segments(network, EdgeShapes.of(network, every), seconds[::-1].copy(), 90.0, "to_site")
    assert covered_length(to_site) == pytest.approx(1.5 * spacing, rel=1e-3)


def test_reached_segments_follow_the_road_shape():
    """One edge 0 -> 1 shaped as a right angle (1 km east, then 1 km north), driven in 120 s: within 90 s
    a team from node 0 covers 1.5 km along the road, ending 500 m north of the corner, not on the chord."""
    lon0, lat0 = 9.0, 42.0
    east = project(np.array([lon0]), np.array([lat0]), "EPSG:2154")[0] + [1000.0, 0.0]
    corner_lon, corner_lat = _to_wgs84(east)
    far_lon, far_lat = _to_wgs84(east + [0.0, 1000.0])
    network = RoadNetwork(
        node_id=np.array([0, 1]), lon=np.array([lon0, far_lon]), lat=np.array([lat0, far_lat]),
        source=np.array([0], dtype=np.int32), target=np.array([1], dtype=np.int32), length_m=np.array([2000.0]),
        travel_time_s=np.array([120.0]), highway=np.array(["tertiary"]), crs="EPSG:2154",
        shape_lon=np.array([lon0, corner_lon, far_lon]), shape_lat=np.array([lat0, corner_lat, far_lat]),
        shape_first=np.array([0]), shape_last=np.array([2]),
    )  # fmt: skip
    shapes = EdgeShapes.of(network, np.ones(1, dtype=bool))
    (line,) = reached_segments(network, shapes, np.array([0.0, 120.0]), 90.0, "from_site")
    assert line.length == pytest.approx(1500.0, rel=1e-3)
    assert np.asarray(line.coords)[-1] == pytest.approx(east + [0.0, 500.0], abs=1.0)
    (back,) = reached_segments(network, shapes, np.array([120.0, 0.0]), 30.0, "to_site")
    assert back.length == pytest.approx(500.0, rel=1e-3)
    assert np.asarray(back.coords)[0] == pytest.approx(east + [0.0, 500.0], abs=1.0)


def _to_wgs84(xy: np.ndarray) -> tuple[float, float]:
    lon, lat = pyproj.Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(*xy)
    return float(lon), float(lat)


def test_only_the_selected_edges_are_drawn():
    network = line_network()
    xy = network.projected_xy()
    spacing = np.hypot(*(xy[1] - xy[0]))
    leaving_node_0 = network.source == 0
    lines = reached_segments(
        network, EdgeShapes.of(network, leaving_node_0), np.array([0.0, 60.0, 120.0, 180.0]), 150.0, "from_site"
    )
    assert covered_length(lines) == pytest.approx(spacing, rel=1e-3)


def test_times_beyond_the_horizon_are_left_empty():
    model = AccessModel({"USP": "to_site"}, offroad_kph=20, max_snap_m=2000, horizon_min=1.5)
    near = commune_access(Router(line_network()), communes(), facilities(), model, columns=COLUMNS).communes.iloc[0]
    assert np.isnan(near["usp_minutes"]) and near["usp_nearest"] == "" and near["on_network"]


def covered_length(lines) -> float:
    """Length of road covered by overlapping segments (a thin buffer merges near-collinear overlaps)."""
    return (shapely.union_all(shapely.buffer(lines, 0.5, cap_style="flat")).area) / 1.0


@pytest.mark.parametrize("method", METHODS)
def test_bands_are_valid_disjoint_and_nested(method: str):
    network = line_network()
    seconds = np.array([0.0, 60.0, 120.0, 180.0])
    polygons = METHODS[method](network, np.ones(6, dtype=bool), 100).polygons(seconds, [1, 2, 3], "from_site")
    table = bands(polygons, [1, 2, 3])
    assert all(shapely.is_valid(g) and g.geom_type in ("Polygon", "MultiPolygon") for g in table["geometry"])
    assert sum(g.area for g in table["geometry"]) == pytest.approx(polygons[-1].area, rel=1e-6)
    assert polygons[0].area < polygons[1].area < polygons[2].area


@pytest.mark.parametrize("method", METHODS)
def test_bands_of_two_halves_merge_into_the_bands_of_the_whole(method: str):
    network = line_network()
    times = {"USP": (np.array([0.0, 60.0, 120.0, 180.0]), "from_site")}
    access = pd.DataFrame({"population": [10, 20], "usp_minutes": [0.5, 2.5]})
    halves = [
        isochrone_table(
            network, times, access.iloc[[i]], [1, 2, 3], buffer_m=100, edges=np.isin(network.source, nodes),
            method=method, columns=COLUMNS,
        )
        for i, nodes in enumerate(([0, 1], [2, 3]))
    ]
    edges = np.ones(6, dtype=bool)
    whole = isochrone_table(network, times, access, [1, 2, 3], buffer_m=100, edges=edges, method=method,
                            columns=COLUMNS)
    merged = merge_isochrones(halves)
    assert merged["population"].tolist() == whole["population"].tolist() == [10, 0, 20]
    for mine, reference in zip(merged.geometry, whole.geometry, strict=True):
        assert mine.symmetric_difference(reference).area <= 0.01 * reference.area
    assert merged["area_km2"].to_numpy() == pytest.approx(whole["area_km2"].to_numpy(), rel=0.01)


def test_band_population_uses_commune_minutes():
    access = pd.DataFrame({"population": [10, 20, 30], "usp_minutes": [0.0, 15.0, 16.0]})
    assert band_population(access, "USP", 0, 15, columns=COLUMNS) == 30
    assert band_population(access, "USP", 15, 30, columns=COLUMNS) == 30


def test_origin_is_the_densest_junction_cluster_or_the_road_nearest_the_commune_point():
    network = RoadNetwork(**{**line_network().__dict__, "nearby_junctions": np.array([0, 0, 0, 5])})
    commune = communes().iloc[:1].copy()
    commune["geometry"] = [box(9.015, 41.99, 9.032, 42.01)]  # holds nodes 2 and 3; its point is nearer node 2
    point = commune.geometry.representative_point().iloc[0]
    commune = commune.assign(lon=point.x, lat=point.y)
    router = Router(network)
    assert population_points(router, commune, "densest_junctions", columns=COLUMNS)["lon"].tolist() == [9.03]
    assert population_points(router, commune, "nearest_road", columns=COLUMNS)["lon"].tolist() == [9.02]


def test_coverage_quantiles_and_the_alternative_model():
    access = pd.DataFrame(
        {"departement": ["2A", "2A", "2A", "2B"], "population": [100, 50, 25, 10], "on_network": True,
         "usp_minutes": [10.0, 40.0, np.nan, 5.0]}  # fmt: skip
    )
    alternative = access.assign(usp_minutes=[5.0, 20.0, 30.0, 1.0])
    table = coverage_by_departement(access, ["USP"], [15, 45], alternative=alternative, columns=COLUMNS)
    table = table.set_index(["departement", "threshold_min"])
    # 2A: half of 175 inhabitants is reached with the first commune (100 at 10 min); 90 % needs the unreached one.
    assert table.loc[("2A", 15), "median_min"] == 10.0 and np.isnan(table.loc[("2A", 15), "p90_min"])
    assert table.loc[("2B", 45), "median_min"] == 5.0 and table.loc[("2B", 45), "p90_min"] == 5.0
    assert table.loc[("2A", 15), "share_within_alternative"] == pytest.approx(100 / 175)
    assert table.loc[("2A", 45), "share_within_alternative"] == 1.0


def test_the_caller_names_every_column_and_gets_its_tables_back():
    """Another country's tables: a zone ``zone`` with a ``label`` and ``people`` in a ``region``, a site ``id``, in a
    metric CRS; every result as with the default names, renamed, and a GeoDataFrame in the caller's CRS where the
    input was one."""
    router, places, sites = Router(line_network()), communes(), facilities().assign(beds=[10, 5, 30])
    names = {"finess": "id", "departement": "region", "code": "zone", "nom": "label", "population": "people"}
    own_places = places.rename(columns=names).to_crs("EPSG:2154")
    own_sites = gpd.GeoDataFrame(sites.rename(columns=names), geometry=gpd.points_from_xy(sites["lon"], sites["lat"]),
                                 crs="EPSG:4326").to_crs("EPSG:2154")  # fmt: skip
    own_columns = Columns(commune="zone", site="id", area="region", population="people", name="label")
    summed = {k: v for k, v in names.items() if k != "population"}  # a table's own "population" is a sum

    default = commune_access(router, places, sites, MODEL, columns=COLUMNS)
    own = commune_access(router, own_places, own_sites, MODEL, columns=own_columns)
    assert isinstance(own.communes, gpd.GeoDataFrame) and own.communes.crs == "EPSG:2154"
    assert own.communes.geometry.geom_equals_exact(own_places.geometry, 1e-6).all()
    pd.testing.assert_frame_equal(pd.DataFrame(own.communes.drop(columns="geometry")),
                                  pd.DataFrame(default.communes.drop(columns="geometry")).rename(columns=names))
    pd.testing.assert_frame_equal(own.sites, default.sites.rename(columns=names))
    pd.testing.assert_frame_equal(
        coverage_by_departement(own.communes, ["USP"], [5, 30], columns=own_columns),
        coverage_by_departement(default.communes, ["USP"], [5, 30], columns=COLUMNS).rename(columns=summed),
    )
    pd.testing.assert_frame_equal(
        ranked_sites(router, own.communes, own_sites, MODEL, count=2, limit_min=60, columns=own_columns),
        ranked_sites(router, default.communes, sites, MODEL, count=2, limit_min=60, columns=COLUMNS)
        .rename(columns=names),
    )
    pairs = travel_pairs(router, default.communes, sites, MODEL, limit_min=60, columns=COLUMNS)
    own_pairs = travel_pairs(router, own.communes, own_sites, MODEL, limit_min=60, columns=own_columns)
    pd.testing.assert_frame_equal(own_pairs, pairs.rename(columns=names))
    steps = DecaySteps.from_config([{"max_min": 30, "weight": 1.0}, {"max_min": 60, "weight": 0.5}])
    scores = e2sfca_scores(own_pairs, own.communes, own_sites, {"USP": "beds"}, steps, columns=own_columns)
    assert isinstance(scores, gpd.GeoDataFrame) and scores.crs == "EPSG:2154"
    scored = e2sfca_scores(pairs, default.communes, sites, {"USP": "beds"}, steps, columns=COLUMNS)
    pd.testing.assert_frame_equal(pd.DataFrame(scores.drop(columns="geometry")),
                                  pd.DataFrame(scored.drop(columns="geometry")).rename(columns=names))
    own_catchments = catchments(own.communes, own_sites.iloc[:2], "USP", "beds", columns=own_columns)
    assert isinstance(own_catchments, gpd.GeoDataFrame) and own_catchments.crs == "EPSG:2154"
    pd.testing.assert_frame_equal(pd.DataFrame(own_catchments.drop(columns="geometry")),
                                  catchments(default.communes, sites.iloc[:2], "USP", "beds", columns=COLUMNS)
                                  .rename(columns=summed))  # fmt: skip
    pd.testing.assert_frame_equal(
        sites_without_backup(own.communes, ["USP"], [30], columns=own_columns),
        sites_without_backup(default.communes, ["USP"], [30], columns=COLUMNS).rename(columns=names),
    )
    candidates = own_sites.iloc[:1].assign(name="X")
    proposals, covered = greedy_scenario(router, own.communes, own_sites.iloc[1:], candidates, MODEL,
                                         direction="to_site", minutes=30, count=1, columns=own_columns)  # fmt: skip
    assert proposals.columns.tolist()[:4] == ["rank", "id", "name", "region"] and proposals.crs == "EPSG:2154"
    assert proposals["id"].tolist() == ["2B0000001"]
    assert covered.columns.tolist() == ["zone", "rank", "id"] and covered["zone"].tolist() == ["2B001"]


def test_trips_start_at_the_chef_lieu_where_the_commune_has_one():
    """Metric's origin: the chef-lieu point itself, snapped like any point; a commune without one keeps the road
    nearest its representative point."""
    places = communes().assign(chef_lieu_lon=[9.03, np.nan], chef_lieu_lat=[42.0, np.nan])
    router = Router(line_network())
    points = population_points(router, places, "chef_lieu", columns=COLUMNS)
    assert points["point_source"].tolist() == ["chef_lieu", "representative_point"]
    assert (points.loc[0, "lon"], points.loc[0, "lat"]) == (9.03, 42.0)
    model = AccessModel({"USP": "to_site"}, offroad_kph=20, max_snap_m=2000, origin="chef_lieu")
    result = commune_access(router, places, facilities(), model, columns=COLUMNS)
    assert result.communes.iloc[0]["usp_minutes"] == pytest.approx(3.0), "from node 3, three edges of 60 s"


def test_sites_without_backup_counted_by_hand():
    """Four communes of two départements around sites A and B (USP): by hand, who is within 30 minutes of their
    site and of no other, their next site's minutes, and a site nobody goes to first listed with zeros."""
    communes = pd.DataFrame({
        "commune": ["1", "2", "3", "4"], "departement": ["01", "01", "01", "02"],
        "population": [100, 200, 300, 400], "population_75_plus": [10.0, 20.0, 30.0, 40.0],
        "usp_minutes": [10.0, 25.0, 50.0, 20.0], "usp_nearest": ["A", "A", "A", "B"],
        "usp_backup_minutes": [20.0, 40.0, np.nan, 90.0],
    })  # fmt: skip
    sites = pd.DataFrame({"finess": ["A", "B", "C"], "service": "USP", "departement": ["01", "02", "01"]})
    table = sites_without_backup(communes, ["USP"], [30, 60], sites=sites, columns=COLUMNS)
    rows = {(r.departement, r.finess, r.threshold_min): r for r in table.itertuples()}
    a30, a60, b30, c30 = rows["01", "A", 30], rows["01", "A", 60], rows["02", "B", 30], rows["01", "C", 30]
    assert (a30.population_served, a30.population_without_backup) == (300, 200)
    assert a30.population_75_plus_without_backup == 20
    assert (a30.median_backup_min, a30.worst_backup_min, a30.population_beyond_horizon) == (40.0, 40.0, 0)
    assert (a60.population_served, a60.population_without_backup, a60.population_beyond_horizon) == (600, 300, 300)
    assert np.isnan(a60.median_backup_min) and np.isnan(a60.worst_backup_min), "half of them have no site left"
    assert (b30.population_without_backup, b30.median_backup_min) == (400, 90.0)
    assert (c30.population_served, c30.population_without_backup) == (0, 0) and ("02", "C", 30) not in rows
    assert len(table) == 6


def test_catchments_by_hand():
    """Three communes go to A, one to B, one reaches no site; C is nobody's nearest: each site's people, capacity
    per 100,000 (of them, and of those aged 75+), median and longest minutes, by hand."""
    communes = pd.DataFrame({
        "commune": ["1", "2", "3", "4", "5"], "population": [1000, 3000, 1000, 4000, 500],
        "population_75_plus": [100.0, 300.0, 100.0, 800.0, 50.0],
        "usp_minutes": [5.0, 20.0, 40.0, 10.0, np.nan], "usp_nearest": ["A", "A", "A", "B", ""],
    })  # fmt: skip
    sites = pd.DataFrame({"finess": ["A", "B", "C"], "capacity": [10.0, 2.0, 5.0]})
    table = catchments(communes, sites, "USP", "capacity", columns=COLUMNS).set_index("finess")
    assert table.loc["A", ["communes", "population", "population_75_plus"]].tolist() == [3, 5000, 500]
    assert table.loc["A", "capacity_per_100k"] == pytest.approx(10 / 5000 * 1e5)
    assert table.loc["A", "capacity_per_100k_75plus"] == pytest.approx(10 / 500 * 1e5)
    assert (table.loc["A", "median_min"], table.loc["A", "max_min"]) == (20.0, 40.0)
    assert table.loc["B", "capacity_per_100k"] == pytest.approx(2 / 4000 * 1e5)
    assert table.loc["C", ["communes", "population"]].tolist() == [0, 0]
    assert np.isnan(table.loc["C", "capacity_per_100k"])


@pytest.mark.parametrize("order", [["2B0000003", "2B0000002"], ["2B0000002", "2B0000003"]])
def test_two_sites_at_one_address_report_the_smaller_finess_and_back_each_other_up(order):
    """Two USP at the same point tie for every commune: the smaller FINESS is the nearest, whatever the order of the
    table, and each is the other's backup (at the same minutes)."""
    same = pd.DataFrame({"finess": order, "service": "USP", "departement": "2B", "lon": 9.0, "lat": 42.0})
    result = commune_access(Router(line_network()), communes(), same, MODEL, columns=COLUMNS).communes.iloc[0]
    assert result["usp_nearest"] == "2B0000002" and result["usp_backup_minutes"] == result["usp_minutes"]


def test_places_read_their_minutes_and_nearest_site_from_the_access_search():
    """A place on node 3 is 3 minutes of road from the site on node 0 (no off-road leg: both on a node); one without
    coordinates and one 50 km away are off the network, unknown; a service the search did not route is refused."""
    router = Router(line_network())
    result = commune_access(router, communes(), facilities(), MODEL, columns=COLUMNS)
    places = pd.DataFrame({"finess": ["A", "B", "C"], "lon": [LON[3], np.nan, 9.6], "lat": [42.0, np.nan, 42.3]})
    table = place_access(router, result, places, ["USP"], MODEL, place_id="finess").set_index("finess")
    assert table.loc["A", "usp_minutes"] == pytest.approx(3.0) and table.loc["A", "usp_nearest"] == "2B0000001"
    assert not table.loc["B", "on_network"] and not table.loc["C", "on_network"]
    assert table.loc[["B", "C"], "usp_minutes"].isna().all() and (table.loc[["B", "C"], "usp_nearest"] == "").all()
    with pytest.raises(ArgumentError, match=r"services: \['EMSP'\]: expected services routed by the model's"):
        place_access(router, result, places, ["EMSP"], MODEL, place_id="finess")


def test_referral_shares_by_hand():
    """Three EHPAD in 01 (one 20 min from an EMSP, one 45, one off the network) and none in 02; two LISP sites, one
    beyond 60 min of a USP: the shares count the places known only."""
    ehpad = pd.DataFrame({"departement": ["01", "01", "01"], "on_network": [True, True, False],
                          "emsp_minutes": [20.0, 45.0, np.nan], "had_minutes": [10.0, np.nan, np.nan]})  # fmt: skip
    lisp = pd.DataFrame({"departement": ["01", "01"], "on_network": [True, True], "usp_minutes": [30.0, 75.0]})
    table = referral_shares(ehpad, lisp, ["01", "02"], ehpad_min=30, lisp_min=60, ehpad_services=["EMSP", "HAD"])
    first, second = table.iloc[0], table.iloc[1]
    assert (first["ehpad"], first["ehpad_unknown"], first["ehpad_beyond_emsp"]) == (3, 1, 1)
    assert first["share_ehpad_beyond_emsp"] == 0.5 and first["share_ehpad_beyond_had"] == 0.5, "unreached is beyond"
    assert (first["lisp"], first["lisp_beyond_usp"], first["share_lisp_beyond_usp"]) == (2, 1, 0.5)
    assert second["ehpad"] == 0 and np.isnan(second["share_ehpad_beyond_emsp"])


def test_catchments_where_no_commune_reaches_a_site_are_empty_not_an_error():
    """A network covering none of the area (the option matrix's row): every site's catchment is empty."""
    communes = pd.DataFrame({"commune": ["1"], "population": [1000], "usp_minutes": [np.nan], "usp_nearest": [""]})
    table = catchments(communes, pd.DataFrame({"finess": ["A"], "capacity": [10.0]}), "USP", "capacity",
                       columns=COLUMNS)  # fmt: skip
    assert table[["communes", "population"]].values.tolist() == [[0, 0]] and np.isnan(table.loc[0, "median_min"])
