"""The speed model: how long a car takes on each road segment, from its class, its ``maxspeed`` tag, its bends, the
junctions around it and those it enters; and the bounds a fit of the model keeps its parameters within."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .network import RoadNetwork

FIT_BOUNDS = {  # parameter -> (lower, upper) bounds of a fit (coverage.core.calibration)
    "bend_coefficient": (0.0, 10.0),
    "built_up_kph": (5.0, 130.0),
    "junction_delay_s": (0.0, 120.0),
}
CLASS_BOUNDS_KPH = (5.0, 150.0)
"""Lowest and highest speed a fit gives a road class (a class's floor raises the lowest, its legal limit lowers the
highest: :func:`legal_limit`)."""


def legal_limit(limits: dict[str, float] | None, road: str) -> float:
    """The highest speed a fit may give a road class: its legal limit in ``limits`` (``default`` for the classes it
    does not name); without limits, the upper end of :data:`CLASS_BOUNDS_KPH`."""
    if limits is None:
        return CLASS_BOUNDS_KPH[1]
    return float(limits.get(road, limits["default"]))


@dataclass(frozen=True)
class SpeedModel:
    """How long it takes to drive each road segment.

    Speed starts from the class of the road, is capped by (or replaced with) its ``maxspeed`` tag,
    reduced for bends and in built-up areas; a delay is added at each junction entered::

        v = class_kph[highway]                       (``default`` for other classes)
        v = min(v, maxspeed)  or  maxspeed when tagged (``maxspeed`` = ``cap`` or ``target``)
        v = v / (1 + bend_coefficient * (min(sinuosity, max_sinuosity) - 1))   but on free-flow classes
        v = min(v, built_up_kph)                     where the segment starts in a built-up area, but on
                                                     free-flow classes
        t = length / v + junction_delay_s            when the segment ends at a junction, but on priority
                                                     classes

    sinuosity = length along the road / straight-line chord between the junctions it runs between
    (:func:`stretch_sinuosity`: whatever shape points the network keeps as nodes); a built-up area is a
    node with at least ``built_up_min_junctions`` junctions within 300 m; a junction is a node joining
    three roads or more.

    Parameters
    ----------
    name
        The model's name, cited in reports (``calibrated``, ``legal_limits``).
    class_kph
        Speed per OSM ``highway`` class; key ``default`` for any other class.
    maxspeed
        ``cap``: a tag is an upper bound (a limit is not a driving speed); ``target``: a tag is the speed.
    bend_coefficient, max_sinuosity
        Speed reduction per unit of sinuosity above 1 (0: none), and the sinuosity beyond which
        it stops growing (loops have a chord near zero).
    built_up_kph, built_up_min_junctions
        Highest speed in built-up areas (``None``: no such cap) and the count of junctions within 300 m
        that makes one.
    junction_delay_s
        Seconds lost at each junction entered.
    priority_classes
        Classes whose drivers lose no time at the junctions they pass: main roads have the right of way over the
        side roads joining them (a route nationale through Corsica meets a side road every 400 m).
    free_flow_classes
        Classes driven at their speed whatever their bends and the junctions around them: grade-separated roads
        (motorways, expressways) are built for their speed (large curve radii, no crossing traffic), and a
        divided road's stretch between interchanges is no measure of its bends (its two carriageways may meet
        at a shape point: a U whose chord is near zero).
    source
        Where the parameters come from, cited in reports.
    """

    name: str
    class_kph: dict[str, float]
    maxspeed: str = "cap"
    bend_coefficient: float = 0.0
    max_sinuosity: float = 3.0
    built_up_kph: float | None = None
    built_up_min_junctions: int = 8
    junction_delay_s: float = 0.0
    priority_classes: tuple[str, ...] = ()
    free_flow_classes: tuple[str, ...] = ()
    source: str = ""

    @classmethod
    def from_config(cls, name: str, settings: dict) -> SpeedModel:
        """Build the model called ``name`` from its section of the config's ``speeds.models``."""
        listed = {key: tuple(settings.get(key, ())) for key in ("priority_classes", "free_flow_classes")}
        return cls(name=name, **{**settings, **listed})

    def edge_speed_kph(self, network: RoadNetwork) -> np.ndarray:
        """Speed on every edge (km/h), before the junction delay."""
        return self.speed_kph(EdgeFeatures.of(network))

    def edge_seconds(self, network: RoadNetwork) -> np.ndarray:
        """Seconds to drive every edge of a network."""
        return self.seconds(EdgeFeatures.of(network))

    def speed_kph(self, edges: EdgeFeatures) -> np.ndarray:
        """Speed on some edges (km/h), before the junction delay, from their features."""
        default = self.class_kph["default"]
        speed = np.array([self.class_kph.get(h, default) for h in edges.classes.tolist()], dtype=float)[edges.kind]
        tagged = np.isfinite(edges.maxspeed_kph)
        if self.maxspeed == "target":
            speed = np.where(tagged, edges.maxspeed_kph, speed)
        else:
            speed = np.where(tagged, np.minimum(speed, edges.maxspeed_kph), speed)
        slowed = ~np.isin(edges.classes, self.free_flow_classes)[edges.kind]
        bends = np.clip(edges.sinuosity, 1.0, self.max_sinuosity) - 1.0
        speed = np.where(slowed, speed / (1.0 + self.bend_coefficient * bends), speed)
        if self.built_up_kph is not None:
            built_up = slowed & (edges.nearby_junctions >= self.built_up_min_junctions)
            speed = np.where(built_up, np.minimum(speed, self.built_up_kph), speed)
        return speed

    def seconds(self, edges: EdgeFeatures) -> np.ndarray:
        """Seconds to drive some edges, from their features."""
        delayed = edges.enters_junction & ~np.isin(edges.classes, self.priority_classes)[edges.kind]
        return edges.length_m / (self.speed_kph(edges) / 3.6) + self.junction_delay_s * delayed

    def as_config(self) -> dict:
        """The model's parameters as its section of ``speeds.models`` (floats rounded for reading)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "name"}
        fields["class_kph"] = {k: round(float(v), 2) for k, v in sorted(self.class_kph.items())}
        for name in ("bend_coefficient", "max_sinuosity", "junction_delay_s"):
            fields[name] = round(float(fields[name]), 3)
        if fields["built_up_kph"] is not None:
            fields["built_up_kph"] = round(float(fields["built_up_kph"]), 2)
        fields["priority_classes"] = list(self.priority_classes)
        fields["free_flow_classes"] = list(self.free_flow_classes)
        return fields


def speed_models(settings: dict) -> tuple[SpeedModel, SpeedModel | None]:
    """The run's speed model and its alternative (None when ``alternative`` is null), from the config's ``speeds``
    section."""
    models, alternative = settings["models"], settings["alternative"]
    return (SpeedModel.from_config(settings["model"], models[settings["model"]]),
            None if alternative is None else SpeedModel.from_config(alternative, models[alternative]))  # fmt: skip


@dataclass(frozen=True)
class EdgeFeatures:
    """What a speed model reads of some edges, gathered once so that many models can be evaluated on them.

    ``classes`` holds the distinct ``highway`` classes and ``kind`` each edge's position among them;
    ``nearby_junctions`` is counted at the edge's start (built-up areas), ``enters_junction`` tells an edge that
    ends at a junction.
    """

    classes: np.ndarray
    kind: np.ndarray
    length_m: np.ndarray
    maxspeed_kph: np.ndarray
    sinuosity: np.ndarray
    nearby_junctions: np.ndarray
    enters_junction: np.ndarray

    @classmethod
    def of(cls, network: RoadNetwork, edges: np.ndarray | None = None) -> EdgeFeatures:
        """The features of a network's edges (``edges``: some of them, by index)."""
        pick = slice(None) if edges is None else edges
        classes, kind = np.unique(network.highway[pick], return_inverse=True)
        return cls(
            classes=classes, kind=kind, length_m=network.length_m[pick], maxspeed_kph=network.maxspeed_kph[pick],
            sinuosity=network.sinuosity[pick], nearby_junctions=network.nearby_junctions[network.source[pick]],
            enters_junction=network.neighbours[network.target[pick]] >= 3,
        )  # fmt: skip

    def subset(self, edges: np.ndarray) -> EdgeFeatures:
        """The features of some of these edges (by position)."""
        return replace(self, kind=self.kind[edges], length_m=self.length_m[edges],
                       maxspeed_kph=self.maxspeed_kph[edges], sinuosity=self.sinuosity[edges],
                       nearby_junctions=self.nearby_junctions[edges], enters_junction=self.enters_junction[edges])
