"""Security headers on every response: what the browser may load and run, and what it
may keep.

The PWA is ES modules and a stylesheet from this origin, with no inline script, no inline
style attribute and no eval; photos are shown from blob: URLs and thumbnails. Leaflet
positions its panes through the CSSOM (element.style), which style-src does not govern.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "font-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# The app itself may ask for the position (fences, patrols) and the camera (photos); no
# frame or other origin may, and the rest is off.
PERMISSIONS_POLICY = ("geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), "
                      "serial=(), bluetooth=(), midi=(), interest-cohort=()")
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy() -> str:
    """The policy, with the one map's base map (MAP_TILE_URL, off by default) allowed as
    images when the operator set one."""
    tiles = urlsplit(current_app.config.get("MAP_TILE_URL") or "")
    if tiles.scheme not in ("https", "http") or not tiles.netloc:
        return CONTENT_SECURITY_POLICY
    host = tiles.netloc.replace("{s}", "*")
    if not re.fullmatch(r"[A-Za-z0-9.*:-]+", host):
        return CONTENT_SECURITY_POLICY  # nothing that could end the directive
    origin = f"{tiles.scheme}://{host}"
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' blob: data:",
                                           f"img-src 'self' blob: data: {origin}")


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.path.startswith("/api/") and "Cache-Control" not in headers:
        # Tokens and personal data: no browser or proxy keeps a copy. Photos say otherwise
        # themselves (immutable, private).
        headers["Cache-Control"] = "no-store"
    return response
