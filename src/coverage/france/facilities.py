"""Build the facilities table: one row per (establishment, service) with capacity, location and contacts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._csvio import LINE, problems_at
from ..core.geometry import code_of_points
from ..errors import InputError
from .constants import SERVICES, UNITS, WGS84
from .contracts import FIXES, LocationSource, fixes_of
from .geography import current_code_map, distance_to_departement_km
from .sources.own_sites import OwnList, load_own_list
from .sources.rejects import rejects_frame, rows_of, warnings_frame
from .sources.sae import SaeEdition, load_home_hospitalisation, load_identification, load_palliative

DETAIL_COLUMNS = ["usp_units", "lisp_beds_mco", "lisp_beds_ssr", "lisp_beds_other", "emsp_fte"]
COLUMNS = [
    "finess", "name", "service", "capacity", "capacity_unit", "departement", "commune",
    "lon", "lat", "location_source", "edition", "address", "phone", *DETAIL_COLUMNS,
]  # fmt: skip
NO_PALLIATIVE_CARE = "no LISP, USP nor EMSP declared (PALIA_A1, A6, A10 not 1)"
NO_ACTIVITY = "no palliative care nor HAD places declared in this edition"
UNLISTED_COLUMNS = ["departement", "service", "file"]
SAE_SERVICES = ("HAD", "EMSP", "USP", "LISP")
UNKNOWN_MSP_DEPARTEMENT = "département of the FINESS number (or overseas postal code) not in the boundaries file"


@dataclass(frozen=True)
class Inputs:
    """Everything the facilities table is built from, already loaded."""

    sae: SaeEdition
    finess: pd.DataFrame
    finess_path: Path
    finess_label: str
    communes: gpd.GeoDataFrame
    departements: gpd.GeoDataFrame
    msp_category: str = "603"
    tolerance_km: float = 5.0
    own_lists: tuple[OwnList, ...] = ()


@dataclass(frozen=True)
class Result:
    """The facilities table and the row logs produced while building it."""

    facilities: gpd.GeoDataFrame
    rejects: pd.DataFrame
    warnings: pd.DataFrame
    unlisted: pd.DataFrame


def _palliative_rows(palia: pd.DataFrame) -> pd.DataFrame:
    """Turn PALIA declarations into LISP, USP and EMSP service rows (before location)."""
    lisp = palia[palia["has_lisp"]].assign(
        service="LISP", capacity=lambda f: f["lisp_beds_mco"] + f["lisp_beds_ssr"] + f["lisp_beds_other"]
    )
    usp = palia[palia["has_usp"]].assign(service="USP", capacity=lambda f: f["usp_beds"])
    emsp = palia[palia["has_emsp"]].assign(service="EMSP", capacity=1.0)
    rows = pd.concat([lisp, usp, emsp], ignore_index=True)
    for column, service in (("lisp_beds_mco", "LISP"), ("lisp_beds_ssr", "LISP"), ("lisp_beds_other", "LISP"),
                            ("usp_units", "USP"), ("usp_beds", "USP"), ("emsp_fte", "EMSP")):  # fmt: skip
        rows.loc[rows["service"] != service, column] = np.nan
    return rows.drop(columns=["has_lisp", "has_usp", "has_emsp", "usp_beds"])


def _palliative_logs(palia: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rejects (no service declared) and warnings (capacity without flag, flag without capacity)."""
    lisp_beds = palia["lisp_beds_mco"] + palia["lisp_beds_ssr"] + palia["lisp_beds_other"]
    checks = [
        (~palia["has_lisp"] & (lisp_beds > 0), "LISP beds declared but PALIA_A1 is not 1: beds not counted"),
        (~palia["has_usp"] & (palia["usp_beds"] > 0), "USP beds declared but PALIA_A6 is not 1: beds not counted"),
        (palia["has_lisp"] & (lisp_beds == 0), "LISP declared (PALIA_A1 = 1) with no beds in A2/A3/A4"),
        (palia["has_usp"] & (palia["usp_beds"] == 0), "USP declared (PALIA_A6 = 1) with no beds in A8"),
    ]
    warnings = [row for mask, text in checks for row in rows_of(palia, mask, text)]
    rejects = rows_of(palia, ~(palia["has_lisp"] | palia["has_usp"] | palia["has_emsp"]), NO_PALLIATIVE_CARE)
    return rejects_frame(path, rejects), warnings_frame(path, warnings)


def _sae_rows(inputs: Inputs) -> tuple[pd.DataFrame, list[pd.DataFrame], list[pd.DataFrame], pd.DataFrame]:
    """Service rows from the SAE edition, with département, commune and SAE address from ID; rejects,
    warnings, and the départements ID does not list."""
    files = inputs.sae.files
    identification = load_identification(files["ID"])
    palia = load_palliative(files["PALIA"])
    had = load_home_hospitalisation(files["HAD"])
    (palia, palia_unlisted), (had, had_unlisted) = (_listed_in_id(frame, kind, identification, inputs.sae)
                                                    for kind, frame in (("PALIA", palia), ("HAD", had)))  # fmt: skip
    palia_rejects, palia_warnings = _palliative_logs(palia, files["PALIA"])
    with_places = had["places"] > 0
    had_rejects = rejects_frame(files["HAD"], rows_of(had, ~with_places, "no HAD places (PLATOT empty or 0)"))
    had_rows = had[with_places].assign(service="HAD", capacity=lambda f: f["places"]).drop(columns="places")
    rows = pd.concat([_palliative_rows(palia), had_rows], ignore_index=True).drop(columns=[LINE, FIXES])
    unused = ~identification["finess"].isin(rows["finess"])
    id_rejects = rejects_frame(files["ID"], rows_of(identification, unused, NO_ACTIVITY))
    rows = rows.merge(identification.drop(columns=[LINE, FIXES]), on="finess", how="left", validate="many_to_one")
    _check_departements(identification, files["ID"], set(inputs.departements["code"]))
    rows["edition"] = inputs.sae.label
    fixes = [
        _fix_warnings(frame, files[kind]) for kind, frame in (("ID", identification), ("PALIA", palia), ("HAD", had))
    ]
    unlisted = _absent_departements(files["ID"], identification, inputs.departements, SAE_SERVICES)
    rejects = [id_rejects, palia_unlisted, palia_rejects, had_unlisted, had_rejects]
    return rows, rejects, [palia_warnings, *fixes, _id_year_warning(inputs.sae)], unlisted


def _id_year_warning(edition: SaeEdition) -> pd.DataFrame:
    """A warning when the identification file is of a year none of the tables is: most likely a stale download of
    ID beside newer tables (an edition may mix years, PALIA being surveyed every other year, but its ID is that of
    one of its tables)."""
    years = edition.years
    if years["ID"] in {year for kind, year in years.items() if kind != "ID"}:
        return warnings_frame(edition.files["ID"], [])
    tables = ", ".join(f"{kind} {year}" for kind, year in years.items() if kind != "ID")
    text = (f"identification file of {years['ID']} beside tables of other years ({tables}) [rule id-year]: the "
            f"establishments are those ID lists (département, commune, address) and the edition is cited as "
            f"{edition.label!r}; check that ID is the file of the tables' year")
    return warnings_frame(edition.files["ID"], [(None, "", text)])


def _listed_in_id(
    frame: pd.DataFrame, kind: str, identification: pd.DataFrame, edition: SaeEdition
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of a PALIA or HAD table whose establishment the ID table lists, and the rejects of the others.

    Tables of one survey year list the same establishments: a row ID does not know is a fault of the files and
    stops the run. A table of another year than ID (an edition made of tables of different years) may hold
    establishments closed or merged in between: those rows are rejected, each with its reason.
    """
    path = edition.files[kind]
    unknown = ~frame["finess"].isin(identification["finess"])
    if not unknown.any():
        return frame, rejects_frame(path, [])
    expected = f"an establishment listed in {edition.files['ID'].name}"
    if edition.years[kind] == edition.year:
        raise InputError(path, problems_at(frame, unknown, "finess", expected, shown_column="FI", rule="listed-in-id"))
    reason = (f"not listed in {edition.files['ID'].name} (SAE {edition.year}): closed or merged since {kind} "
              f"{edition.years[kind]} [rule listed-in-id]")  # fmt: skip
    return frame[~unknown].reset_index(drop=True), rejects_frame(path, rows_of(frame, unknown, reason))


def _absent_departements(
    path: Path, listed: pd.DataFrame, departements: gpd.GeoDataFrame, services: tuple[str, ...]
) -> pd.DataFrame:
    """The départements of the boundaries with no establishment at all in a national file, per service it gives.

    Every département has hospitals and health centres: one absent from the whole file points to a
    partial file, and its services are unknown there, not 0.
    """
    absent = sorted(set(departements["code"]) - set(listed["departement"]))
    rows = [(code, service, str(path)) for code in absent for service in services]
    return pd.DataFrame(rows, columns=UNLISTED_COLUMNS)


def _unlisted_warnings(unlisted: pd.DataFrame) -> pd.DataFrame:
    """A warning per national file and département it does not list: which services are unknown there."""
    text = ("no establishment of département {} in this file [rule whole-territory]: its {} are unknown, "
            "left empty in the indicators; check that the file is complete")  # fmt: skip
    return pd.concat(
        [warnings_frame(path, [(None, code, text.format(code, ", ".join(group["service"])))
                               for code, group in rows.groupby("departement")])
         for path, rows in unlisted.groupby("file")] or [warnings_frame("", [])],
        ignore_index=True,
    )  # fmt: skip


def _fix_warnings(frame: pd.DataFrame, path: Path, used: pd.Series | None = None) -> pd.DataFrame:
    """Warnings for the rows a contract repaired (of the ``used`` rows only, when given)."""
    fixes = fixes_of(frame if used is None else frame[used])
    lines, finess = frame.loc[fixes.index, LINE], frame.loc[fixes.index, "finess"]
    return warnings_frame(path, list(zip(lines.astype(int), finess, fixes, strict=True)))


def _check_departements(identification: pd.DataFrame, path: Path, known: set[str]) -> None:
    """Raise when an establishment's département is not one of the boundaries file."""
    bad = ~identification["departement"].isin(known)
    if bad.any():
        expected = "a département code of the boundaries file"
        problems = problems_at(identification, bad, "departement", expected, "DEP", rule="known-departement")
        raise InputError(path, problems)


def _msp_rows(inputs: Inputs) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """MSP rows from FINESS (one structure each); rows outside the départements are rejected; départements
    absent from FINESS are listed."""
    msp = inputs.finess[inputs.finess["category"] == inputs.msp_category]
    known = msp["departement"].isin(set(inputs.departements["code"]))
    rejects = rejects_frame(inputs.finess_path, rows_of(msp, ~known, UNKNOWN_MSP_DEPARTEMENT))
    rows = msp[known][["finess", "name", "departement"]].assign(
        service="MSP", capacity=1.0, commune="", address="", edition=inputs.finess_label
    )
    return rows, rejects, _absent_departements(inputs.finess_path, inputs.finess, inputs.departements, ("MSP",))


def _locate(rows: pd.DataFrame, inputs: Inputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add coordinates, phone and address: FINESS first, else the commune's point (with a warning)."""
    register = inputs.finess.set_index("finess")
    in_register = rows["finess"].isin(register.index)
    rows["lon"] = rows["finess"].map(register["lon"])
    rows["lat"] = rows["finess"].map(register["lat"])
    rows["phone"] = rows["finess"].map(register["phone"]).fillna("")
    rows["address"] = rows["address"].where(rows["address"] != "", rows["finess"].map(register["address"]).fillna(""))
    located = rows["lon"].notna() & rows["lat"].notna()
    rows["location_source"] = np.where(located, LocationSource.FINESS.value, LocationSource.COMMUNE.value)
    codes = current_code_map(inputs.communes)
    rows["commune"] = rows["commune"].map(lambda c: codes.get(c, c))
    points = inputs.communes.set_index("code")
    at_commune = rows["location_source"] == LocationSource.COMMUNE
    for axis in ("lon", "lat"):  # as numbers, even when no site is placed at its commune
        rows.loc[at_commune, axis] = rows.loc[at_commune, "commune"].map(points[axis]).astype(float)
    unplaced = at_commune & rows["lon"].isna()
    rows.loc[unplaced, "location_source"] = LocationSource.NONE.value
    messages = []
    for row in rows[at_commune].drop_duplicates("finess").itertuples():
        why = "absent from" if not in_register[row.Index] else "without coordinates in"
        where = (
            f"placed at the point of commune {row.commune}"
            if row.location_source == LocationSource.COMMUNE
            else "commune unknown: not placed on maps"
        )
        messages.append((None, row.finess, f"{row.service} site {why} {inputs.finess_label}: {where}"))
    return rows, warnings_frame(inputs.finess_path, messages)


def _check_locations(rows: pd.DataFrame, inputs: Inputs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points further than the tolerance from their département (codes decide, not geometry).

    A point whose commune is known and lies in the département is moved to the commune's point (a
    geocoding slip: coordinates in the sea, in a neighbouring département); otherwise it is kept.
    Either way the row is listed in the warnings.
    """
    distance = distance_to_departement_km(rows["lon"], rows["lat"], rows["departement"], inputs.departements)
    far = distance > inputs.tolerance_km
    points = inputs.communes.set_index("code")
    commune_departement = rows["commune"].map(points["departement"])
    movable = far & rows["commune"].map(points["lon"]).notna() & (commune_departement == rows["departement"])
    text = "coordinates {:.1f} km outside département {} [rule in-departement]: placed at the point of commune {}"
    moved = [
        (None, r.finess, text.format(distance[r.Index], r.departement, r.commune))
        for r in rows[movable].drop_duplicates("finess").itertuples()
    ]
    kept = [
        (None, r.finess, f"coordinates {distance[r.Index]:.1f} km outside département {r.departement}: kept there")
        for r in rows[far & ~movable].drop_duplicates("finess").itertuples()
    ]
    rows = rows.copy()
    for axis in ("lon", "lat"):
        rows.loc[movable, axis] = rows.loc[movable, "commune"].map(points[axis]).astype(float)
    rows.loc[movable, "location_source"] = LocationSource.COMMUNE.value
    return rows, warnings_frame(inputs.finess_path, moved + kept)


def _source_file(service: str, inputs: Inputs) -> Path:
    """The national file a service's sites come from."""
    return inputs.finess_path if service == "MSP" else inputs.sae.files["HAD" if service == "HAD" else "PALIA"]


def _apply_own_lists(rows: pd.DataFrame, inputs: Inputs) -> tuple[pd.DataFrame, list[pd.DataFrame], list[pd.DataFrame]]:
    """Add or substitute the planners' own sites; national rows they replace go to the rejects."""
    rejects, warnings = [], []
    register = inputs.finess.set_index("finess")
    for own in inputs.own_lists:
        listed, fixes = load_own_list(own, inputs.communes, inputs.departements, inputs.tolerance_km)
        keys = pd.MultiIndex.from_frame(rows[["finess", "service"]])
        replaced = keys.isin(pd.MultiIndex.from_frame(listed[["finess", "service"]]))
        if own.mode == "replace":
            replaced |= rows["service"].isin(own.services) & rows["departement"].isin(own.departements)
        for service, group in rows[replaced].groupby("service"):
            text = f"{service} site replaced by the list {own.path.name} ({own.label})"
            rejects.append(rejects_frame(_source_file(service, inputs), [(None, f, text) for f in group["finess"]]))
        for column in ("phone", "address"):
            known = listed["finess"].map(register[column]).fillna("")
            listed[column] = listed[column].where(listed[column] != "", known)
        rows = pd.concat([rows[~replaced], listed], ignore_index=True)
        warnings.append(fixes)
    return rows, rejects, warnings


def build_facilities(inputs: Inputs) -> Result:
    """Build the facilities table from an SAE edition and the FINESS register.

    MSP come from FINESS (category ``msp_category``), HAD, EMSP, USP and LISP from the SAE edition.
    Location: FINESS coordinates, else the point of the SAE commune (``location_source``). The
    département always comes from the establishment's own codes; coordinates further than
    ``tolerance_km`` from it are moved to the commune's point when it is known (else kept), and
    listed in the warnings. The planners' own lists then add or replace sites. Départements a national
    file does not list at all have its services unknown (``unlisted``), unless a ``replace`` list
    gives them.
    """
    sae_rows, rejects, warnings, sae_unlisted = _sae_rows(inputs)
    msp_rows, msp_rejects, msp_unlisted = _msp_rows(inputs)
    rows = pd.concat([sae_rows, msp_rows], ignore_index=True)
    rows, location_warnings = _locate(rows, inputs)
    used = inputs.finess["finess"].isin(rows["finess"])
    finess_fixes = _fix_warnings(inputs.finess, inputs.finess_path, used)
    rows, own_rejects, own_warnings = _apply_own_lists(rows, inputs)
    todo = rows[(rows["commune"] == "") & rows["lon"].notna()]
    rows.loc[todo.index, "commune"] = code_of_points(todo["lon"], todo["lat"], inputs.communes, "code")
    rows, far_warnings = _check_locations(rows, inputs)
    rows["capacity_unit"] = rows["service"].map(UNITS)
    rows = rows.reindex(columns=COLUMNS)
    rows["service"] = pd.Categorical(rows["service"], categories=SERVICES, ordered=True)
    rows = rows.sort_values(["service", "departement", "finess"], ignore_index=True)
    rows["service"] = rows["service"].astype(str)
    facilities = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(rows["lon"], rows["lat"]), crs=WGS84)
    unlisted = _not_replaced(pd.concat([sae_unlisted, msp_unlisted], ignore_index=True), inputs.own_lists)
    return Result(
        facilities=facilities,
        rejects=_listed_instead(pd.concat([*rejects, msp_rejects, *own_rejects], ignore_index=True), rows, inputs),
        warnings=pd.concat(
            [*warnings, _unlisted_warnings(unlisted), location_warnings, finess_fixes, *own_warnings, far_warnings],
            ignore_index=True,
        ),
        unlisted=unlisted,
    )


def _listed_instead(rejects: pd.DataFrame, rows: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """A national row left out (no activity declared) whose site a planner's list gives says so, so that the
    rejects do not read as if the planner's site were refused."""
    rejects = rejects.copy()
    from_lists = rows[rows["location_source"].isin([LocationSource.LIST, LocationSource.LIST_COMMUNE])]
    for own in inputs.own_lists:
        given = from_lists.loc[from_lists["edition"] == own.label, "finess"]
        listed = rejects["id"].isin(given) & ~rejects["reason"].str.contains(" replaced by the list ", regex=False)
        rejects.loc[listed, "reason"] += f"; the site is given by the list {own.path.name} ({own.label})"
    return rejects


def _not_replaced(unlisted: pd.DataFrame, own_lists: tuple[OwnList, ...]) -> pd.DataFrame:
    """Unknown services stay unknown unless a planner's ``replace`` list gives them for the département."""
    known = pd.Series(False, index=unlisted.index)
    for own in own_lists:
        if own.mode == "replace":
            known |= unlisted["service"].isin(own.services) & unlisted["departement"].isin(own.departements)
    return unlisted[~known].reset_index(drop=True)
