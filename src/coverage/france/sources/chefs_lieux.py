"""Where official road times start: the chef-lieu of each commune (its town hall's village or town), as a point.

INSEE's Metric distancier, and with it the DREES/DGOS access diagnoses, measure a commune's road time from its
chef-lieu, not from a point of its polygon (Bonifacio's polygon centre lies 5.8 km from its town). The file
(``code``, ``lon``, ``lat``, WGS84) may list communes under codes merged since: each point is filed under the
commune's current code when that code is its own, so that a commune nouvelle starts where its kept code's
chef-lieu is; the points of communes absorbed under another code are not used.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..._csvio import read_delimited
from ..contracts import COMMUNE_PATTERN, Column, Contract, in_range, numbers, pattern
from ..geography import current_code_map
from .rejects import warnings_frame

CONTRACT = Contract(
    "chef-lieu points",
    (
        Column("code", (pattern("commune-format", COMMUNE_PATTERN, "an INSEE commune code"),)),
        Column("lon", (in_range("longitude", -180, 180, "a WGS84 longitude"),)),
        Column("lat", (in_range("latitude", -90, 90, "a WGS84 latitude"),)),
    ),
    unique=("code",),
)


def load_chefs_lieux(path: str | Path, communes: pd.DataFrame) -> pd.DataFrame:
    """The chef-lieu point of each current commune the file gives: ``code`` (current), ``lon``, ``lat``.

    ``communes`` (``code``, ``former_codes``) gives today's codes. A file code that is today's code of a commune
    keeps its point; a former code whose commune now goes by another code gives none (that commune's chef-lieu is
    its kept code's). Codes unknown today are ignored: the file may cover more than the run's communes.
    """
    path = Path(path)
    frame = CONTRACT.apply(read_delimited(path, sep=","), path)
    current = frame["code"].map(current_code_map(communes))
    points = pd.DataFrame({"code": frame["code"], "lon": numbers(frame["lon"]), "lat": numbers(frame["lat"])})
    return points[(current == frame["code"]) & points["lon"].notna() & points["lat"].notna()].reset_index(drop=True)


def missing_chefs_lieux(communes: pd.DataFrame, path: str | Path, examples: int = 5) -> pd.DataFrame:
    """A warning per département whose communes (``code``, ``departement``, ``chef_lieu_lon``) the chef-lieu file
    ``path`` leaves without a point: their trips start elsewhere (access.origin ``chef_lieu`` falls back to the road
    nearest the commune's point), by minutes that may differ from the official ones."""
    missing = communes[communes["chef_lieu_lon"].isna()].sort_values("code")
    rows = [
        (None, departement, (
            f"{len(group)} {'commune' if len(group) == 1 else 'communes'} of département {departement} "
            f"{'has' if len(group) == 1 else 'have'} no chef-lieu point in this file (e.g. "
            f"{', '.join(group['code'].head(examples))}) [rule chef-lieu-known]: with access.origin chef_lieu their "
            "trips start from the road nearest the commune's point instead (point_source nearest_road), and their "
            "rows do not cite this file"
        ))
        for departement, group in missing.groupby("departement", sort=True)
    ]  # fmt: skip
    return warnings_frame(path, rows)
