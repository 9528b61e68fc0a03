"""A request id on every request: taken from the proxy's X-Request-ID when it is sane, else
made here; sent back in X-Request-ID and written on every log line of the request, so that
what a user reports ("request 3f…") leads to the server's lines about it."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
# What a proxy may hand us: short, plain characters (never raw text into our logs).
_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def init_app(app: Flask) -> None:
    app.before_request(_take_request_id)
    app.after_request(_send_request_id)
    install_log_field()


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def current_client_address() -> str | None:
    """The client's address (the proxy's forwarded one behind TRUSTED_PROXIES), outside a
    request None."""
    return (request.remote_addr or None) if has_request_context() else None


def _take_request_id() -> None:
    given = request.headers.get(HEADER)
    g.request_id = given if given and _SANE.match(given) else uuid.uuid4().hex


def _send_request_id(response: Response) -> Response:
    request_id = current_request_id()
    if request_id:
        response.headers[HEADER] = request_id
    return response


def install_log_field() -> None:
    """Every log record gets `request_id` ("-" outside a request), whoever logs it: our
    modules, the sync engine, libraries."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "adds_request_id", False):
        return

    def record_with_request_id(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    record_with_request_id.adds_request_id = True
    logging.setLogRecordFactory(record_with_request_id)
