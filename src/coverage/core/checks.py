"""Checks at the library's edge: what a public function is given, refused with an
:class:`~coverage.errors.ArgumentError` (or :class:`~coverage.errors.ArgumentTypeError`) naming the argument, the
value and what was expected, rather than turned into plausible wrong numbers (a geographic CRS taken for metres,
coordinates in metres taken for degrees, a network without travel times...)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import ArgumentError, ArgumentTypeError

DEGREES = "WGS84 longitudes in [-180, 180] and latitudes in [-90, 90], in degrees"


def projected_crs(crs: str, argument: str = "crs") -> str:
    """``crs`` when it is a projected CRS in metres (a geographic one would take degrees for metres)."""
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        raise ArgumentError(argument, crs, "a coordinate reference system (e.g. 'EPSG:2154')") from None
    if not parsed.is_projected or parsed.axis_info[0].unit_name not in ("metre", "meter"):
        raise ArgumentError(argument, crs, "a projected CRS in metres (e.g. 'EPSG:2154', or area_crs(...)), not a "
                            "geographic one: distances would be read in degrees")  # fmt: skip
    return crs


def wgs84_polygon(polygon: object, argument: str = "polygon") -> None:
    """A (multi)polygon in WGS84 degrees, not empty."""
    if not isinstance(polygon, shapely.Geometry) or polygon.is_empty:
        raise ArgumentError(argument, polygon, "a shapely (multi)polygon in WGS84 degrees, not empty")
    west, south, east, north = polygon.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise ArgumentError(argument, f"bounds {tuple(round(b) for b in polygon.bounds)}",
                            f"a polygon in {DEGREES} (these look like metres: reproject it to EPSG:4326)")  # fmt: skip


def wgs84_points(frame: pd.DataFrame, argument: str, lon: str = "lon", lat: str = "lat") -> None:
    """Numeric longitudes and latitudes in degrees (missing ones allowed: those points are off the network)."""
    for column in (lon, lat):
        if column not in frame:
            raise ArgumentError(argument, list(frame.columns), f"a column {column!r} ({DEGREES})")
        values = frame[column]
        if not (pd.api.types.is_numeric_dtype(values) or values.isna().all()):
            raise ArgumentTypeError(f"{argument}[{column!r}]", values.dropna().iloc[0],
                                    f"numbers ({DEGREES}): convert it with pd.to_numeric")  # fmt: skip
    outside = (frame[lon].abs() > 180) | (frame[lat].abs() > 90)
    if outside.any():
        row = frame[outside].iloc[0]
        raise ArgumentError(f"{argument}[{lon!r}, {lat!r}]", (float(row[lon]), float(row[lat])),
                            f"{DEGREES}: {int(outside.sum())} points are not (metres of a projected CRS? "
                            "reproject them to EPSG:4326)")  # fmt: skip


def degrees_not_labelled_metres(frame: pd.DataFrame, argument: str) -> None:
    """A GeoDataFrame whose projected CRS holds what look like degrees (every coordinate within ±180, ±90, the whole
    less than a kilometre across: WGS84 coordinates labelled with a metric CRS)."""
    crs = getattr(frame, "crs", None)
    if crs is None or not pyproj.CRS.from_user_input(crs).is_projected or not len(frame):
        return
    west, south, east, north = frame.total_bounds
    if -180 <= west <= east <= 180 and -90 <= south <= north <= 90 and max(east - west, north - south) < 1000:
        bounds = tuple(round(float(b), 2) for b in (west, south, east, north))
        raise ArgumentError(f"{argument}.crs", str(crs), f"the CRS of its coordinates: they look like degrees "
                            f"(bounds {bounds}); set EPSG:4326")  # fmt: skip


def travel_times_set(times: np.ndarray, length_m: np.ndarray, argument: str = "network") -> None:
    """Every road with a length has a positive, finite time (a network straight from a reader has none yet)."""
    missing = (length_m > 0) & ~(np.isfinite(times) & (times > 0))
    if missing.any():
        raise ArgumentError(argument, f"{int(missing.sum())} of {len(times)} roads without a travel time",
                            "a network with times: network.with_times(model) before routing")  # fmt: skip


def known_values(frame: pd.DataFrame, column: str, argument: str, expected: str) -> None:
    """No missing value in ``column`` (a NaN population would drop people from every total)."""
    if column not in frame:
        raise ArgumentError(argument, list(frame.columns), f"a column {column!r}: {expected}")
    missing = frame[column].isna()
    if missing.any():
        raise ArgumentError(f"{argument}[{column!r}]", f"{int(missing.sum())} missing (first at row "
                            f"{frame.index[missing][0]!r})", expected)  # fmt: skip


def unique_keys(frame: pd.DataFrame, columns: list[str], argument: str) -> None:
    """No two rows with the same ``columns`` (two sites under one id would be counted as one)."""
    twice = frame.duplicated(columns, keep=False)
    if twice.any():
        shown = frame.loc[twice, columns].drop_duplicates().head(3).to_dict("records")
        raise ArgumentError(f"{argument}[{columns}]", shown, "each id once")


def routed_services(services: list[str], routed: list[str], argument: str) -> None:
    """Every service asked for among those routed (a service the model does not route has no time at all)."""
    missing = [service for service in services if service not in routed]
    if missing:
        raise ArgumentError(argument, missing, f"services routed by the model's directions: {sorted(routed)}")
