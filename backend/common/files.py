"""Files the server keeps for itself in its instance folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def load_or_create_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """A file's bytes, made once by `make()` when it is missing (a key shared by every
    gunicorn worker and kept across restarts). Written whole to a file of this process and
    linked into place, so that workers starting together agree on one and never read half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker's came first: use that one
        finally:
            draft.unlink()
    return path.read_bytes()
