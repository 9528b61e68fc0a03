"""HTTP compression both ways: gzip answers for clients that accept it, gzip request bodies.

A worker's day is ~6 MB of JSON (pushes, their results, the pull after them) that gzip
shrinks about tenfold, on a phone's metered data plan. Browsers decode answers by
themselves; the PWA gzips large push bodies itself (pwa/app/shrink.js).

Answers: JSON and other text of at least MIN_BYTES, when `Accept-Encoding` allows gzip;
never images or other packed types, HEAD, 304, ranges, streamed files or `no-transform`.

Request bodies: `Content-Encoding: gzip` is decoded as the view reads the body, so a view
that ends its SQLite transaction before the read (auth_required) still does. The request's
byte limit (max_content_length: MAX_CONTENT_LENGTH, or a route's own, such as
SYNC_MAX_BATCH_BYTES) applies to the compressed bytes received and to the decompressed
bytes alike: a small "zip bomb" is 413, like an oversized plain body. Corrupt gzip is 400,
any other encoding 415.
"""

from __future__ import annotations

import gzip
import io
import zlib

import flask
from flask import Flask, Response, request
from werkzeug.utils import cached_property

from backend.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MIN_BYTES = 1024
# Measured on a pull page of 1,000 reports (1.2 MB of JSON): level 1 takes 6 ms and leaves
# 230 KB, level 5 takes 12 ms and leaves 214 KB, level 6 15 ms for 213 KB. On a phone's
# 1 Mbit/s link level 5's 16 KB less are 130 ms saved against 6 ms of server time.
LEVEL = 5
COMPRESSIBLE_TYPES = frozenset({
    "application/json", "application/javascript", "application/xml", "application/geo+json",
    "application/manifest+json", "application/problem+json", "image/svg+xml",
})
GZIP_NAMES = frozenset({"gzip", "x-gzip"})
READ_BYTES = 64 * 1024


def init_app(app: Flask) -> None:
    app.request_class = Request
    app.after_request(compress_response)


# -- request bodies -----------------------------------------------------------------------

class Request(flask.Request):
    @cached_property
    def stream(self):
        raw = flask.Request.stream.fget(self)  # werkzeug's, with its limit on what arrives
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding == "identity":
            return raw
        if encoding not in GZIP_NAMES:
            raise UnsupportedMediaType(
                f"Content-Encoding {encoding!r} is not supported; send gzip or nothing.",
                code="unsupported_content_encoding")
        return io.BufferedReader(GzipBody(raw, self.max_content_length), READ_BYTES)

    def get_json(self, *args, **kwargs):
        # JSON nested deeper than Python's parser recurses is malformed like any other bad
        # JSON (silent=True only covers ValueError): a 400, not a 500.
        try:
            return super().get_json(*args, **kwargs)
        except RecursionError:
            raise BadRequest("The JSON body is nested too deeply.", code="malformed_json") from None


class GzipBody(io.RawIOBase):
    """Decompresses a gzip stream (one or more members) as it is read, never holding more
    than one read's worth, and refuses more than `limit` decompressed bytes."""

    def __init__(self, raw, limit: int | None):
        self._raw = raw
        self._limit = limit
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        self._pending = b""  # compressed input not yet given to the inflater
        self._started = False
        self._ended = False
        self._out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not len(buffer):
            return 0  # zlib takes max_length 0 as "no limit"
        while not self._ended:
            if not self._pending:
                self._pending = self._raw.read(READ_BYTES)
                if not self._pending:
                    self._finish()
                    break
                self._started = True
            try:
                data = self._inflater.decompress(self._pending, len(buffer))
            except zlib.error as error:
                raise _corrupt() from error
            self._pending = self._inflater.unconsumed_tail
            if self._inflater.eof:  # a member ended; gzip allows another to follow
                self._pending = self._inflater.unused_data + self._pending
                self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                self._started = bool(self._pending)
            if data:
                self._out += len(data)
                if self._limit is not None and self._out > self._limit:
                    raise PayloadTooLarge(f"The body may have at most {self._limit} bytes "
                                          "once decompressed.")
                buffer[:len(data)] = data
                return len(data)
        return 0

    def _finish(self) -> None:
        # Input ended: fine between members (or for an empty body), corrupt inside one.
        if self._started:
            raise _corrupt()
        self._ended = True


def _corrupt() -> BadRequest:
    return BadRequest("The body is not valid gzip.", code="malformed_gzip")


# -- answers ----------------------------------------------------------------------------

def compressible(mimetype: str | None) -> bool:
    return bool(mimetype) and (mimetype.startswith("text/") or mimetype in COMPRESSIBLE_TYPES
                               or mimetype.endswith(("+json", "+xml")))


def compress_response(response: Response) -> Response:
    if not compressible(response.mimetype):
        return response
    # Caches must not hand a gzipped answer to a client that did not ask for one.
    response.vary.add("Accept-Encoding")
    if (request.method == "HEAD" or response.status_code < 200
            or response.status_code in (204, 206, 304)
            or response.direct_passthrough or response.is_streamed
            or "Content-Encoding" in response.headers or "Content-Range" in response.headers
            or "no-transform" in (response.headers.get("Cache-Control") or "")
            or request.accept_encodings["gzip"] <= 0):
        return response
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(data, compresslevel=LEVEL, mtime=0))  # sets Content-Length
    response.headers["Content-Encoding"] = "gzip"
    if response.headers.get("ETag"):
        # Other bytes than the plain answer: a strong validator no longer matches them.
        response.set_etag(response.get_etag()[0], weak=True)
    return response
