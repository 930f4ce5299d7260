"""Threads, memory and run time each job asks a cluster for, scaled with the size of its road network."""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..france.sources.fetch import sha256_of
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

    def resources(
        self, nodes: int, safety: float, attempt: int = 1, overhead: JobCost | None = None
    ) -> dict[str, int]:
        """``mem_mb`` and ``runtime`` (minutes, at least 1) for a network of ``nodes``; retries ask for more.

        The measured cost is multiplied by ``safety``; ``overhead`` (the Snakemake process a cluster job runs the
        step in: it reads the workflow before the step starts, and stays alongside) is added; the whole is
        multiplied by the attempt number, so that a job killed for lack of memory or time is resubmitted with
        twice, then three times, as much.
        """
        knodes = nodes / 1000
        extra = overhead or JobCost(0, 0)
        memory = ((self.mb + self.mb_per_knode * knodes) * safety + extra.mb) * attempt
        seconds = ((self.s + self.s_per_knode * knodes) * safety + extra.s) * attempt
        return {"mem_mb": math.ceil(memory), "runtime": max(1, math.ceil(seconds / 60))}


@dataclass(frozen=True)
class SplitCost:
    """Measured cost of cutting an extract into pieces with osmium-tool (one process, one or more passes).

    osmium keeps the ids of each piece's nodes and ways while it reads: memory grows with the pieces of a pass
    and with the size of the extract; time with the passes (each reads the whole extract, twice: osmium's
    ``complete_ways``) and with the pieces written (each is the extract within its area).

    Parameters
    ----------
    mb
        Peak memory of a pass apart from its pieces (MB).
    mb_per_piece, mb_per_piece_gb
        Memory each piece of a pass adds: a fixed part, and a part per GB of extract (MB).
    s_per_pass_gb, s_per_piece_gb
        Time each pass and each piece take, per GB of extract (seconds).
    """

    mb: float
    mb_per_piece: float
    mb_per_piece_gb: float
    s_per_pass_gb: float
    s_per_piece_gb: float

    def piece_mb(self, source_gb: float) -> float:
        """Memory one piece adds to a pass, for an extract of ``source_gb``."""
        return self.mb_per_piece + self.mb_per_piece_gb * source_gb

    def pieces_per_pass(self, pieces: int, source_gb: float, memory_mb: float, safety: float) -> int:
        """The most pieces a pass may cut within ``memory_mb`` (at least one, at most all)."""
        fitting = math.floor((memory_mb / safety - self.mb) / self.piece_mb(source_gb))
        return max(1, min(pieces, fitting))

    def resources(
        self, pieces: int, source_gb: float, memory_mb: float, safety: float, attempt: int = 1
    ) -> dict[str, int]:
        """``mem_mb`` (one pass of as many pieces as fit, at most ``memory_mb``; retries ask for more) and
        ``runtime`` (minutes) of the split."""
        per_pass = self.pieces_per_pass(pieces, source_gb, memory_mb, safety)
        memory = min(memory_mb, (self.mb + per_pass * self.piece_mb(source_gb)) * safety) * attempt
        passes = math.ceil(pieces / per_pass)
        seconds = (self.s_per_pass_gb * passes + self.s_per_piece_gb * pieces) * source_gb * safety * attempt
        return {"mem_mb": math.ceil(memory), "runtime": max(1, math.ceil(seconds / 60))}


def remembered_sizes(
    folder: Path, measure: Callable[[], dict[str, Size]], files: Iterable[str | Path], settings: object
) -> dict[str, Size]:
    """The département sizes ``measure`` gives, kept in ``folder`` under a key made of the ``files``' contents and the
    ``settings`` (JSON-serialisable): a Snakemake start that plans the same run reads them back in milliseconds.

    Buffering the départements and summing their people takes about a second, paid at every Snakemake start: a
    planner's run, and each cluster job, whose submission starts Snakemake twice. A changed file or setting gives
    another key, hence sizes measured again. The file is written whole then renamed, so that jobs starting side by
    side never read half of it; a folder that cannot be written only loses the saving.
    """
    key = json.dumps([settings, [sha256_of(Path(path)) for path in files]], sort_keys=True)
    kept = Path(folder) / f"sizes-{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"
    if kept.exists():
        return {code: Size(**size) for code, size in json.loads(kept.read_text(encoding="utf-8")).items()}
    sizes = measure()
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps({code: asdict(size) for code, size in sizes.items()}), encoding="utf-8")
        partial.replace(kept)
    except OSError:
        pass
    return sizes
