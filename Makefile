# essaim — every target sets up .venv first when it is missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The SPARQL editor's YASGUI bundle, from the npm registry, into the git-ignored .yasgui/
YASGUI_VERSION := 4.6.2
YASGUI := .yasgui/node_modules/@zazuko/yasgui/build/yasgui.min.js
# The API documentation's Swagger UI, from the npm registry, into the git-ignored .swagger-ui/
SWAGGER_UI_VERSION := 5.35.0
SWAGGER_UI := .swagger-ui/node_modules/swagger-ui-dist/swagger-ui-bundle.js
# The annotation page's text annotator (Recogito), from the npm registry, into the git-ignored .recogito/
RECOGITO_VERSION := 4.1.1
RECOGITO := .recogito/node_modules/@recogito/text-annotator/dist/text-annotator.umd.js
# The canned queries' charts (Vega-Lite, drawn by vega-embed), from the npm registry, into the git-ignored .vega/
VEGA_VERSION := 6.4.0
VEGA_LITE_VERSION := 6.5.0
VEGA_EMBED_VERSION := 7.3.0
VEGA := .vega/node_modules/vega-embed/build/vega-embed.min.js

.DEFAULT_GOAL := help
.PHONY: help setup run test lint typecheck pytest docs notebooks bench clean kb

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev,analysis]'
	touch $(STAMP)

$(YASGUI):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-save --no-audit --no-fund --prefix .yasgui @zazuko/yasgui@$(YASGUI_VERSION) \
	  || echo "YASGUI was not installed: the SPARQL editor falls back to a plain form"; \
	else echo "npm not found: the SPARQL editor falls back to a plain form (install Node.js for YASGUI)"; fi

$(SWAGGER_UI):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-save --no-audit --no-fund --prefix .swagger-ui swagger-ui-dist@$(SWAGGER_UI_VERSION) \
	  || echo "Swagger UI was not installed: /docs links to the OpenAPI document only"; \
	else echo "npm not found: /docs links to the OpenAPI document only (install Node.js for Swagger UI)"; fi

$(RECOGITO):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-save --no-audit --no-fund --prefix .recogito @recogito/text-annotator@$(RECOGITO_VERSION) \
	  || echo "The text annotator was not installed: the annotation page shows text and codes without selecting"; \
	else echo "npm not found: the annotation page shows text and codes without selecting (install Node.js for it)"; fi

$(VEGA):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-save --no-audit --no-fund --prefix .vega vega@$(VEGA_VERSION) vega-lite@$(VEGA_LITE_VERSION) vega-embed@$(VEGA_EMBED_VERSION) \
	  || echo "Vega was not installed: the canned queries show their tables and chart descriptions without charts"; \
	else echo "npm not found: the canned queries show their tables and chart descriptions without charts (install Node.js for Vega)"; fi

setup: $(STAMP) $(YASGUI) $(SWAGGER_UI) $(RECOGITO) $(VEGA) ## Create .venv with essaim and its pinned dependencies (and YASGUI, Swagger UI, the text annotator and Vega with npm)

run: $(STAMP) $(YASGUI) $(SWAGGER_UI) $(RECOGITO) $(VEGA) ## Load the bundled knowledge base into .essaim/ (what changed) and serve it on :8000
	$(BIN)/essaim serve

test: $(YASGUI) $(SWAGGER_UI) $(RECOGITO) $(VEGA) lint typecheck pytest ## Lint, type-check and run the whole test suite

lint: $(STAMP) ## ruff: lint and formatting
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP) ## mypy (strict) over the package
	$(BIN)/mypy

pytest: $(STAMP) ## The test suite only (and the package's examples), with its 30 slowest tests
	$(BIN)/python -m pytest --durations=30

kb: $(STAMP) ## Regenerate the generated Turtle under kb/ from the committed sources (importers), and the full commune layer under build/
	$(BIN)/python -m essaim.ingest.undp build
	$(BIN)/python -m essaim.ingest.sources build

docs: $(STAMP) ## Build the ontology's HTML documentation (pyLODE) into build/docs/
	$(BIN)/essaim docs --output build/docs/ontology.html

notebooks: $(STAMP) ## Execute the notebooks on the bundled data (or ESSAIM_ANALYSIS_STORE) and render them to HTML in build/notebooks/ (no CDN scripts; the node links to them)
	$(BIN)/python -m essaim.analysis.render --output build/notebooks

bench: $(STAMP) ## Benchmark loading, the query mix (100k, 1M, 5M), the endpoint and the web pages (long; benchmarks/README.md)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/endpoint.py $(BENCH_ENDPOINT_ARGS)
	$(BIN)/python benchmarks/web.py $(BENCH_WEB_ARGS)

clean: ## Remove the virtual environment and build outputs
	rm -rf $(VENV) build .yasgui .swagger-ui .recogito .vega .pytest_cache .mypy_cache .ruff_cache
