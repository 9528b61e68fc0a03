# civicgrid: `make run` serves the demo city, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# gunicorn workers; each keeps its own point-in-grid index in memory.
WORKERS ?= 4
export FLASK_APP := wsgi

.PHONY: run db test test-sqlite lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## Create or migrate the database, and load the demo city if it is empty.
db: $(VENV)/.runtime-installed
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty

## Serve on http://$(HOST):$(PORT) (HOST, PORT, DATABASE_URL override).
run: db
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

## Lint, then every test on SQLite and PostgreSQL.
test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

## The quick loop: SQLite only.
test-sqlite: $(VENV)/.dev-installed
	CIVICGRID_TEST_DBS=sqlite $(BIN)/python -m pytest

## Benchmarks (not part of `make test`): they print their figures.
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/point_in_grid.py
	$(BIN)/python bench/import_city.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
