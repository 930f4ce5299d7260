"""Drive paths kept between routings: the minutes of many speed models without routing again.

A trip's fastest path changes little between nearby speed models. Once a routing has found each trip's path to its
nearest site, the trip's time under any other model is the sum of its edges' times along that path, which the
model gives edge by edge (:meth:`coverage.core.speed_model.SpeedModel.seconds`): no search over the network. A
:class:`PathStore` keeps every path a routing found for each origin node, and gives each origin the fastest of its
kept paths under a model. That is never faster than the fastest path over the whole network, and equal to it as
long as the kept paths hold it: a fit alternates fits on the kept paths with routings that add the paths the new
model prefers, until a routing finds nothing faster (:mod:`coverage.core.calibration`).
"""

from __future__ import annotations

import copy

import numpy as np
import scipy.sparse as sp

from .network import RoadNetwork
from .speed_model import EdgeFeatures, SpeedModel
from .routing import Nearest, nearest_sites, travel_matrix


def path_steps(previous: np.ndarray, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each origin's path along ``previous`` (:class:`coverage.core.routing.Nearest`), walked for all origins at
    once: (origin position, node, next node) of every step, origin by origin, each in walking order."""
    owner, here, there = [], [], []
    position = np.arange(len(origins))
    current = np.asarray(origins, dtype=np.int64).copy()
    walking = np.flatnonzero((current >= 0) & (previous[np.maximum(current, 0)] >= 0))
    while walking.size:
        node = current[walking]
        step = previous[node]
        owner.append(position[walking])
        here.append(node)
        there.append(step)
        current[walking] = step
        walking = walking[previous[step] >= 0]
    if not owner:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    owner, here, there = np.concatenate(owner), np.concatenate(here), np.concatenate(there)
    grouped = np.argsort(owner, kind="stable")
    return owner[grouped], here[grouped], there[grouped]


class PathStore:
    """The paths routings found from origin nodes to the nearest of some sites on one network, in one direction.

    Parameters
    ----------
    network
        The network routed on.
    site_node, site_s
        Each site's node and the seconds between it and its node (off-road access).
    direction
        ``to_site`` (trips drive from the origin to the site) or ``from_site``.
    """

    def __init__(self, network: RoadNetwork, site_node: np.ndarray, site_s: np.ndarray, direction: str):
        self.network, self.site_node, self.site_s, self.direction = network, site_node, site_s, direction
        keys = network.source.astype(np.int64) * network.n_nodes + network.target
        self._edge_order = np.argsort(keys, kind="stable")
        self._edge_keys = keys[self._edge_order]
        self._node: list[np.ndarray] = []  # per routing: the origin node of each new path
        self._offset: list[np.ndarray] = []  # per routing: seconds between each new path's site and its node
        self._step_path: list[np.ndarray] = []  # per routing: the path (numbered over all routings) of each step
        self._step_key: list[np.ndarray] = []  # per routing: each step's node pair (from x nodes + to)
        self._seen: set[tuple[int, int]] = set()  # (origin node, hash of its steps): each path kept once
        self._paths = 0
        self._routed = np.zeros(network.n_nodes, dtype=bool)  # origins a routing has looked for, found or not
        self._built: dict | None = None
        self._features: EdgeFeatures | None = None
        self.routings = 0

    def copy(self) -> PathStore:
        """The same kept paths in a store of their own: adding to one leaves the other as it is."""
        twin = copy.copy(self)
        for name in ("_node", "_offset", "_step_path", "_step_key"):
            setattr(twin, name, list(getattr(self, name)))
        twin._seen, twin._routed = set(self._seen), self._routed.copy()
        return twin

    @property
    def features(self) -> EdgeFeatures:
        """What the speed model reads of every edge of the network (gathered once)."""
        if self._features is None:
            self._features = EdgeFeatures.of(self.network)
        return self._features

    def route(self, model: SpeedModel) -> Nearest:
        """Route every node to (or from) its nearest site under ``model``."""
        network = self.network
        forward = travel_matrix(network.source, network.target, model.seconds(self.features), network.n_nodes)
        self.routings += 1
        return nearest_sites(forward, forward.T.tocsr(), self.site_node, self.site_s, self.direction)

    def add(self, nearest: Nearest, origins: np.ndarray) -> int:
        """Keep the paths of a routing from ``origins`` (nodes; -1 for none) that are not kept yet; how many."""
        origins = np.unique(origins[origins >= 0])
        self._routed[origins] = True
        origins = origins[nearest.site[origins] >= 0]
        owner, here, there = path_steps(nearest.previous, origins)
        if self.direction == "from_site":
            here, there = there, here
        keys = here * self.network.n_nodes + there
        bounds = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=len(origins)))])
        fresh = []
        for i, node in enumerate(origins.tolist()):
            signature = (node, hash(keys[bounds[i] : bounds[i + 1]].tobytes()))
            if signature not in self._seen:
                self._seen.add(signature)
                fresh.append(i)
        if not fresh:
            return 0
        fresh = np.array(fresh)
        number = np.full(len(origins), -1)
        number[fresh] = self._paths + np.arange(len(fresh))
        kept = number[owner] >= 0
        self._node.append(origins[fresh])
        self._offset.append(self.site_s[nearest.site[origins[fresh]]])
        self._step_path.append(number[owner[kept]])
        self._step_key.append(keys[kept])
        self._paths += len(fresh)
        self._built = None
        return len(fresh)

    def routed(self, origins: np.ndarray) -> bool:
        """Whether a routing has looked for the paths of all these origin nodes (-1: none, left aside)."""
        return bool(self._routed[origins[origins >= 0]].all())

    def _structure(self) -> dict:
        """The kept paths as one matrix (a row per path, a column per node pair they use), the edges of each pair
        (grouped, ``first`` of each), and the paths grouped by origin node (``order``, ``known`` nodes, ``start``)."""
        if self._built is None:
            keys = np.concatenate(self._step_key)
            pairs, column = np.unique(keys, return_inverse=True)
            matrix = sp.csr_matrix((np.ones(len(keys)), (np.concatenate(self._step_path), column)),
                                   shape=(self._paths, len(pairs)))  # fmt: skip
            low = np.searchsorted(self._edge_keys, pairs, "left")
            count = np.searchsorted(self._edge_keys, pairs, "right") - low
            first = np.cumsum(count) - count
            edges = self._edge_order[np.repeat(low, count) + np.arange(count.sum()) - np.repeat(first, count)]
            nodes = np.concatenate(self._node)
            order = np.argsort(nodes, kind="stable")
            known, start = np.unique(nodes[order], return_index=True)
            self._built = {
                "matrix": matrix, "edges": edges, "features": self.features.subset(edges), "first": first,
                "pair_of_edge": np.repeat(np.arange(len(pairs)), count), "offset": np.concatenate(self._offset),
                "order": order, "known": known, "start": start,
            }  # fmt: skip
        return self._built

    def _path_seconds(self, model: SpeedModel) -> tuple[dict, np.ndarray, np.ndarray]:
        """The kept paths' structure, the seconds of each node pair's edges and of each path under ``model``."""
        built = self._structure()
        seconds = model.seconds(built["features"])
        pair_seconds = np.minimum.reduceat(seconds, built["first"]) if len(seconds) else np.zeros(0)
        return built, seconds, built["matrix"] @ pair_seconds + built["offset"]

    def _listed(self, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each origin's position among the origins with kept paths, and whether it has any."""
        known = self._structure()["known"]
        found = np.searchsorted(known, origins).clip(0, len(known) - 1)
        return found, (origins >= 0) & (known[found] == origins)

    def seconds(self, model: SpeedModel, origins: np.ndarray) -> np.ndarray:
        """Seconds from each origin node to (or from) its nearest site along its fastest kept path under ``model``;
        inf where none is kept (an origin off the network, or never routed)."""
        return self.seconds_of_each(model, [origins])[0]

    def seconds_of_each(self, model: SpeedModel, origins: list[np.ndarray]) -> list[np.ndarray]:
        """:meth:`seconds` of several arrays of origins, the model evaluated once."""
        if not self._paths:
            return [np.full(len(o), np.inf) for o in origins]
        built, _, path_seconds = self._path_seconds(model)
        fastest = np.minimum.reduceat(path_seconds[built["order"]], built["start"])
        return [np.where(listed, fastest[at], np.inf) for at, listed in map(self._listed, origins)]

    def driven(self, model: SpeedModel, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The edges the fastest kept paths of ``origins`` drive under ``model`` (of each node pair, its fastest
        edge), how many times each (every origin listed counts, duplicates included), and their seconds."""
        if not self._paths:
            return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
        built, seconds, path_seconds = self._path_seconds(model)
        order = built["order"]
        group = np.cumsum(np.isin(np.arange(len(order)), built["start"])) - 1
        best = order[np.lexsort((path_seconds[order], group))][built["start"]]
        found, listed = self._listed(origins)
        uses = np.bincount(best[found[listed]], minlength=self._paths) @ built["matrix"]
        fastest = np.lexsort((seconds, built["pair_of_edge"]))[built["first"]]
        driven = uses > 0
        return built["edges"][fastest][driven], uses[driven], seconds[fastest][driven]
