# The README's commands. Each installs what it needs first (a virtualenv in .venv from requirements.lock).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SPARK_STAMP := $(VENV)/.spark-installed-stamp
# make dev keeps run history here; make run uses an in-memory instance (logging a six-year single-run
# backfill's per-partition events into SQLite would cost minutes)
DEV_DAGSTER_HOME ?= $(CURDIR)/warehouse/.dagster

.PHONY: install run test test-fast test-serial test-spark java dev bench validate verdict report chromium docs clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## make run: materialize every asset for the default window on the sample world, print the verdict
run: install
	$(PY) -m orchestration.cli run

## make test: the whole suite (unit, asset, end to end) on TEST_WORKERS pytest-xdist workers, tests sharing a
## module's fixture on one worker (tests/conftest.py); the report's browser test needs Debian's chromium
TEST_WORKERS ?= 2
PARALLEL     := -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder
test: install chromium
	$(PY) -m pytest $(PARALLEL)

## make test-fast: the unit and asset tiers only (no end-to-end window builds, no browser)
test-fast: install
	$(PY) -m pytest $(PARALLEL) -m "not e2e"

## make test-serial: the whole suite in one process, in file order (to debug; pytest's own -x, -k, --pdb work)
test-serial: install chromium
	$(PY) -m pytest

## make test-spark: the whole dbt project on Apache Spark (a local pyspark session reading the Parquet lake of a
## short sample-world run) with its data tests, compared column by column with DuckDB's marts (tests/spark; the
## README's "Apache Spark"). Needs Java 17+ (Debian's, installed when absent) and pyspark (requirements-spark.lock)
test-spark: install $(SPARK_STAMP) java
	$(PY) -m pytest tests/spark --spark -s -p no:cacheprovider

$(SPARK_STAMP): requirements-spark.lock $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-spark.lock
	touch $(SPARK_STAMP)

## java for Spark, from Debian's packages when absent (fatal when it cannot be installed: Spark cannot run)
java:
	@command -v java >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y openjdk-17-jre-headless >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && \
	    apt-get install -y openjdk-17-jre-headless >/dev/null 2>&1; }; }; } \
	  || { echo "java not found and not installable (no apt or no permission): install a JRE 17+ for make test-spark"; exit 1; }

## chromium for the browser test, from Debian's packages when absent and apt is there (never fatal: the
## test then skips and says why)
chromium:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1; }; } \
	  || echo "chromium not installed (no apt or no permission): the report's browser test will be skipped"; }

## make dev: the Dagster UI on the same definitions
dev: install
	mkdir -p $(DEV_DAGSTER_HOME) && touch $(DEV_DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DEV_DAGSTER_HOME) $(VENV)/bin/dagster dev -m orchestration.definitions

## make validate: the Dagster definitions load
validate: install
	$(VENV)/bin/dagster definitions validate -m orchestration.definitions

## make verdict: print the latest days of the published mart
verdict: install
	$(PY) -m orchestration.cli verdict

## make report: rebuild warehouse/published/report.html from the current published snapshot
report: install
	$(PY) -m orchestration.cli report

## make docs: dbt's documentation site, one offline HTML file (warehouse/docs/index.html; catalog from a copy of
## the warehouse, never the working file, so a running pipeline is not disturbed)
docs: install
	$(PY) -m orchestration.docs

## make bench: timings and peak memory of the stages
bench: install
	$(PY) -m benchmarks.run

clean:
	rm -rf warehouse/leverage.duckdb* warehouse/raw warehouse/lake warehouse/spark warehouse/published warehouse/docs warehouse/screenshots warehouse/.cache warehouse/dbt-target dbt_project/target
