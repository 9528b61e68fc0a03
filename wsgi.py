"""Entry point for gunicorn (`gunicorn wsgi:app`) and the `flask` command."""

import gc

from backend import create_app

app = create_app()
# What the app holds from start-up (models, schemas, compiled statements, the city's grids)
# lives as long as the process: kept out of the garbage collector's full passes, which
# otherwise walk all of it again every few thousand objects a request makes. A pull page of
# 1,000 records took twice as long (bench/sync_bench.py).
gc.freeze()
