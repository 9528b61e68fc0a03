# civicgrid: `make run` serves the demo city, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# gunicorn workers; each keeps its own point-in-grid index in memory. Each serves THREADS
# requests at once (gthread): a console's live stream, a hall display's and an open ticket
# page's each hold one for minutes; they wait, so threads are cheap.
WORKERS ?= 4
THREADS ?= 32
# Live updates reach every worker through PostgreSQL (NOTIFY) or Redis (REDIS_URL); on SQLite
# without Redis one worker serves everything, so that every console hears every change.
SERVE_WORKERS = $(if $(or $(filter postgres%,$(DATABASE_URL)),$(REDIS_URL)),$(WORKERS),1)
export FLASK_APP := wsgi

.PHONY: run db test test-sqlite lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installed from the lock files only: every package at its locked version, and pip refuses a
# file whose sha256 is not the one locked. The pins people edit are in requirements*.in;
# `make lock` writes the locks from them.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $@

LOCK_VENV := .venv-lock
PIP_COMPILE := PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	--index-url https://pypi.org/simple

.PHONY: lock
## Rewrite requirements.txt and requirements-dev.txt (with hashes, from PyPI itself) from
## the pins in requirements.in and requirements-dev.in. Run after changing a pin.
lock:
	[ -x $(LOCK_VENV)/bin/pip-compile ] || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet pip-tools==7.7.0; }
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

## Create or migrate the database (and build the daily roll-up if it never was).
db: $(VENV)/.runtime-installed
	$(BIN)/flask db upgrade
	$(BIN)/flask cases rebuild-rollup --if-needed

## The demo: serve on http://$(HOST):$(PORT) in demo mode, loading the demo city into an
## empty database (HOST, PORT, DATABASE_URL override). Production: see the README.
run: export DEMO_MODE = 1
run: export JOBS = 1
run: db
	$(BIN)/flask demo load --if-empty
	$(BIN)/gunicorn --worker-class gthread --workers $(SERVE_WORKERS) --threads $(THREADS) \
	  --bind $(HOST):$(PORT) --access-logfile - wsgi:app

## Lint, the JS unit tests, then every test on SQLite and PostgreSQL
## (the browser tests run once, on their own SQLite live server).
test: $(VENV)/.dev-installed browser-deps
	$(BIN)/ruff check .
	@$(MAKE) --no-print-directory test-js
	$(BIN)/python -m pytest

## The quick loop: SQLite only.
test-sqlite: $(VENV)/.dev-installed browser-deps
	@$(MAKE) --no-print-directory test-js
	CIVICGRID_TEST_DBS=sqlite $(BIN)/python -m pytest

.PHONY: browser-deps test-js
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=120 \
	chromium fonts-noto-cjk

## Debian's Chromium and CJK fonts for the browser tests (Playwright cannot download
## its own browser here; without the fonts Chinese renders as boxes). Free once there.
browser-deps:
	@if [ ! -x $(CHROMIUM) ] || [ ! -f $(CJK_FONT) ]; then \
	  echo "browser tests: installing chromium and fonts-noto-cjk with apt-get"; \
	  $(APT_INSTALL) || { apt-get update -q && $(APT_INSTALL); } || { \
	    echo "FATAL: 'apt-get install chromium fonts-noto-cjk' failed (it needs root and Debian's" \
	      "package lists). The browser tests need $(CHROMIUM); install it, or run the other" \
	      "tests with: $(BIN)/python -m pytest -m 'not browser'" >&2; exit 1; }; \
	  [ -x $(CHROMIUM) ] || { echo "FATAL: apt-get succeeded but $(CHROMIUM) is missing" >&2; exit 1; }; \
	fi

## JS unit tests with node's own runner, when tests/js/ has any *.test.mjs.
test-js:
	@if [ -n "$$(find tests/js -name '*.test.mjs' 2>/dev/null)" ]; then \
	  command -v node >/dev/null || { echo "FATAL: tests/js/ needs Node.js 20 (node)" >&2; exit 1; }; \
	  echo "node --test tests/js/"; node --test tests/js/; \
	fi

## Benchmarks (not part of `make test`): they print their figures.
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/point_in_grid.py
	$(BIN)/python bench/import_city.py
	$(BIN)/python bench/sync_bench.py
	$(BIN)/python bench/day_bench.py
	$(BIN)/python bench/case_bench.py
	$(BIN)/python bench/hall_bench.py
	$(BIN)/python bench/certificate_bench.py

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache .ruff_cache
