"""gunicorn settings for a production start:

    CIVICGRID_ENV=production SECRET_KEY=… DATABASE_URL=postgresql://… \
        .venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app

`make run` is the demo and passes its own flags. This file is not at the repository's
root, where gunicorn would read it for every start, the demo's and the benchmarks' too.
Environment: HOST (127.0.0.1: put nginx in front), PORT (8000), WORKERS (2 per core), THREADS
(32 per worker), and TRUSTED_PROXIES for the app (see README).
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS", 2 * multiprocessing.cpu_count()))
# Threads: a console's live stream (GET /api/v1/live), a hall display's and an open ticket
# page's (GET /api/v1/halls/{id}/events) each hold one for minutes while waiting, so a
# worker serves THREADS requests at once. Live updates cross workers by PostgreSQL's NOTIFY.
worker_class = "gthread"
threads = int(os.environ.get("THREADS", 32))
# A phone's push of 500 mutations or a photo on a slow line takes a while; never forever.
timeout = 60
graceful_timeout = 30
# Long enough for a phone to reuse its connection between a sync's requests.
keepalive = 5
accesslog = "-"
# Refuse absurd request lines and headers before the app sees them.
limit_request_line = 8190
limit_request_fields = 100
