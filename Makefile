# The two commands: `make run` serves the API with demo data, `make test` runs the whole suite.
# Both set everything up on a fresh machine: the virtualenv, the Python packages and the
# Neo4j jars (fetched once from Maven Central into ~/.cache/minhu).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test bench lint schema clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ is required: install python3 (Debian: apt-get install python3 python3-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/minhu neo4j fetch

# `make run WORKERS=2`: two API processes behind one port, sharing a broker (docs/SCALING.md).
WORKERS ?= 1

run: setup
	$(BIN)/minhu serve --seed-if-empty demo --workers $(WORKERS)

test: setup
	$(BIN)/lint-imports
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m bench
	$(BIN)/python -m bench.outage
	$(BIN)/python -m bench.http_audit
	$(BIN)/python -m bench.load

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

schema: $(STAMP)
	$(BIN)/minhu schema > schema/schema.graphql

clean:
	rm -rf $(VENV) .minhu
