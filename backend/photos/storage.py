"""Where blob bytes live.

Services talk to `BlobStorage` only, and get one from `get_storage()`, so that an
S3-compatible store can replace the filesystem later without touching anything else.
A blob is stored under its SHA-256; derived files (the thumbnail) are variants of it.
"""

from __future__ import annotations

import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO

from backend.common.ids import SHA256_HEX
from backend.common.settings import instance_path, process_cache, setting

ORIGINAL = "original"
THUMBNAIL = "thumb"
VARIANTS = (ORIGINAL, THUMBNAIL)

class BlobStorage(ABC):
    """Immutable files keyed by (sha256, variant); writes are all-or-nothing."""

    @abstractmethod
    def exists(self, sha256: str, variant: str = ORIGINAL) -> bool: ...

    @abstractmethod
    def open(self, sha256: str, variant: str = ORIGINAL) -> BinaryIO:
        """The stored bytes, for reading; FileNotFoundError when they are not there."""

    @abstractmethod
    def size(self, sha256: str, variant: str = ORIGINAL) -> int:
        """Size in bytes; FileNotFoundError when not there."""

    @abstractmethod
    def staging_path(self) -> AbstractContextManager[Path]:
        """A fresh empty local file to write into, removed on exit unless `put_file` took it.

        It lies where `put_file` can take it cheaply (the same filesystem, for a rename).
        """

    @abstractmethod
    def put_file(self, sha256: str, tmp_path: Path, variant: str = ORIGINAL) -> None:
        """Move a finished staging file into place: readers see all of it or nothing."""

    @abstractmethod
    def delete(self, sha256: str, variant: str = ORIGINAL) -> None:
        """Remove, if there: to undo a `put_file` whose transaction failed, or an image no
        record names any more."""


class FilesystemBlobStorage(BlobStorage):
    """Files under `root/ab/cd/<sha256>`; two levels of fan-out keep directories small."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.staging_dir = self.root / "tmp"

    def path(self, sha256: str, variant: str = ORIGINAL) -> Path:
        # The name comes from a URL: anything but a hash could walk out of the root.
        if not SHA256_HEX.fullmatch(sha256) or variant not in VARIANTS:
            raise ValueError(f"not a blob key: {sha256!r}, {variant!r}")
        name = sha256 if variant == ORIGINAL else f"{sha256}.{variant}"
        return self.root / sha256[:2] / sha256[2:4] / name

    def exists(self, sha256: str, variant: str = ORIGINAL) -> bool:
        return self.path(sha256, variant).is_file()

    def open(self, sha256: str, variant: str = ORIGINAL) -> BinaryIO:
        return self.path(sha256, variant).open("rb")

    def size(self, sha256: str, variant: str = ORIGINAL) -> int:
        return self.path(sha256, variant).stat().st_size

    @contextmanager
    def staging_path(self) -> Iterator[Path]:
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.staging_dir, prefix="incoming-")
        os.close(fd)
        path = Path(name)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    def put_file(self, sha256: str, tmp_path: Path, variant: str = ORIGINAL) -> None:
        target = self.path(sha256, variant)
        target.parent.mkdir(parents=True, exist_ok=True)
        # On disk before the rename, and the rename on disk before the caller commits:
        # after a crash the database must never vouch for a missing or empty file.
        with open(tmp_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, target)
        _fsync_directory(target.parent)

    def delete(self, sha256: str, variant: str = ORIGINAL) -> None:
        self.path(sha256, variant).unlink(missing_ok=True)


def _fsync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not possible on every platform; the rename itself is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def get_storage() -> BlobStorage:
    """The blob store of this app: BLOB_STORAGE_PATH, or `<instance>/blobs` by default.

    Cached per process (a remote store would keep its client and connection pool);
    keyed by the root so that a changed setting takes effect.
    """
    root = Path(setting("BLOB_STORAGE_PATH") or Path(instance_path()) / "blobs")
    cache = process_cache()
    key = f"blob_storage:{root}"
    storage = cache.get(key)
    if storage is None:
        storage = cache[key] = FilesystemBlobStorage(root)
    return storage
