"""The OpenStreetMap tag rules of a car: which ways are driven and in which direction, what a ``maxspeed`` tag says,
which ``highway`` class a merged road belongs to. Every reader of OSM data (GraphML, Overpass, extracts) applies
them, as OSRM's car profile states them once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import osmium

EXCLUDED_CLASSES = frozenset({
    "abandoned", "bridleway", "bus_guideway", "busway", "construction", "corridor", "cycleway", "elevator",
    "escalator", "footway", "no", "path", "pedestrian", "planned", "platform", "proposed", "raceway", "razed",
    "rest_area", "service", "services", "steps", "track",
})  # fmt: skip  (osmnx's ``drive`` filter)
NO_MOTOR = frozenset({"no", "private"})
YES = frozenset({"yes", "true", "1"})
REVERSE = frozenset({"-1", "reverse"})
MAXSPEED_WORDS = {"FR:urban": 50.0, "FR:rural": 80.0, "FR:zone30": 30.0, "FR:motorway": 130.0, "FR:walk": 6.0}
MPH = 1.609344
CLASS_ORDER = ("motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link", "primary_link",
               "secondary_link", "tertiary_link", "unclassified", "residential", "living_street", "road")  # fmt: skip


def is_drivable(tags: osmium.osm.TagList) -> bool:
    """osmnx's ``drive`` filter: a highway class cars use, not an area, not closed to motor vehicles."""
    return (
        tags.get("highway", "no") not in EXCLUDED_CLASSES
        and tags.get("area") != "yes"
        and tags.get("access") != "private"
        and tags.get("motor_vehicle") not in NO_MOTOR
        and tags.get("motorcar") not in NO_MOTOR
    )


def way_direction(tags: osmium.osm.TagList) -> int:
    """1 when the way is driven only along its nodes, -1 only against them, 0 both ways.

    ``oneway=yes|true|1``, roundabouts and motorways (unless ``oneway=no``) are one way forward;
    ``oneway=-1|reverse`` backward; ``reversible``/``alternating`` ways count as two-way.
    """
    oneway = tags.get("oneway", "")
    if oneway in REVERSE:
        return -1
    if oneway in YES:
        return 1
    implied = tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway"
    return int(implied and oneway != "no")


def parse_maxspeed(value: object) -> float:
    """An OSM ``maxspeed`` as km/h: numbers, ``mph``, French words (``FR:urban``…); lists give their mean.

    NaN when there is no usable limit (``none``, ``signals``, empty).
    """
    if isinstance(value, (list, tuple)):
        speeds = [parse_maxspeed(v) for v in value]
        speeds = [s for s in speeds if np.isfinite(s)]
        return float(np.mean(speeds)) if speeds else np.nan
    if value is None:
        return np.nan
    text = str(value).strip()
    if text in MAXSPEED_WORDS:
        return MAXSPEED_WORDS[text]
    if ";" in text:
        return parse_maxspeed(text.split(";"))
    factor = MPH if text.endswith("mph") else 1.0
    try:
        speed = float(text.removesuffix("mph").removesuffix("km/h").strip()) * factor
    except ValueError:
        return np.nan
    return speed if speed > 0 else np.nan


def main_class(value: object) -> str:
    """One OSM ``highway`` class: of a list (an osmnx edge merged from several ways), the most important."""
    if not isinstance(value, (list, tuple)):
        return str(value).split(";")[0]
    rank = {h: i for i, h in enumerate(CLASS_ORDER)}
    return min((str(v) for v in value), key=lambda h: (rank.get(h, len(rank)), h))
