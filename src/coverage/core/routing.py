"""Travel time from every node to its nearest site: one multi-source Dijkstra pass (scipy.sparse.csgraph)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

DIRECTIONS = ("to_site", "from_site")


@dataclass(frozen=True)
class Nearest:
    """For every node: ``seconds`` to (or from) the nearest site, ``site`` its index (-1: unreachable), and
    ``previous``, the node next to it on its shortest path from or to that site (-1: a site's own node, or
    unreachable); its road runs ``node -> previous`` for trips to a site, ``previous -> node`` from one.
    ``backup`` (when asked for) holds the seconds to (or from) the nearest site other than ``site``: the time left
    to a node if its nearest site closed (``inf``: no other site reaches it)."""

    seconds: np.ndarray
    site: np.ndarray
    previous: np.ndarray | None = None
    backup: np.ndarray | None = None


def travel_matrix(source: np.ndarray, target: np.ndarray, weight: np.ndarray, n_nodes: int) -> sp.csr_matrix:
    """Sparse (n, n) matrix of edge weights; parallel edges keep their smallest weight.

    A CSR built from duplicate (row, column) pairs sums them: when the built matrix has fewer entries
    than there are edges, it is rebuilt from the fastest edge of each pair.
    """
    matrix = sp.csr_matrix((weight, (source, target)), shape=(n_nodes, n_nodes))
    if matrix.nnz == len(source):
        return matrix
    order = np.lexsort((weight, target, source))
    source, target, weight = source[order], target[order], weight[order]
    first = np.ones(len(source), dtype=bool)
    first[1:] = (source[1:] != source[:-1]) | (target[1:] != target[:-1])
    matrix = sp.csr_matrix((weight[first], (source[first], target[first])), shape=(n_nodes, n_nodes))
    matrix.sort_indices()
    return matrix


def _with_virtual_sources(matrix: sp.csr_matrix, site_nodes: np.ndarray, offsets: np.ndarray) -> sp.csr_matrix:
    """Append one node per site, linked to its network node by an edge weighing its off-road time.

    The virtual rows come last with one entry each, so the arrays are extended rather than rebuilt.
    """
    n, k = matrix.shape[0], len(site_nodes)
    indptr = np.concatenate([matrix.indptr, matrix.nnz + np.arange(1, k + 1)])
    indices = np.concatenate([matrix.indices, site_nodes.astype(matrix.indices.dtype)])
    data = np.concatenate([matrix.data, offsets.astype(float)])
    return sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))


def nearest_sites(
    forward: sp.csr_matrix, backward: sp.csr_matrix, site_nodes: np.ndarray, offsets: np.ndarray, direction: str,
    *, backup: bool = False,
) -> Nearest:  # fmt: skip
    """Time between every node and its nearest site, and which site that is.

    Parameters
    ----------
    forward, backward
        The travel-time matrix and its transpose (:func:`travel_matrix`, ``.T.tocsr()``).
    site_nodes
        Network node index of each site.
    offsets
        Seconds to add between each site and its node (off-road access), same length.
    direction
        ``from_site``: the site travels to the node (HAD, EMSP teams), searched on ``forward``;
        ``to_site``: the patient travels from the node to the site, searched on ``backward``.
    backup
        Also the time to the nearest other site (:attr:`Nearest.backup`, :func:`backup_seconds`).

    Notes
    -----
    On an exact tie between sites, the site reported is one of the tied sites (and the backup is as near).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    n = forward.shape[0]
    if len(site_nodes) == 0:
        unreached = np.full(n, np.inf)
        return Nearest(unreached, np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64),
                       unreached.copy() if backup else None)  # fmt: skip
    graph = _with_virtual_sources(forward if direction == "from_site" else backward, site_nodes, offsets)
    seconds, predecessors, sources = dijkstra(
        graph, directed=True, indices=np.arange(n, n + len(site_nodes)), min_only=True, return_predecessors=True
    )
    site = np.where(sources[:n] >= n, sources[:n] - n, -1).astype(np.int64)
    previous = np.where((predecessors[:n] >= 0) & (predecessors[:n] < n), predecessors[:n], -1).astype(np.int64)
    second = backup_seconds(graph, seconds, sources)[:n] if backup else None
    return Nearest(seconds=seconds[:n], site=site, previous=previous, backup=second)


def backup_seconds(graph: sp.csr_matrix, seconds: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Seconds between every node and its nearest source other than its own (``owner``), from one more search.

    Each source's cell (the nodes it is nearest to) is left unchanged by closing another source, so only the
    cell of a node's own source needs searching again: the shortest path from another source enters that cell
    once, last, through an edge ``u -> v`` from a node of another cell, whose time ``seconds[u]`` is final. The
    search runs on the edges inside the cells, from one extra node linked to each entry node ``v`` by the
    fastest such ``seconds[u] + w``: one Dijkstra for every cell at once, exact.

    Parameters
    ----------
    graph
        The searched graph, sources included (each source a node of its own, its own owner).
    seconds, owner
        A multi-source search on ``graph`` (scipy's ``dijkstra(..., min_only=True)``): time to the nearest source
        and that source's node (``-9999`` where unreachable).

    Returns
    -------
    numpy.ndarray
        Seconds per node of ``graph`` (``inf`` where no other source reaches).
    """
    m = graph.shape[0]
    edges = graph.tocoo()
    u, v, w = edges.row, edges.col, edges.data
    reached = owner[u] >= 0
    inside, entering = reached & (owner[u] == owner[v]), reached & (owner[u] != owner[v])
    entry = np.full(m, np.inf)
    np.minimum.at(entry, v[entering], seconds[u[entering]] + w[entering])
    entries = np.flatnonzero(np.isfinite(entry))
    cells = sp.csr_matrix(
        (np.concatenate([w[inside], entry[entries]]),
         (np.concatenate([u[inside], np.full(len(entries), m)]), np.concatenate([v[inside], entries]))),
        shape=(m + 1, m + 1),
    )  # fmt: skip
    return dijkstra(cells, directed=True, indices=m)[:m]


def bounded_times(
    forward: sp.csr_matrix, backward: sp.csr_matrix, site_nodes: np.ndarray, targets: np.ndarray, limit_s: float,
    direction: str, chunk: int = 64,
) -> np.ndarray:  # fmt: skip
    """Seconds between each site node and each target node, searched no further than ``limit_s``.

    One bounded Dijkstra per site (``limit`` stops it at ``limit_s``), in chunks of sites so that
    memory stays at ``chunk`` rows of the network; beyond the limit the time is ``inf``.

    Returns
    -------
    numpy.ndarray
        Shape (len(site_nodes), len(targets)).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    graph = forward if direction == "from_site" else backward
    result = np.full((len(site_nodes), len(targets)), np.inf)
    for start in range(0, len(site_nodes), chunk):
        rows = dijkstra(graph, directed=True, indices=site_nodes[start : start + chunk], limit=limit_s)
        result[start : start + chunk] = np.atleast_2d(rows)[:, targets]
    return result


def within_time(forward: sp.csr_matrix, backward: sp.csr_matrix, sources: np.ndarray, limit_s: float) -> np.ndarray:
    """Which nodes can be reached from ``sources``, or can reach them, within ``limit_s`` (two bounded searches)."""
    if len(sources) == 0:
        return np.zeros(forward.shape[0], dtype=bool)
    reached = [dijkstra(m, directed=True, indices=sources, min_only=True, limit=limit_s) for m in (forward, backward)]
    return (reached[0] <= limit_s) | (reached[1] <= limit_s)
