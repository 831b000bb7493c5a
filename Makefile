# Two commands a newcomer needs: `make lab` and `make test`. Everything else is a detail.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# JupyterLab refuses to start as root (containers, CI boxes) unless told it is fine.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test lint typecheck unit notebooks browser bench serve clean venv

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pipeflow-nb needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.lab-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[lab]"
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.lab-installed

venv: $(VENV)/.test-installed

## Open JupyterLab on the tutorials (no keys needed).
lab: $(VENV)/.lab-installed
	$(BIN)/jupyter lab notebooks/ $(LAB_ARGS)

## Run every check: lint, types, unit + API + notebook + browser tests.
test: $(VENV)/.test-installed lint typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

unit: $(VENV)/.test-installed
	$(BIN)/pytest -m "not notebook and not browser" $(PYTEST_ARGS)

notebooks: $(VENV)/.test-installed
	$(BIN)/pytest -m notebook $(PYTEST_ARGS)

browser: $(VENV)/.test-installed
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

bench: $(VENV)/.test-installed
	$(BIN)/pip install --quiet -e ".[bench]"
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

## Run the reference server on http://127.0.0.1:8787.
serve: $(VENV)/.lab-installed
	$(BIN)/pipeflow serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
