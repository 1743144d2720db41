# Two commands for a newcomer: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DEMO_ROWS ?= 20000

.PHONY: run test check install lock services services-stop bench lint migrate clean

# `make run` installs the platform only; `make test` adds the test tools (browser driver,
# AWS emulator, linters). Both install every package from a lock file with its hashes
# (requirements/*.lock, made from pyproject.toml by `make lock`), then the project itself
# without dependencies (setuptools comes from the lock too: no build isolation).
$(STAMP): pyproject.toml requirements/run.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/run.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

$(TEST_STAMP): $(STAMP) requirements/test.lock
	$(PY) -m pip install --quiet --require-hashes -r requirements/test.lock
	@touch $(TEST_STAMP)

install: $(TEST_STAMP)

## make lock: requirements/run.lock (pyproject's dependencies) and requirements/test.lock
## (those and the `test` extra, at the run lock's versions): every transitive dependency with
## its hashes, for Python 3.11 on Linux x86_64, resolved against PyPI alone (not this
## machine's pip configuration). Run it after changing a pin in pyproject.toml;
## LOCK_FLAGS=--upgrade moves the unpinned transitive dependencies to their latest versions.
LOCK_FLAGS ?=
PIP_COMPILE := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile --quiet --generate-hashes \
	--strip-extras --allow-unsafe --build-deps-for editable --no-emit-index-url --no-emit-find-links $(LOCK_FLAGS)
lock: $(TEST_STAMP)
	$(PIP_COMPILE) --output-file requirements/run.lock pyproject.toml
	$(PIP_COMPILE) --extra test --constraint requirements/run.lock --output-file requirements/test.lock pyproject.toml

## make run: the embedded default (SQLite, Celery over a folder, in-process XGBoost)
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py train_demo_model $(DEMO_ROWS) --bootstrap --if-no-active-model
	$(PY) manage.py demo_applications --if-empty
	$(PY) manage.py demo_monitoring --if-empty
	$(PY) manage.py demo_governance --if-empty
	$(PY) manage.py demo_handoffs --if-empty
	$(PY) manage.py demo_mail
	$(PY) manage.py runplatform

## make test: `make check`, then the whole suite against PostgreSQL and Redis on 127.0.0.1
test: check
	$(PY) -m ops.services_up
	$(PY) -m pytest

## make check: lint, format, the import contracts (docs/architecture.md, "Layers") and types;
## the same hooks run before each commit with pre-commit (README, "Contributing").
check: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

## make services: the full local stack beside `make run`'s pieces: PostgreSQL and Redis
## answering, the DynamoDB stand-in (dynalite, 127.0.0.1:4567, data in var/dynalite) and the
## SageMaker-compatible model endpoint (127.0.0.1:8080, serving the active model).
## See README, "The full stack locally". make services-stop stops what it started.
services: $(STAMP)
	$(PY) -m ops.services_up
	@mkdir -p var
	@if [ -f var/dynalite.pid ] && kill -0 $$(cat var/dynalite.pid) 2>/dev/null; then \
	  echo "dynalite already running (pid $$(cat var/dynalite.pid))"; \
	else \
	  nohup $(PY) -m ops.dynalite > var/dynalite.log 2>&1 & echo $$! > var/dynalite.pid; \
	  echo "dynalite starting on 127.0.0.1:4567 (log: var/dynalite.log)"; \
	fi
	$(PY) manage.py serve_endpoint --background

services-stop:
	-$(PY) manage.py serve_endpoint --stop
	@if [ -f var/dynalite.pid ]; then kill $$(cat var/dynalite.pid) 2>/dev/null; rm -f var/dynalite.pid; \
	  echo "dynalite stopped"; fi

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .

bench: $(TEST_STAMP)
	$(PY) -m ops.services_up
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var
