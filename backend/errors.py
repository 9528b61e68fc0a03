"""The AppError family and the one mapping of every error to `{"error": {"code", "message"}}`.

Services raise AppError subclasses; nothing else builds an error response.
"""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}
        self.headers = headers or {}


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class Gone(AppError):
    status, code = 410, "gone"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_media_type"


class Invalid(AppError):
    status, code = 422, "validation_error"


class TooManyRequests(AppError):
    status, code = 429, "too_many_requests"


class Unavailable(AppError):
    status, code = 503, "unavailable"


# Stable codes for werkzeug's exceptions; the rest fall back to their snake_cased name.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


def error_body(status: int, code: str, message: str, **extra) -> tuple:
    error = {"code": code, "message": message, **{k: v for k, v in extra.items() if v}}
    return jsonify({"error": error}), status


def _flatten_messages(messages, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            # webargs nests by location ("json", "query"); the location adds nothing for a reader.
            name = "" if key in ("json", "query", "form", "files", "headers", "path") and not prefix \
                else (f"{prefix}.{key}" if prefix else str(key))
            parts.extend(_flatten_messages(value, name))
        return parts
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        text = " ".join(messages)
        return [f"{prefix}: {text}" if prefix else text]
    if isinstance(messages, list):
        return [p for item in messages for p in _flatten_messages(item, prefix)]
    return [f"{prefix}: {messages}" if prefix else str(messages)]


def http_error_response(error: HTTPException):
    status = error.code or 500
    code = _HTTP_CODES.get(status) or (error.name or "error").lower().replace(" ", "_")
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:
        if status == 400 and "Invalid JSON body." in str(messages):
            code = "malformed_json"
        message = "; ".join(_flatten_messages(messages))
        fields = messages.get("json", messages) if isinstance(messages, dict) else None
        # Per-field problems only: a body that is not JSON at all has no fields, just a message.
        fields = fields if isinstance(fields, dict) else None
        response, status = error_body(status, code, message, fields=fields)
    else:
        response, status = error_body(status, code, error.description or error.name)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response, status


class ErrorDetail(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable, machine-readable."})
    message = ma.fields.String(required=True, metadata={"description": "For people (English)."})
    fields = ma.fields.Dict(metadata={"description": "Per-field problems of a 422."})
    reason = ma.fields.String(metadata={"description": "Which rule a `weak_password` broke: "
                                        "`too_short`, `is_username`, `one_kind` or `common`."})
    # The service hall's: which ticket stands in the way (window_busy, ticket_open,
    # recall_first) and what state it is in now (invalid_transition).
    ticket_id = ma.fields.String(metadata={"description": "The ticket in the way."})
    number = ma.fields.String(metadata={"description": "Its number, e.g. A007."})
    current = ma.fields.Dict(metadata={"description": "What it is now, e.g. {\"status\": \"done\"}."})
    retry_after_s = ma.fields.Integer(metadata={"description": "A 429's or 503's wait, as Retry-After."})


class ErrorEnvelope(ma.Schema):
    error = ma.fields.Nested(ErrorDetail, required=True)


def _rollback() -> None:
    # The app's Flask-SQLAlchemy session, looked up rather than imported: extensions.py
    # imports this module for the error envelope.
    current_app.extensions["sqlalchemy"].session.rollback()


def init_app(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(error: AppError):
        _rollback()
        response, status = error_body(error.status, error.code, error.message, **error.details)
        for name, value in error.headers.items():
            response.headers[name] = value
        return response, status

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        _rollback()
        return http_error_response(error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        # Never a stack trace to the client, never a half-written change.
        _rollback()
        log.exception("unhandled error")
        return error_body(500, "internal_error", "Internal server error.")
