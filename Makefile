# essaim — every target sets up .venv first when it is missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup run test lint typecheck pytest docs bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv with essaim and its pinned dependencies

run: $(STAMP) ## Load the bundled knowledge base into .essaim/ (what changed) and serve it on :8000
	$(BIN)/essaim serve

test: lint typecheck pytest ## Lint, type-check and run the whole test suite

lint: $(STAMP) ## ruff: lint and formatting
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP) ## mypy (strict) over the package
	$(BIN)/mypy

pytest: $(STAMP) ## The test suite only
	$(BIN)/python -m pytest

docs: $(STAMP) ## Build the ontology's HTML documentation (pyLODE) into build/docs/
	$(BIN)/essaim docs --output build/docs/ontology.html

bench: $(STAMP) ## Benchmark loading and the query mix at 100k, 1M, 5M triples (long; benchmarks/README.md)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean: ## Remove the virtual environment and build outputs
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
