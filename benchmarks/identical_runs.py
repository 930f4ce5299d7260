"""Whether two runs give byte-identical tables: the check that a change of code left every number as it was.

Compares the SHA-256 of every table of two finished runs (CSV, parquet, GeoPackage, Markdown and network
arrays under ``data/processed/``, the reports' Markdown; ``coverage.pipeline.provenance.table_digests``).
Prints one JSON document; exits 1 when a table differs or is missing on one side.

Usage: python benchmarks/identical_runs.py <run before> <run after>
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coverage.pipeline.provenance import table_digests


def compared(before: Path, after: Path) -> dict:
    """Tables of both runs, those that differ and those only one run has."""
    first, second = table_digests(before), table_digests(after)
    return {
        "tables": len(first.keys() | second.keys()),
        "identical": sum(first[name] == second.get(name) for name in first),
        "differ": sorted(name for name in first.keys() & second.keys() if first[name] != second[name]),
        "only_before": sorted(first.keys() - second.keys()),
        "only_after": sorted(second.keys() - first.keys()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    arguments = parser.parse_args()
    result = compared(arguments.before, arguments.after)
    print(json.dumps(result, indent=2))
    return 0 if result["identical"] == result["tables"] else 1


if __name__ == "__main__":
    sys.exit(main())
