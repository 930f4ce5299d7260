"""The step of workflow/rules/editions.smk: the change between SAE editions (each edition's facilities and indicators
are built by the steps of :mod:`.facilities` and :mod:`.indicators`)."""

from __future__ import annotations

from pathlib import Path

from ...france.changes import compare_editions, edition_sources
from ...outputs.change_report import change_markdown
from ...outputs.report import write_text
from ...tables import read_csv, with_sources, write_csv


def changes(
    *, edition_indicators: list[Path], indicators: dict[str, str], shown: list[str], by_departement: Path,
    national: Path, markdown: Path,
) -> None:  # fmt: skip
    """The change of ``indicators`` between SAE editions, by département and nationally, from the editions'
    indicators tables (oldest first, the run's last); ``shown`` indicators are listed by département in
    the Markdown document."""
    tables = [read_csv(path) for path in edition_indicators]
    table, totals = compare_editions(tables, indicators)
    cited = edition_sources(tables)
    write_csv(with_sources(table, cited), by_departement)
    write_csv(with_sources(totals, cited), national)
    write_text(change_markdown(table, totals, shown, cited), markdown)
