"""The web app's files: the PWA shell at /, its assets under their own paths."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"

pages_blp = Blueprint("pages", __name__)


@pages_blp.get("/")
def index():
    return send_from_directory(PWA_DIR, "index.html")


@pages_blp.get("/favicon.ico")
def favicon():
    return send_from_directory(PWA_DIR / "icons", "icon.svg", mimetype="image/svg+xml")


@pages_blp.get("/<path:filename>")
def asset(filename: str):
    # Anything under /api/ that no route matched is an API 404, not a page.
    if filename.startswith("api/"):
        from werkzeug.exceptions import NotFound

        raise NotFound()
    return send_from_directory(PWA_DIR, filename)
