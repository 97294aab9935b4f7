# The two commands a new user runs: `make demo` (the main job) and `make test`.
# Both create the virtual environment and install what they need on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit schemas docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## demo: set up, then run the main job on the bundled example
demo: $(STAMP)
	$(BIN)/policykit validate examples/health_assistant
	$(BIN)/policykit validate examples/creative_writing
	$(BIN)/policykit schema --write build/schemas

## test: set up, then lint, type-check and run the test suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check policykit tests bench
	$(BIN)/ruff format --check policykit tests bench

typecheck: $(STAMP)
	$(BIN)/mypy policykit

unit: $(STAMP)
	$(BIN)/pytest

## schemas: regenerate the committed JSON Schemas and the diagnostic code reference
schemas: $(STAMP)
	$(BIN)/policykit schema --write policykit/schemas
	$(BIN)/policykit codes --markdown > docs/diagnostics.md

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
