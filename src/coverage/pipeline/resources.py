"""Threads, memory and run time each job asks a cluster for, scaled with the size of its road network."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..france.territories import Size


@dataclass(frozen=True)
class NodeModel:
    """Expected node count of a département's network: ``per_km2`` x area (with buffer) + ``per_inhabitant`` x population."""

    per_km2: float
    per_inhabitant: float

    def nodes(self, size: Size) -> int:
        """Estimated nodes of the network of a département of this size."""
        return math.ceil(self.per_km2 * size.area_km2 + self.per_inhabitant * size.population)


@dataclass(frozen=True)
class JobCost:
    """Measured cost of one kind of job: a fixed part (imports, tables) plus a part per 1000 network nodes.

    Parameters
    ----------
    mb, s
        Peak resident memory (MB) and wall time (seconds) of the fixed part.
    mb_per_knode, s_per_knode
        Memory and time added by each 1000 nodes of the network.
    threads
        Threads the job uses (the shortest-path and geometry kernels run on one).
    """

    mb: float
    s: float
    mb_per_knode: float = 0.0
    s_per_knode: float = 0.0
    threads: int = 1

    @classmethod
    def from_config(cls, entry: dict) -> JobCost:
        """Build from one entry of the config's ``resources.jobs``."""
        return cls(**entry)

    def resources(self, nodes: int, safety: float, attempt: int = 1) -> dict[str, int]:
        """``mem_mb`` and ``runtime`` (minutes, at least 1) for a network of ``nodes``; retries ask for more.

        The measured cost is multiplied by ``safety`` and by the attempt number, so that a job
        killed for lack of memory or time is resubmitted with twice, then three times, as much.
        """
        knodes = nodes / 1000
        factor = safety * attempt
        memory = (self.mb + self.mb_per_knode * knodes) * factor
        seconds = (self.s + self.s_per_knode * knodes) * factor
        return {"mem_mb": math.ceil(memory), "runtime": max(1, math.ceil(seconds / 60))}
