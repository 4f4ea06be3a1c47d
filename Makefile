# The two commands: `make run` serves the API with demo data, `make test` runs the whole suite.
# Both set everything up on a fresh machine: the virtualenv, the Python packages and the
# Neo4j jars (fetched once from Maven Central into ~/.cache/minhu).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The console's browser dependencies (server/console/page/package.json, pinned by its lock file).
CONSOLE       := server/console/page
CONSOLE_STAMP := $(CONSOLE)/node_modules/.installed
# The GraphQL IDE's (GET /graphql in a browser): GraphiQL, React, the explorer plugin (server/ide/page/).
IDE           := server/ide/page
IDE_STAMP     := $(IDE)/node_modules/.installed
# What the browser tests inject into the pages (axe-core), never served (tests/browser/).
BROWSER_TESTS := tests/browser
BROWSER_STAMP := $(BROWSER_TESTS)/node_modules/.installed
# The reference graphql-transport-ws client the tests subscribe with (tests/clients/package.json:
# graphql-ws and ws, pinned by its lock file).
TEST_CLIENTS       := tests/clients
TEST_CLIENTS_STAMP := $(TEST_CLIENTS)/node_modules/.installed

.PHONY: setup browser run test check bench lint schema clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ is required: install python3 (Debian: apt-get install python3 python3-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Each JavaScript folder's packages, exactly as its lock file pins them (its stamp above).
%/node_modules/.installed: %/package.json %/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the JavaScript in $* (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --prefix $* --no-audit --no-fund
	touch $@

setup: $(STAMP) $(CONSOLE_STAMP) $(IDE_STAMP) $(BROWSER_STAMP)
	$(BIN)/minhu neo4j fetch

# The browser tests (the console, the GraphQL IDE) drive Debian's Chromium (never a downloaded
# browser) and need a CJK font so the screenshots show the Chinese; installed here when missing and
# this runs as root on Debian.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "The browser tests need /usr/bin/chromium and a CJK font: as root, apt-get install chromium fonts-noto-cjk"; \
	    exit 1; \
	  fi; \
	fi

# `make run WORKERS=2`: two API processes behind one port, sharing a broker (docs/SCALING.md).
WORKERS ?= 1

run: setup
	$(BIN)/minhu serve --seed-if-empty demo --workers $(WORKERS)

# The suite in two processes (pytest-xdist), each with its own Neo4j: the two cores both work
# (tests/conftest.py hands out whole modules, the longest first). One server named by NEO4J_URI
# cannot be shared by two wiping sessions, so then one process. `make test TEST_WORKERS=0`: serial.
TEST_WORKERS ?= $(if $(NEO4J_URI),0,2)
# Compiled modules and pytest's rewritten tests are kept in __pycache__ between runs and processes
# (each worker and every `minhu` the tests start would otherwise compile them all again).
test check: export PYTHONDONTWRITEBYTECODE =

test: setup browser $(TEST_CLIENTS_STAMP)
	$(BIN)/lint-imports
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=30

# The inner loop, under two minutes: the linters, the tests that need no database, and the smoke
# set (`@pytest.mark.smoke`) against a real local Neo4j; never the browser or the long suites.
check: $(STAMP) $(TEST_CLIENTS_STAMP)
	$(BIN)/minhu neo4j fetch
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n 0 -m "smoke or not (neo4j or slow)"

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
	rm -rf $(VENV) .minhu $(CONSOLE)/node_modules $(IDE)/node_modules $(BROWSER_TESTS)/node_modules $(TEST_CLIENTS)/node_modules
