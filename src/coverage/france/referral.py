"""Referral between tiers of care: the nursing homes (EHPAD) the palliative teams (EMSP, HAD) travel to, and the
hospitals with identified beds (LISP) that transfer to a palliative care unit (USP).

The minutes come from the access search of the département (:func:`coverage.core.access.place_access`): the teams'
services are routed from their bases, the USP to the unit, as their access is.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core.geometry import code_of_points
from .geography import distance_to_departement_km
from .sources.rejects import warnings_frame

EHPAD_COLUMNS = ["finess", "name", "departement", "commune", "address", "phone", "lon", "lat", "edition"]


def build_ehpad(
    register: pd.DataFrame, path: Path, label: str, communes: gpd.GeoDataFrame, departements: gpd.GeoDataFrame,
    category: str, tolerance_km: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """The FINESS establishments of ``category`` (EHPAD: 500) of the boundaries' départements, each placed at its
    FINESS coordinates in its commune, and the warnings about ``path``: an establishment of a département the
    boundaries lack, one without coordinates (not placed, not routed), one further than ``tolerance_km`` from its
    département (kept there)."""
    rows = register[register["category"] == category].copy()
    known = rows["departement"].isin(set(departements["code"]))
    messages = [(None, r.finess, f"EHPAD of département {r.departement}, not in the boundaries file: left out")
                for r in rows[~known].itertuples()]  # fmt: skip
    rows = rows[known]
    unplaced = rows["lon"].isna() | rows["lat"].isna()
    messages += [(None, r.finess, f"EHPAD without coordinates in {label}: not placed, its minutes unknown")
                 for r in rows[unplaced].itertuples()]  # fmt: skip
    distance = distance_to_departement_km(rows["lon"], rows["lat"], rows["departement"], departements)
    messages += [(None, r.finess, f"coordinates {distance[r.Index]:.1f} km outside département {r.departement}: "
                  "kept there") for r in rows[distance > tolerance_km].itertuples()]  # fmt: skip
    rows["commune"] = code_of_points(rows["lon"], rows["lat"], communes, "code").where(~unplaced, "")
    rows = rows.assign(edition=label).reindex(columns=EHPAD_COLUMNS).sort_values("finess", ignore_index=True)
    return rows, warnings_frame(path, messages)


def referral_table(places: pd.DataFrame, minutes: pd.DataFrame, facilities: pd.DataFrame, services: list[str],
                   id_column: str = "finess") -> pd.DataFrame:  # fmt: skip
    """``places`` with their minutes to each service's nearest site (:func:`coverage.core.access.place_access`)
    and that site's name (``S_nearest_name``)."""
    table = places.merge(minutes, on=id_column, how="left")
    for service in services:
        names = facilities[facilities["service"] == service].drop_duplicates("finess").set_index("finess")["name"]
        table[f"{service.lower()}_nearest_name"] = table[f"{service.lower()}_nearest"].map(names).fillna("")
    return table


def referral_shares(ehpad: pd.DataFrame, lisp: pd.DataFrame, codes: list[str], *, ehpad_min: float,
                    lisp_min: float, ehpad_services: list[str]) -> pd.DataFrame:  # fmt: skip
    """Per département of ``codes``: its EHPAD, how many are beyond ``ehpad_min`` of each of ``ehpad_services``
    (unreached within the horizon included) and their share; its LISP establishments and those beyond ``lisp_min``
    of a USP. Places off the network are unknown (``*_unknown``), counted in neither the part nor the whole."""
    rows = []
    for code in codes:
        row = {"departement": code, "ehpad_threshold_min": ehpad_min, "lisp_threshold_min": lisp_min}
        own = ehpad[ehpad["departement"] == code]
        row.update(_beyond(own, "ehpad", ehpad_services, ehpad_min))
        row.update(_beyond(lisp[lisp["departement"] == code], "lisp", ["USP"], lisp_min))
        rows.append(row)
    return pd.DataFrame(rows)


def _beyond(places: pd.DataFrame, kind: str, services: list[str], minutes: float) -> dict:
    """The count of ``places``, and per service those known beyond ``minutes``, their share, and those unknown."""
    known = places["on_network"].astype(bool) if "on_network" in places else pd.Series(False, index=places.index)
    counts = {kind: len(places), f"{kind}_unknown": int((~known).sum())}
    for service in [s for s in services if f"{s.lower()}_minutes" in places]:  # a service the run does not route
        s = service.lower()
        beyond = int((known & ~(places[f"{s}_minutes"] <= minutes)).sum())
        counts[f"{kind}_beyond_{s}"] = beyond
        counts[f"share_{kind}_beyond_{s}"] = beyond / known.sum() if known.sum() else np.nan
    return counts
