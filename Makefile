# Patient collections pipeline. Two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AS_OF ?= 2026-11-20
GUARANTORS ?= 5000
SEED ?= 7
export DAGSTER_HOME ?= $(CURDIR)/var/dagster_home

.PHONY: install sample run demo test lint format ui bench clean prepare install-spark test-spark metrics lint-imports

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## pinned environment from requirements.lock

prepare: $(STAMP) ## build the dbt manifest when the dbt project changed
	@$(BIN)/python -c "from orchestration.warehouse.project import ensure_manifest; ensure_manifest()"

sample: $(STAMP) ## write the sample clinic into ./var/landing (and its policy to ./var/policy.yaml)
	@mkdir -p var
	@test -f var/policy.yaml || cp orchestration/policy/default_policy.yaml var/policy.yaml
	$(BIN)/python -m orchestration.sample --out var/landing --guarantors $(GUARANTORS) --seed $(SEED) --as-of $(AS_OF) --force

run: prepare ## the whole daily job for AS_OF=YYYY-MM-DD (BACKFILL=1: an earlier date, nothing sent; CLOCK=scheduled or an instant: a rehearsal)
	$(BIN)/python -m orchestration.run --as-of $(AS_OF) $(if $(WAIT),--wait) $(if $(BACKFILL),--backfill) $(if $(CLOCK),--clock $(CLOCK))

# the sample clinic is as of AS_OF, its files arrived the evening before: the demo rehearses
# that day's 06:00 scheduled run (a run started today would find the export stale and hold every touch)
demo: CLOCK = scheduled
demo: sample run ## install, build the sample clinic, run the daily job, say where to look
	@echo
	@echo "Where to look:"
	@echo "  warehouse (DuckDB):  $(CURDIR)/var/warehouse.duckdb   (schemas raw, staging, intermediate, marts)"
	@echo "  file ledger:         SELECT * FROM raw.file_ledger;  rejects: SELECT * FROM raw.load_rejects;"
	@echo "  lineage and checks:  make ui   (Dagster UI on http://127.0.0.1:3000)"

test: prepare ## the test suite
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff (lint + format check), sqlfluff on the dbt models, import-linter (docs/development.md)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project
	$(BIN)/lint-imports

format: $(STAMP) ## rewrite what the linters can fix by themselves (then `make lint` for the rest)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix dbt_project

install-spark: $(STAMP) ## add dbt-spark and pyspark (requirements-spark.lock) to the same venv
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements-spark.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@# pyspark in the venv stops pytest-xdist workers: the next `make test` syncs requirements.lock again
	@rm -f $(STAMP)

test-spark: install-spark prepare ## the dbt models on Spark (local) against DuckDB; needs Java 17 (docs/scaling.md)
	@# one process (-n0): one Spark session at a time, and pyspark exits when imported in an xdist worker
	$(BIN)/python -m pytest -m spark -n0 tests/spark

metrics: prepare ## the semantic layer on the warehouse: list the metrics, answer a query (docs/metrics.md)
	$(BIN)/python -m orchestration.serving.metrics list metrics
	$(BIN)/python -m orchestration.serving.metrics query --metrics recovery_rate,promise_to_pay_kept,days_to_first_contact \
		--group-by metric_time__week --order metric_time__week

ui: prepare ## Dagster UI on http://127.0.0.1:3000
	@$(BIN)/python -c "from orchestration.core.instance import ensure_dagster_home; ensure_dagster_home()"
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint-imports: $(STAMP) ## the layers contract of the Python package (pyproject.toml [tool.importlinter], docs/architecture.md)
	$(BIN)/lint-imports

bench: prepare ## benchmarks (see docs/benchmarks.md)
	$(BIN)/python -m benchmarks.run

clean: ## remove generated data (keeps the venv)
	rm -rf var dbt_project/target dbt_project/logs
