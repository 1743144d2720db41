# Two commands for a newcomer: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_ROWS ?= 20000

.PHONY: run test install services services-stop bench lint migrate clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## make run: the embedded default (SQLite, Celery over a folder, in-process XGBoost)
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py train --synthetic $(DEMO_ROWS) --bootstrap --if-no-active-model
	$(PY) manage.py demo_applications --if-empty
	$(PY) manage.py runplatform

## make test: the whole suite against PostgreSQL and Redis on 127.0.0.1
test: $(STAMP)
	$(PY) -m ops.services_up
	$(PY) -m pytest

## make services: PostgreSQL and Redis answering, and the local SageMaker-compatible endpoint
## (serving the active model on 127.0.0.1:8080; use it with SCORER=sagemaker
## SAGEMAKER_RUNTIME_URL=http://127.0.0.1:8080). make services-stop stops the endpoint.
services: $(STAMP)
	$(PY) -m ops.services_up
	$(PY) manage.py serve_endpoint --background

services-stop:
	$(PY) manage.py serve_endpoint --stop

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) -m ops.services_up
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var
