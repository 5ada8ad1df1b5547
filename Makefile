# Two commands set everything up on a fresh machine with python3 and make:
#   make demo   the main job: replay every bundled cassette set offline, write reports/
#   make test   the harness's own tests (then `make lint` for ruff + mypy)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint fmt cassettes clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/chatconform

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff format --check src tests suites bench conftest.py
	$(BIN)/ruff check src tests suites bench conftest.py
	$(BIN)/mypy

# Re-record the bundled cassette sets from the reference server (after a planner,
# check or server change); idempotent, replaces a set only when every provider recorded.
cassettes: $(STAMP)
	$(BIN)/python scripts/record-bundled

fmt: $(STAMP)
	$(BIN)/ruff format src tests suites bench conftest.py
	$(BIN)/ruff check --fix src tests suites bench conftest.py

clean:
	rm -rf $(VENV) .tox reports/*/ .mypy_cache .ruff_cache
