# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
DATA_DIR ?= data
BIN = $(VENV)/bin
export OMP_NUM_THREADS ?= 1
# One worker per core, each test module whole on one worker (its module-scoped set-ups are built once);
# PARALLEL= runs the suite in one process.
PARALLEL ?= -n auto --dist loadfile

.PHONY: demo test lint typecheck bench eval system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed  ## set up, load the demo data and accounts, serve http://127.0.0.1:8000
	$(BIN)/kiemchung --data-dir $(DATA_DIR) init --demo
	$(BIN)/kiemchung --data-dir $(DATA_DIR) serve --pipeline

system-deps:  ## PostgreSQL server binaries and Chromium for the tests (Debian)
	@sh scripts/install-system-deps.sh

test: $(VENV)/.installed-test system-deps  ## everything the tests need, then the whole suite
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not evaluation" $(PARALLEL) --cov --cov-report=term:skip-covered
	@# the gates without coverage tracing: it made the engine's loops 2.5x slower (~2.5 min of CI)
	$(BIN)/python -m pytest -m evaluation $(PARALLEL)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

eval: $(VENV)/.installed-test  ## only the evaluation gates (quality floors)
	$(BIN)/python -m pytest -m evaluation -v

bench: $(VENV)/.installed-test  ## speed and quality figures (prints tables)
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/monitoring.py

clean:
	rm -rf $(VENV) .pytest_cache .coverage .ruff_cache .mypy_cache
