# Set-up and commands of palliative-coverage. Everything installs from the package registries:
# Python packages pinned in requirements.lock (into .venv/, by uv), the web assets pinned in
# workflow/envs/map-assets/package.json (npm, into .venv/web/: the documentation's offline search shim; the maps'
# Leaflet files ship in the package, copied from there by `make vendor`), Chromium for the map tests and
# osmium-tool for splitting national extracts (apt).

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
export PATH := $(abspath $(BIN)):$(PATH)

PYTHON_STAMP := $(VENV)/.installed
ASSETS_STAMP := $(VENV)/web/.installed
SLURM_STAMP := $(VENV)/.slurm-installed

.PHONY: install install-slurm compile run test lint docs vendor chromium osmium poppler slurm clean

install: $(PYTHON_STAMP) $(ASSETS_STAMP)

# The venv's packages are installed by uv (pinned here, itself installed by pip): the pins of requirements.lock in
# 12 s where pip takes a minute, the same versions from the same registry, compiled ahead (--compile-bytecode) on
# every core. A researcher's `pip install` of the package is tested as such (tests/test_wheel.py).
UV_VERSION := 0.13.9
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(PYTHON_STAMP): requirements.lock pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) --compile-bytecode -r requirements.lock
	$(UV) --no-deps -e .
	$(MAKE) --no-print-directory compile
	touch $@

# The package's own modules compiled, as pip compiles what it installs: where PYTHONDONTWRITEBYTECODE is set (this
# machine sets it), each of a run's jobs would otherwise compile them again when it imports them.
compile:
	$(BIN)/python -m compileall -q src/coverage

$(ASSETS_STAMP): workflow/envs/map-assets/package.json | $(PYTHON_STAMP)
	mkdir -p $(VENV)/web
	cp $< $(VENV)/web/package.json
	cd $(VENV)/web && npm install --no-package-lock --no-audit --no-fund --loglevel=error
	touch $@

# The maps' Leaflet, jQuery and topojson-client files shipped in the package (src/coverage/outputs/vendor), copied
# from the npm pins of workflow/envs/map-assets/package.json: run after changing a pin, and commit the copies.
vendor: $(ASSETS_STAMP)
	$(BIN)/python -c "from pathlib import Path; from coverage.outputs._web_assets import copy_assets; \
		copy_assets(Path('$(VENV)/web/node_modules'), Path('src/coverage/outputs/vendor'))"

# The SLURM executor plugin for cluster runs (workflow/profiles/slurm); `make test` installs it too.
install-slurm: $(SLURM_STAMP)

$(SLURM_STAMP): requirements-slurm.lock | $(PYTHON_STAMP)
	$(UV) --compile-bytecode --no-deps -r requirements-slurm.lock
	touch $@

# A real SLURM of one node for the tests (tests/slurm.py starts and stops its daemons): Debian's slurm-wlm,
# munge, and slurmdbd with MariaDB for the accounting that sacct reads.
slurm:
	@command -v slurmctld >/dev/null && command -v slurmdbd >/dev/null && command -v mariadbd >/dev/null || { \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
		--no-install-recommends slurm-wlm munge slurmdbd mariadb-server; }

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

# osmium-tool splits a national or regional extract into per-département pieces (networks.sources[].split).
osmium:
	@command -v osmium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends osmium-tool; }

# The PDF reports are printed by Chromium; the tests turn their pages into PNG with poppler-utils.
poppler:
	@command -v pdftoppm >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends poppler-utils; }

run: install chromium
	$(BIN)/snakemake --cores $(CORES)

# snakemake's own lint, then the workflow's YAML (config, schema, profiles: a key given twice, among others).
lint: install
	$(BIN)/snakemake --lint
	$(BIN)/yamllint --strict -c .yamllint.yaml workflow .yamllint.yaml

# The documentation site (mkdocs.yml, docs/) into site/: --strict fails on a broken link, a missing page or a public
# name without its docstring's page.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Every test, on both cores: a file's tests, and the runs they share, in one worker (a test class is a unit of its
# own: each row of the option matrix), the longest files first (tests/conftest.py); the site `make docs` built and
# the YAML `make lint` checked are not built and checked again; the slowest steps listed last. One worker more than
# cores: a worker waiting (SLURM's status checks, a Snakemake run's chain of jobs, a page settling in Chromium) leaves
# its core to the others; with as many workers as cores a sixth of the cores' time went unused.
TEST_WORKERS ?= $(shell echo $$(( $(CORES) + 1 )))
test: install install-slurm chromium osmium poppler slurm lint docs compile
	COVERAGE_SITE=$(abspath site) COVERAGE_LINTED=1 $(BIN)/python -m pytest -m 'integration or not integration' \
		-n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=25

clean:
	rm -rf data/raw/* data/processed/* maps/* logs .snakemake site
	touch data/raw/.gitkeep data/processed/.gitkeep maps/.gitkeep
