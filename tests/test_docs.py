"""The documentation: a short README, a site that builds with --strict, references that cover the whole schema and
the whole public API, config fragments that pass the config check, and examples that run as written."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import griffe
import pandas as pd
import pytest
import yaml
from browser import Browser
from conftest import DOCS, ROOT, examples
from snakemake.utils import update_config

import coverage
from coverage.pipeline.config_reference import schema_keys
from coverage.pipeline.configuration import check_config, read_schema
from coverage.tables import read_csv as read_table

SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
README_MAX_LINES = 170
CONFIG_FRAGMENT = re.compile(r"<!-- config -->\n```yaml\n(.*?)\n```", re.S)


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def hooks():
    """The site's generators (docs/hooks.py), imported as MkDocs imports them."""
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built as `make docs` builds it, --strict (a broken link or anchor, a missing page, an unresolved
    API name fails): the one `make docs` has just built when `make test` says so (``COVERAGE_SITE``), else built
    here."""
    if os.environ.get("COVERAGE_SITE"):
        return Path(os.environ["COVERAGE_SITE"])
    folder = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


def test_readme_is_short_and_its_links_lead_somewhere():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_MAX_LINES
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if not link.startswith("http")]
    assert local and all((ROOT / link).exists() for link in local), [l for l in local if not (ROOT / l).exists()]
    assert "make run" in readme and "make test" in readme


def test_every_schema_key_has_a_description():
    keys = schema_keys(read_schema(SCHEMA))
    assert len(keys) > 150
    assert [key.path for key in keys if not (key.description or "").strip()] == []


def test_every_public_name_has_a_docstring():
    """Each name of ``coverage.__all__``, read where it is defined (the package imports it when first asked for)."""
    package = griffe.load("coverage", search_paths=[str(ROOT / "src")], resolve_aliases=True)
    paths = [".".join([*module.split(".")[1:], name]) for module, names in hooks().public_modules().items()
             for name in names]  # fmt: skip
    assert len(paths) == len(coverage.__all__)
    undocumented = [path for path in paths if not (package[path].docstring and package[path].docstring.value.strip())]
    assert undocumented == []


def test_configuration_reference_covers_every_key(site: Path):
    text = (site / "reference/configuration.html").read_text(encoding="utf-8")
    shown = set(re.findall(r"<td><code>([^<]+)</code></td>", text))
    keys = {key.path.replace("<", "&lt;").replace(">", "&gt;") for key in schema_keys(read_schema(SCHEMA))}
    assert keys - shown == set()
    assert "<code>../shared/data</code>" in text, "the default configuration's value is shown"


def test_api_reference_covers_every_public_name(site: Path):
    text = (site / "reference/api.html").read_text(encoding="utf-8")
    modules = hooks().public_modules()
    documented = {name for names in modules.values() for name in names}
    assert documented == set(coverage.__all__)
    for module, names in modules.items():
        for name in names:
            assert f'id="{module}.{name}"' in text, f"{module}.{name}"
    assert ":func:" not in text and ":class:" not in text, "Sphinx roles are shown as code"


def test_site_opens_from_the_disk_and_its_search_finds_pages(site: Path, tmp_path: Path):
    """As a reader opens the site from the disk, offline: the configuration page draws a row for every key, the
    home page its map, no page has a script error, and the search, typed key by key, lists the cluster page."""
    keys = schema_keys(read_schema(SCHEMA))
    with Browser(tmp_path / "profile") as browser:
        browser.open((site / "reference/configuration.html").as_uri(), settle_s=1.0)
        rows = browser.evaluate("document.querySelectorAll('article table tbody tr').length")
        errors = browser.script_errors()
        browser.open((site / "index.html").as_uri(), settle_s=1.0)
        picture = browser.evaluate("(() => { const i = document.querySelector('article img'); "
                                   "return i && i.complete ? i.naturalWidth : 0; })()")  # fmt: skip
        browser.evaluate("document.querySelector('input.md-search__input').focus()")
        browser.type("sbatch")
        deadline = time.monotonic() + 10
        # The results of the first letters show first: wait for those of the whole word.
        links = "[...document.querySelectorAll('.md-search-result__link')].map(a => a.getAttribute('href'))"
        found = browser.evaluate(links) or []
        while not any("planners/cluster.html" in href for href in found) and time.monotonic() < deadline:
            time.sleep(0.2)
            found = browser.evaluate(links) or []
        errors += browser.script_errors()
    assert rows >= len(keys) and picture > 0
    assert any("planners/cluster.html" in href for href in found), found
    assert errors == []


@pytest.mark.parametrize("page", [p.relative_to(DOCS).as_posix() for p in pages() if CONFIG_FRAGMENT.search(p.read_text())])
def test_config_fragments_pass_the_config_check(page: str, default_config: dict):
    """Each fragment marked ``<!-- config -->``, given with --configfile over the default configuration."""
    for fragment in CONFIG_FRAGMENT.findall((DOCS / page).read_text(encoding="utf-8")):
        config = yaml.safe_load(yaml.safe_dump(default_config))
        update_config(config, yaml.safe_load(fragment))  # as Snakemake merges a --configfile, in place
        check_config(config, read_schema(SCHEMA))


RUN_BY_THEIR_OWN_TESTS = {"researchers/library.md": 2}
"""Pages whose examples other tests run as written, each with checks of its own (page -> its number of examples): the
library page's first in tests/test_pipeline.py (every commune's minutes against the run's), its second in
tests/test_wheel.py (from the installed wheel and from the repository, the same numbers). Running them here again
would load France's communes twice more."""


def example_pages() -> list:
    """Each page with examples, but those :data:`RUN_BY_THEIR_OWN_TESTS`: integration when its examples read the real
    data."""
    params = []
    for name in (page.relative_to(DOCS).as_posix() for page in pages()):
        code = "\n".join(examples(name))
        if code and name not in RUN_BY_THEIR_OWN_TESTS:
            marks = [pytest.mark.integration] if "shared/data" in code else []
            params.append(pytest.param(name, marks=marks))
    return params


def test_the_examples_run_by_their_own_tests_are_all_of_their_pages():
    """A page left to other tests has the examples they run, no more: an example added to it must be run by them."""
    for page, count in RUN_BY_THEIR_OWN_TESTS.items():
        assert len(examples(page)) == count, f"{page}: run its new example in its own test, or here"


@pytest.mark.parametrize("page", example_pages())
def test_examples_run_as_written(page: str):
    """A page's examples, one after another in a fresh Python from the project folder, as a reader pastes them."""
    code = "\n\n".join(examples(page))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.integration
def test_the_siting_page_states_the_runs_proposals(run: Path):
    """The shares docs/researchers/siting.md gives, before and after each added USP, are siting_usp.csv's (and the
    coverage table's before), rounded as printed, in the order the sites were added."""
    text = " ".join((DOCS / "researchers/siting.md").read_text(encoding="utf-8").split())
    proposals = read_table(run / "data/processed/siting_usp.csv")
    before = read_table(run / "data/processed/coverage_departement.csv").set_index(["departement", "service",
                                                                                    "threshold_min"])  # fmt: skip
    for departement, label in (("2A", "Corse-du-Sud"), ("2B", "Haute-Corse")):
        shares = proposals[proposals["departement"] == departement].sort_values("rank")["share_covered_after"]
        stated = re.search(rf"from ([\d.]+) % to ([\d.]+), ([\d.]+) and ([\d.]+) % in {label}", text).groups()
        expected = [before.loc[(departement, "USP", 30), "share_within"], *shares]
        assert list(stated) == [f"{100 * share:.1f}" for share in expected], departement
    assert text.index("Polyclinique de Furiani") < text.index("CH de Corte"), "Furiani first, as siting_usp.csv"


@pytest.mark.integration
def test_readme_table_states_the_runs_coverage(run: Path):
    """The README's figures are the default run's coverage_departement.csv, rounded as printed."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    coverage_table = read_table(run / "data/processed/coverage_departement.csv").set_index(
        ["departement", "service", "threshold_min"]
    )
    rows = re.findall(r"^\| (\S+) \((2A|2B)\) \| (\d+) min \| ([\d.]+) % \| ([\d.]+) % \|$", readme, re.M)
    assert len(rows) >= 4
    for service, departement, minutes, share, alternative in rows:
        row = coverage_table.loc[(departement, service, int(minutes))]
        assert f"{100 * row['share_within']:.1f}" == share and f"{100 * row['share_within_alternative']:.1f}" == alternative
    assert not pd.isna(coverage_table["share_within"]).all()
