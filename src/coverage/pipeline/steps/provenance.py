"""The step of workflow/rules/provenance.smk: the run's manifest."""

from __future__ import annotations

from pathlib import Path

from ...france.sources.sae import find_edition
from ...tables import read_csv
from ..provenance import build_manifest, write_manifest


def manifest(
    *, sae: list[Path], finess: Path, facilities: Path, outputs: list[Path], labelled: dict[str, str], config: dict,
    manifest: Path,
) -> None:  # fmt: skip
    """``manifest.json``: inputs with size, SHA-256 and edition, outputs with their SHA-256, config, versions.

    ``labelled`` maps the other inputs (population, boundaries, networks, planners' lists) to their
    edition labels; the SAE and FINESS editions are read from the data.
    """
    facilities_table = read_csv(facilities)
    finess_labels = sorted(e for e in facilities_table["edition"].unique() if e.startswith("FINESS"))
    inputs = {
        **{str(folder): find_edition(folder).label for folder in sae},
        str(finess): finess_labels[0] if finess_labels else "FINESS",
        **labelled,
    }
    write_manifest(build_manifest(inputs, outputs, config), manifest)
