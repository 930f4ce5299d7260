"""The emergency sites official road times go to: SAE emergency departments and SMUR, placed by FINESS.

The DREES/DGOS emergency-access diagnosis measures each commune's road time to the nearest general emergency
department (SAE ``URGENCES2``, ``URG`` = ``GEN``; paediatric departments, ``PED``, are not counted) or SMUR
(SAE ``SMURSAMU``, ``SMUR`` = 1, antennas ``ANT`` = 1 included). A site is an establishment with either; its
point is its FINESS coordinates. A site absent from the FINESS edition (or without coordinates there) cannot
be placed: it is listed in the rejects, never dropped silently.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ...errors import InputError, Problem
from ..contracts import Column, Contract, flag, one_of
from .rejects import rejects_frame, rows_of
from .sae import read_sae_file, sae_finess_column

TABLE_PATTERN = re.compile(r"^(URGENCES2|SMURSAMU)_(\d{4})([ra])\.csv$", re.IGNORECASE)
SITE_COLUMNS = ["finess", "name", "kind", "lon", "lat"]
URGENCES_CONTRACT = Contract(
    "SAE emergency departments",
    (sae_finess_column(), Column("URG", (one_of(["GEN", "PED"], "the kind of emergency department"),))),
)
SMUR_CONTRACT = Contract("SAE SMUR and SAMU", (sae_finess_column(), Column("SMUR", (flag(),))), unique=("FI",))


def find_emergency_tables(folder: str | Path) -> dict[str, Path]:
    """The ``URGENCES2`` and ``SMURSAMU`` tables of one SAE edition in ``folder``, by kind.

    Raises
    ------
    InputError
        When the folder lacks one of them, or holds two of a kind.
    """
    folder = Path(folder)
    found: dict[str, list[Path]] = {"URGENCES2": [], "SMURSAMU": []}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = TABLE_PATTERN.match(path.name)
        if match:
            found[match.group(1).upper()].append(path)
    problems = [Problem(f"one file {kind}_<year>r.csv", value=[p.name for p in paths] or None, rule="present")
                for kind, paths in found.items() if len(paths) != 1]  # fmt: skip
    if problems:
        raise InputError(folder, problems)
    return {kind: paths[0] for kind, paths in found.items()}


def emergency_sites(urgences: Path, smur: Path, finess: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The emergency sites of an SAE edition, placed at their FINESS coordinates.

    Parameters
    ----------
    urgences, smur
        The SAE ``URGENCES2`` and ``SMURSAMU`` tables (``;``-separated, columns read by name).
    finess
        The FINESS register (:func:`coverage.france.sources.finess.load_finess`).

    Returns
    -------
    sites
        ``finess``, ``name`` (FINESS), ``kind`` (``SU``: a general emergency department; ``SMUR``; ``SMUR+SU``),
        ``lon``, ``lat``, sorted by FINESS number.
    rejects
        The table rows of the sites that cannot be placed (absent from FINESS, or without coordinates there).
    """
    departments = URGENCES_CONTRACT.apply(read_sae_file(urgences), urgences)
    teams = SMUR_CONTRACT.apply(read_sae_file(smur), smur)
    general = departments[departments["URG"] == "GEN"].rename(columns={"FI": "finess"})
    mobile = teams[teams["SMUR"] == "1"].rename(columns={"FI": "finess"})
    has_su, has_smur = set(general["finess"]), set(mobile["finess"])
    codes = sorted(has_su | has_smur)
    kind = ["SMUR+SU" if code in has_su and code in has_smur else ("SU" if code in has_su else "SMUR") for code in codes]
    register = finess.set_index("finess")
    sites = pd.DataFrame({"finess": codes, "kind": kind})
    sites = sites.assign(name=sites["finess"].map(register["name"]), lon=sites["finess"].map(register["lon"]),
                         lat=sites["finess"].map(register["lat"]))  # fmt: skip
    placed = sites["lon"].notna() & sites["lat"].notna()
    unplaced = set(sites.loc[~placed, "finess"])
    reason = "emergency site absent from the FINESS edition or without coordinates there: not placed"
    rejects = [rejects_frame(path, rows_of(table, table["finess"].isin(unplaced), reason))
               for path, table in ((urgences, general), (smur, mobile))]  # fmt: skip
    return sites.loc[placed, SITE_COLUMNS].reset_index(drop=True), pd.concat(rejects, ignore_index=True)
