# landuse-conflicts: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export LANDUSE_DATA_DIR ?= $(CURDIR)/data
# A persistent Dagster instance for `make dev` and the definition checks (config/dagster.yaml:
# writer pool, one run at a time, no telemetry).
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
DAGSTER_YAML := $(DAGSTER_HOME)/dagster.yaml

.PHONY: run test dev lint format typecheck defs-check bench sample clean system-deps install bench-sweden
# Debian packages some tests need: chromium (HTML map and reports), python3-gdal (GeoPackage
# validator), python3-qgis + xvfb + xauth (QGIS renders every GeoPackage layer under xvfb-run;
# QGIS's libraries without the desktop app: ~940 MB installed, under a minute from a mirror).
SYSTEM_PACKAGES := chromium python3-gdal python3-qgis xvfb xauth

# Install once; re-install only when pyproject.toml or constraints.txt change.
$(STAMP): pyproject.toml constraints.txt
	@echo "Installing into $(VENV) (pinned by constraints.txt; log in $(VENV)/install.log)..."
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --upgrade pip > $(VENV)/install.log 2>&1 \
	  && $(BIN)/python -m pip install -c constraints.txt -e '.[dev]' >> $(VENV)/install.log 2>&1 \
	  || { tail -40 $(VENV)/install.log; echo "pip install failed: see $(VENV)/install.log"; exit 1; }
	@# the spatial extension from its wheel into DuckDB's extension directory: `LOAD spatial`
	@# then works offline in .venv/bin/duckdb and in plain Python (docs/analyst-guide.md)
	$(BIN)/python -m pipeline.extensions
	touch $(STAMP)

install: $(STAMP)

## Generate the embedded default and run the nightly job once.
run: $(STAMP) $(DAGSTER_YAML)
	$(BIN)/python -m assets_defs.cli run

sample: $(STAMP)
	$(BIN)/python -m pipeline.sample

## Debian packages some tests need: headless Chromium (the HTML map) and GDAL's GeoPackage
## validator. Installed once when missing and we are root (as in CI); otherwise those tests
## say they are skipped and why.
system-deps:
	@if ! dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $(SYSTEM_PACKAGES) (Debian packages for the browser, GeoPackage and QGIS tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "note: $(SYSTEM_PACKAGES) not installed and not root: the tests that need them are skipped"; fi; \
	fi

## Every gate CI runs.
test: lint typecheck defs-check system-deps $(DAGSTER_YAML)
	$(BIN)/python -m pytest -q -ra

lint: $(STAMP)
	$(BIN)/ruff check pipeline assets_defs tests bench
	$(BIN)/ruff format --check pipeline assets_defs tests bench

format: $(STAMP)
	$(BIN)/ruff format pipeline assets_defs tests bench
	$(BIN)/ruff check --fix pipeline assets_defs tests bench

typecheck: $(STAMP)
	$(BIN)/mypy pipeline assets_defs

$(DAGSTER_YAML): config/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp config/dagster.yaml $(DAGSTER_YAML)

# `dg` is what Dagster 1.13 recommends (`dagster definitions validate` and `dagster dev` warn
# that they are superseded); it reads [tool.dg] in pyproject.toml.
defs-check: $(STAMP) $(DAGSTER_YAML)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs

## The Dagster UI on loopback only (it has no login; README, Running it every night).
dev: $(STAMP) $(DAGSTER_YAML)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev --host 127.0.0.1 --port 3000

bench: $(STAMP)
	$(BIN)/python bench/index_bench.py
	$(BIN)/python bench/run_bench.py --repeats 3
	$(BIN)/python bench/ui_bench.py --rounds 3
	$(BIN)/python bench/scenario_bench.py --repeats 3 --write docs/benchmarks.md

## The synthetic Sweden (~1 M features, study_area {sweden: true}) end to end, in a data
## folder outside the repository (SWEDEN_BENCH_DIR); results in docs/benchmarks.md.
SWEDEN_BENCH_DIR ?= /tmp/landuse-sweden
bench-sweden: $(STAMP)
	$(BIN)/python bench/sweden_bench.py --root $(SWEDEN_BENCH_DIR) --write docs/benchmarks.md

clean:
	rm -rf data .dagster_home
