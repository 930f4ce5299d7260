"""Load a planner's own list of sites (CSV or XLSX), e.g. an ARS's list of recognised LISP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..._csvio import LINE, decode, problems_at, read_delimited
from ...core.geometry import code_of_points
from ...errors import InputError, Problem
from ..constants import SERVICES
from ..contracts import (
    COMMUNE_PATTERN,
    FIXES,
    Column,
    Contract,
    LocationSource,
    add_note,
    finess_number,
    in_france,
    non_negative,
    not_empty,
    numbers,
    one_of,
    padded,
    pattern,
    raise_if_any,
    whole_number,
)  # fmt: skip
from ..geography import current_code_map, distance_to_departement_km
from .boundaries import load_departements
from .population import load_population
from .rejects import warnings_frame

MODES = ("add", "replace")
CONTRACT = Contract(
    "planner's list of sites",
    (
        Column("finess", (finess_number(),), normalise=padded(9)),
        Column("name", (not_empty("the site's name"),)),
        Column("service", (one_of(SERVICES, "a service"),), normalise=lambda c: c.str.upper().astype(object)),
        Column("capacity", (non_negative("beds for a USP or LISP, places for an HAD, teams for an EMSP, 1 for an MSP",
                                         required=True),
                            whole_number("beds, places, teams or structures"))),
        Column("lon", (pattern("number", r"-?\d+([.,]\d+)?", "a longitude in degrees (WGS84)", optional=True),),
               required=False),
        Column("lat", (pattern("number", r"-?\d+([.,]\d+)?", "a latitude in degrees (WGS84)", optional=True),),
               required=False),
        Column("commune", (pattern("commune-format", COMMUNE_PATTERN, "an INSEE commune code", optional=True),),
               normalise=padded(5), required=False),
        Column("address", required=False),
        Column("phone", required=False),
    ),
    unique=(("finess", "service"),),
)  # fmt: skip


@dataclass(frozen=True)
class OwnList:
    """One planner's list as configured: its file, how it combines with the national sources, its label.

    ``mode`` ``add`` adds the sites (a site already known for the same service is replaced by the
    list's row); ``replace`` first removes every national site of ``services`` in ``departements``.
    """

    path: Path
    label: str
    mode: str = "add"
    services: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    trust_coordinates: bool = False

    @classmethod
    def from_config(cls, entry: dict) -> OwnList:
        """Build from one ``own_sites`` entry of the config (path already resolved)."""
        return cls(
            Path(entry["path"]), entry["label"], entry.get("mode", "add"),
            tuple(entry.get("services", ())), tuple(entry.get("departements", ())),
            bool(entry.get("trust_coordinates", False)),
        )  # fmt: skip


HEADER_SEARCH_ROWS = 20


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV (comma or semicolon) or XLSX sheet as stripped text cells with their ``_line``.

    In a workbook the header is the first row naming the list's required columns: a title or a
    note typed above it is skipped, and lines stay those Excel shows.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            sheet = pd.read_excel(path, dtype=str, keep_default_na=False, header=None, engine="openpyxl")
        except Exception as error:  # openpyxl raises several types for damaged workbooks
            raise InputError(path, Problem(f"a readable XLSX workbook ({error})")) from None
        sheet = sheet.apply(lambda c: c.str.strip())
        header = _header_row(sheet)
        frame = sheet.iloc[header + 1 :].copy()
        frame.columns = [str(c) for c in sheet.iloc[header]]
        frame = frame.loc[:, [c != "" for c in frame.columns]]
        frame = frame[(frame != "").any(axis=1)]
        frame[LINE] = frame.index + 1
        return frame.reset_index(drop=True)
    if not path.is_file():
        raise InputError(path, Problem("an existing CSV or XLSX file"))
    header = decode(path).partition("\n")[0]
    return read_delimited(path, sep=";" if header.count(";") > header.count(",") else ",")


def _header_row(sheet: pd.DataFrame) -> int:
    """The first of the top rows holding every required column name (the first row when none does)."""
    required = {c.name for c in CONTRACT.columns if c.required}
    for row in range(min(HEADER_SEARCH_ROWS, len(sheet))):
        if required <= set(sheet.iloc[row]):
            return row
    return 0


def _located(frame: pd.DataFrame) -> list[Problem]:
    """Every row needs both coordinates, or neither and a commune."""
    has_lon, has_lat = frame["lon"] != "", frame["lat"] != ""
    half = has_lon != has_lat
    nowhere = ~has_lon & ~has_lat & (frame["commune"] == "")
    return problems_at(frame, half, "lon", "both lon and lat, or neither", rule="coordinates-pair") + problems_at(
        frame, nowhere, "commune", "coordinates (lon, lat) or a commune code", rule="located"
    )


def load_own_list(
    own: OwnList, communes: pd.DataFrame, departements: gpd.GeoDataFrame, tolerance_km: float = 5.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check a planner's list against its contract and turn it into facility rows.

    Returns
    -------
    rows
        ``finess``, ``name``, ``service``, ``capacity``, ``departement``, ``commune``, ``lon``, ``lat``,
        ``location_source`` (``list`` or ``list_commune``), ``edition``, ``address``, ``phone``.
    warnings
        Rows used after a fix: codes whose leading zeros were restored, sites placed at their commune.

    Raises
    ------
    InputError
        Listing every violation of the file: contract, unknown communes, points outside France,
        points farther than ``tolerance_km`` from the département of their commune or FINESS number
        (unless the list trusts its coordinates: the site then counts where it lies, with a warning),
        sites outside the scope of a ``replace`` list.
    """
    frame, commune, departement, lon, lat = check_own_list(own, communes, departements, tolerance_km)
    return _rows(frame, own, commune, departement, lon, lat, communes)


def check_own_list(
    own: OwnList, communes: pd.DataFrame, departements: gpd.GeoDataFrame, tolerance_km: float = 5.0
) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series, pd.Series]:
    """Check a planner's list against its contract (see :func:`load_own_list`), before any point is placed: it
    needs of ``communes`` only their ``code``, ``departement`` and ``former_codes``, so that the workflow runs it
    while planning, on the population file.

    Returns the checked rows with each row's current commune, département, lon and lat."""
    frame, problems = CONTRACT.check(read_table(own.path))
    if any(p.rule == "required-column" for p in problems):
        raise_if_any(own.path, problems)
    for optional in ("lon", "lat", "commune", "address", "phone"):
        if optional not in frame.columns:
            frame[optional] = ""
    problems += _located(frame)
    commune = frame["commune"].map(current_code_map(communes)).fillna("")
    unknown = (frame["commune"] != "") & (commune == "")
    problems += problems_at(frame, unknown, "commune", "a commune of the population file", rule="known-commune")
    lon, lat = numbers(frame["lon"]), numbers(frame["lat"])
    outside = lon.notna() & lat.notna() & ~in_france(lon, lat)
    problems += problems_at(frame, outside, "lon", "a point in France (lon and lat swapped?)", rule="in-france")
    by_point = code_of_points(lon.fillna(0), lat.fillna(0), departements, "code").where(lon.notna() & ~outside, "")
    claimed, reason = _claimed_departement(frame, commune, communes, departements)
    distance = distance_to_departement_km(lon.where(~outside), lat, claimed, departements)
    far = distance > tolerance_km
    if not own.trust_coordinates:
        problems += _far_problems(frame, far, claimed, reason, by_point, distance, tolerance_km)
    departement = claimed.where((claimed != "") & ~far, by_point)
    offshore = (departement == "") & lon.notna() & ~outside
    expected = "a point inside a département, or a commune code"
    problems += problems_at(frame, offshore, "lon", expected, rule="in-departement")
    problems += _scope_problems(frame, departement, own)
    raise_if_any(own.path, problems)
    moved = far & (departement != "")
    notes = ("coordinates " + distance.round(1).astype(str) + " km from département " + claimed + " of its " + reason
             + " [rule plausible-location]: kept (trust_coordinates), counted in département " + departement)  # fmt: skip
    frame[FIXES] = add_note(frame[FIXES], moved, notes)
    return frame, commune, departement, lon, lat


def _claimed_departement(
    frame: pd.DataFrame, commune: pd.Series, communes: pd.DataFrame, departements: gpd.GeoDataFrame
) -> tuple[pd.Series, pd.Series]:
    """The département a row's own codes give, and which code: its commune, else its metropolitan FINESS
    number (overseas numbers start with 97 or 98 whatever the DROM: no claim)."""
    by_commune = commune.map(communes.set_index("code")["departement"]).fillna("")
    prefix = frame["finess"].astype(str).str.slice(0, 2)
    by_finess = prefix.where(prefix.isin(set(departements["code"])), "")
    claimed = by_commune.where(by_commune != "", by_finess)
    reason = ("commune " + commune).where(by_commune != "", "FINESS number " + frame["finess"].astype(str))
    return claimed, reason


def _far_problems(
    frame: pd.DataFrame, far: pd.Series, claimed: pd.Series, reason: pd.Series, by_point: pd.Series,
    distance: pd.Series, tolerance_km: float,
) -> list[Problem]:  # fmt: skip
    """Coordinates beyond the tolerance from the département the row's own codes give: both places named."""
    return [
        Problem(
            f"a point within {tolerance_km:g} km of département {claimed[i]} (of its {reason[i]}); it lies "
            f"{distance[i]:.0f} km away, in {'département ' + by_point[i] if by_point[i] else 'no département'}. "
            "If the site is really there, set trust_coordinates: true on this list",
            line=int(frame.at[i, LINE]), column="lon", value=f"{frame.at[i, 'lon']}, {frame.at[i, 'lat']}",
            rule="plausible-location",
        )
        for i in far[far].index
    ]  # fmt: skip


def _scope_problems(frame: pd.DataFrame, departement: pd.Series, own: OwnList) -> list[Problem]:
    """A ``replace`` list may only hold sites of its services in its départements."""
    if own.mode != "replace":
        return []
    wrong_service = ~frame["service"].isin(own.services)
    wrong_place = ~departement.isin(own.departements) & (departement != "")
    return problems_at(
        frame, wrong_service, "service", f"a service this list replaces ({', '.join(own.services)})", rule="in-scope"
    ) + problems_at(frame.assign(_dep=departement), wrong_place, "_dep",
                    f"a site in the départements this list covers ({', '.join(own.departements)})", "commune",
                    rule="in-scope")  # fmt: skip


def _rows(
    frame: pd.DataFrame, own: OwnList, commune: pd.Series, departement: pd.Series, lon: pd.Series, lat: pd.Series,
    communes: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Facility rows of a checked list; rows without coordinates go to their commune's point."""
    points = communes.set_index("code")
    at_commune = lon.isna()
    rows = pd.DataFrame(
        {
            "finess": frame["finess"].astype(str),
            "name": frame["name"],
            "service": frame["service"],
            "capacity": numbers(frame["capacity"]),
            "departement": departement,
            "commune": commune,
            "lon": lon.where(~at_commune, commune.map(points["lon"])),
            "lat": lat.where(~at_commune, commune.map(points["lat"])),
            "location_source": pd.Series(LocationSource.LIST.value, index=frame.index).where(
                ~at_commune, LocationSource.LIST_COMMUNE.value
            ),
            "edition": own.label,
            "address": frame["address"],
            "phone": frame["phone"],
        }
    )
    earlier = frame[FIXES].where(frame[FIXES] == "", frame[FIXES] + "; ")
    notes = frame[FIXES].where(~at_commune, earlier + "no coordinates: placed at the point of commune " + commune)
    fixed = notes != ""
    warnings = warnings_frame(
        own.path, list(zip(frame.loc[fixed, LINE].astype(int), frame.loc[fixed, "finess"], notes[fixed], strict=True))
    )
    return rows, warnings


def check_own_lists(entries: list[dict], population: str | Path, boundaries: str | Path, tolerance_km: float) -> None:
    """Check every planner's list of the config (``own_sites``, paths resolved) while planning: each fault names its
    file, line, column and value, before any job runs. Communes are those of the population file."""
    if not entries:
        return
    departements = load_departements(boundaries)
    communes, _ = load_population(population, set(departements["code"]))
    for entry in entries:
        check_own_list(OwnList.from_config(entry), communes, departements, tolerance_km)
