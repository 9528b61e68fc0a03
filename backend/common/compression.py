"""HTTP compression both ways: zstd or gzip answers for clients that accept them, gzip
request bodies.

A worker's day is ~6 MB of JSON (pushes, their results, the pull after them) that gzip
shrinks about tenfold, on a phone's metered data plan. Browsers decode answers by
themselves; the PWA gzips large push bodies itself (pwa/app/shrink.js).

Answers: JSON and other text of at least MIN_BYTES, when `Accept-Encoding` allows zstd or
gzip; never images or other packed types, HEAD, 304, ranges, streamed files or
`no-transform`. zstd goes to clients that accept it at least as well as gzip (Chrome from
version 123 asks for it over HTTPS): on a pull page of 1,000 reports (1.1 MB of JSON) it
took 0.9 ms for 126 KB where gzip at level 5 took 7.3 ms for 138 KB, and it decodes faster
on the phone too. Other clients (Chrome over plain HTTP, older WebViews) get gzip.

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
import sys
import zlib

import flask
from flask import Flask, Response, request
from werkzeug.utils import cached_property

from backend.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MIN_BYTES = 1024
if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

# Measured on a pull page of 1,000 reports (1.2 MB of JSON): level 1 takes 6 ms and leaves
# 230 KB, level 5 takes 12 ms and leaves 214 KB, level 6 15 ms for 213 KB. On a phone's
# 1 Mbit/s link level 5's 16 KB less are 130 ms saved against 6 ms of server time.
LEVEL = 5
# zstd's own fastest level: on the same kind of page level 1 packed as small as level 3
# (126 KB and 133 KB, 0.9 ms and 1.4 ms). Its window stays within the 8 MB that browsers
# decode (RFC 8878) for any answer size.
ZSTD_LEVEL = 1
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
            or "no-transform" in (response.headers.get("Cache-Control") or "")):
        return response
    encoding = _chosen_encoding()
    if encoding is None:
        return response
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    if encoding == "zstd":
        packed = zstd.compress(data, level=ZSTD_LEVEL)
    else:
        packed = gzip.compress(data, compresslevel=LEVEL, mtime=0)
    response.set_data(packed)  # sets Content-Length
    response.headers["Content-Encoding"] = encoding
    if response.headers.get("ETag"):
        # Other bytes than the plain answer: a strong validator no longer matches them.
        response.set_etag(response.get_etag()[0], weak=True)
    return response


def _chosen_encoding() -> str | None:
    """zstd if the client names it and takes it at least as gladly as gzip, else gzip, else
    nothing. (A bare `*` gets gzip: every HTTP client decodes that.)"""
    accepted = request.accept_encodings
    zstd_q, gzip_q = accepted["zstd"], accepted["gzip"]
    named = any(value.lower() == "zstd" for value, _quality in accepted)
    if named and zstd_q > 0 and zstd_q >= gzip_q:
        return "zstd"
    return "gzip" if gzip_q > 0 else None
