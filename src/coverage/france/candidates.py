"""Where a new site of a service may open: FINESS establishments by category, by service offered, MSP."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class CandidateRule:
    """Where a new site of a service may open.

    Candidates are the establishments of FINESS ``categories``, those already offering one of
    ``services`` (an establishment with identified palliative beds has inpatient beds), and the MSP
    when ``msp`` (a mobile team's "antenne avancée"), located, in the area, not offering the service yet.
    A FINESS category also holds sites no team is based at (an SMUR antenna is an ambulance post, a day
    hospital or an outpatient centre has no ward): an establishment whose name holds one of
    ``excluded_names`` (whole words, case and accents aside) is never a candidate.
    """

    categories: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    msp: bool = False
    excluded_names: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, entry: dict) -> CandidateRule:
        """Build from one entry of the config's ``siting.candidates``."""
        return cls(
            tuple(entry.get("categories", ())), tuple(entry.get("services", ())), bool(entry.get("msp", False)),
            tuple(entry.get("excluded_names", ())),
        )  # fmt: skip

    def excludes(self, names: pd.Series) -> pd.Series:
        """Whether each name holds one of ``excluded_names`` as whole words."""
        if not self.excluded_names:
            return pd.Series(False, index=names.index)
        words = "|".join(re.escape(_plain(name)) for name in self.excluded_names)
        return names.fillna("").map(_plain).str.contains(rf"(?:^| )(?:{words})(?: |$)", regex=True)

    def describe(self) -> str:
        """The rule in French, for the report's method."""
        parts = [f"établissements FINESS des catégories {', '.join(self.categories)}"] if self.categories else []
        parts += [f"établissements offrant déjà {' ou '.join(self.services)}"] if self.services else []
        parts += ["maisons de santé pluriprofessionnelles (MSP)"] if self.msp else []
        text = ", ".join(parts[:-1]) + (" ou " if len(parts) > 1 else "") + parts[-1] if parts else "aucun"
        if self.excluded_names:
            text += f", sauf les sites dont le nom contient {', '.join(self.excluded_names)}"
        return text


def _plain(name: str) -> str:
    """A name in capitals without accents, its words separated by single spaces."""
    letters = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    return " ".join(re.findall(r"[A-Z0-9]+", letters))


def candidate_sites(
    finess: pd.DataFrame, facilities: pd.DataFrame, service: str, rule: CandidateRule, departements: list[str]
) -> pd.DataFrame:
    """The establishments where a new site of ``service`` may open under ``rule``, in ``departements``."""
    columns = ["finess", "name", "departement", "lon", "lat"]
    offering = set(facilities.loc[facilities["service"] == service, "finess"])
    by_category = finess.loc[finess["category"].isin(rule.categories), columns]
    by_service = facilities.loc[facilities["service"].isin(rule.services), columns]
    msp = facilities.loc[facilities["service"] == "MSP", columns] if rule.msp else by_service.iloc[:0]
    candidates = pd.concat([by_category, by_service, msp], ignore_index=True).drop_duplicates("finess")
    keep = (
        candidates["departement"].isin(departements) & ~candidates["finess"].isin(offering) & candidates["lon"].notna()
        & ~rule.excludes(candidates["name"])
    )  # fmt: skip
    return candidates[keep].sort_values("finess", ignore_index=True)
