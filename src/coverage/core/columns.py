"""The names of the caller's columns, which the engine reads its tables by and names its results' columns after."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Columns:
    """The caller's column names: the engine assumes none (as pysal/access, whose caller names every column).

    Parameters
    ----------
    commune
        The id of a commune (any zone where people live) in the communes table, and in the results.
    site
        The id of a site in the facilities table, and in the results.
    area
        The area a commune or site lies in, in both tables: coverage is counted by area, and an area's own sites are
        kept even off the network.
    population
        A commune's inhabitants.
    name
        A commune's name, carried into the results; None: none.
    """

    commune: str
    site: str
    area: str
    population: str
    name: str | None = None
