"""Blobs: photo bytes addressed by their SHA-256 (SYNC_PROTOCOL.md "Blobs (photos)").

A `photos` record syncs first and names its bytes by hash; the bytes follow with a
PUT whenever the phone has signal. The server keeps only bytes that hash right and
are a whole JPEG, PNG or WebP, keeps them without their metadata, and serves them to
whoever may see a referencing photo.

The hash names the bytes the phone sent, not the bytes the server keeps. A phone names
its photo offline, in records it may push long before the bytes, and retries the same
PUT until it gets an answer; only a name made from what the phone holds serves all of
that, so metadata removed here (the app's photos carry none, so theirs are kept as they
are) leaves the name alone: the same upload again is still "already there", and the
bytes served under the name are the kept ones.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from backend.common.auth import ADMIN, RegionScope
from backend.common.ids import SHA256_HEX
from backend.common.settings import setting
from backend.common.time import utcnow
from backend.errors import BadRequest, Invalid, NotFound, PayloadTooLarge, TooManyRequests
from backend.extensions import db
from backend.incidents import cases
from backend.photos import images
from backend.photos.models import Blob, Photo
from backend.photos.storage import ORIGINAL, THUMBNAIL, BlobStorage, get_storage
from backend.sync_adapter import services as sync_adapter

log = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
# What the API documents: the types kept, and the thumbnail's.
IMAGE_TYPES, THUMBNAIL_TYPE = images.IMAGE_TYPES, images.THUMBNAIL_TYPE


@dataclass
class BlobFile:
    """Bytes to send: an open file (the caller sends and closes it) and how to label it."""

    file: BinaryIO
    content_type: str
    size_bytes: int
    etag: str


def check_sha256(sha256: str) -> None:
    if not SHA256_HEX.fullmatch(sha256):
        raise BadRequest("A blob is named by its SHA-256: 64 lowercase hex characters.",
                         code="invalid_sha256")


# -- upload ----------------------------------------------------------------------------

def store_blob(user, sha256: str, stream: BinaryIO, *,
               declared_length: int | None) -> tuple[Blob, bool]:
    """Receive a blob's bytes; returns the row and whether it is new (201) or was there (200).

    Nothing is kept unless the bytes hash to `sha256`, fit BLOB_MAX_BYTES and are a whole
    image; what is kept is that image without its metadata. The row, the photos it
    completes and their sync change commit together, and the file is moved into place
    just before that commit.
    """
    check_sha256(sha256)
    max_bytes = setting("BLOB_MAX_BYTES")
    if declared_length is not None and declared_length > max_bytes:
        raise _too_large(max_bytes)
    storage = get_storage()
    existing = db.session.get(Blob, sha256)
    if existing is not None and storage.exists(sha256):
        # Same hash, same bytes: nothing to check or rewrite, and the body is left unread.
        return existing, False
    uploaded_today = _bytes_uploaded_today(user)
    _check_quota(uploaded_today + (declared_length or 0))
    # A slow phone may take a minute to send; don't sit idle in a transaction meanwhile.
    db.session.rollback()
    with storage.staging_path() as tmp_path, storage.staging_path() as thumbnail_path:
        received_bytes = _receive(stream, tmp_path, sha256, max_bytes)
        _check_quota(uploaded_today + received_bytes)
        info = images.read_image(tmp_path)
        images.strip_metadata(tmp_path, info)
        try:
            # Made from the stripped file: the decode checks exactly what will be served.
            images.write_thumbnail(tmp_path, thumbnail_path)
        except images.NotAnImage as error:
            raise images.not_an_image() from error
        return _keep(user, sha256, tmp_path, thumbnail_path, info, storage)


def _bytes_uploaded_today(user) -> int:
    """What this account stored in the last 24 hours."""
    since = utcnow() - timedelta(days=1)
    return db.session.scalar(select(func.coalesce(func.sum(Blob.size_bytes), 0)).where(
        Blob.uploader_id == user.id, Blob.created_at > since)) or 0


def _check_quota(total_bytes: int) -> None:
    quota = setting("BLOB_DAILY_QUOTA_BYTES")
    if total_bytes > quota:
        # A phone retries later; photos already uploaded stay, nothing of this one is kept.
        raise TooManyRequests(f"An account may upload {quota} bytes of photos a day.",
                              code="upload_quota", headers={"Retry-After": "3600"},
                              details={"retry_after_s": 3600})


def remove_unreferenced_blobs(*, older_than: timedelta) -> dict:
    """Remove the stored images that no photo record names and that are older than this:
    uploads whose record never came (or was never meant to). One transaction; the files go
    once it has committed."""
    cutoff = utcnow() - older_than
    referenced = select(Photo.sha256).where(Photo.sha256 == Blob.sha256).exists()
    doomed = list(db.session.scalars(select(Blob).where(Blob.created_at < cutoff, ~referenced)))
    freed = sum(blob.size_bytes for blob in doomed)
    for blob in doomed:
        db.session.delete(blob)
    db.session.commit()
    storage = get_storage()
    for blob in doomed:
        for variant in (ORIGINAL, THUMBNAIL):
            storage.delete(blob.sha256, variant)
    return {"removed": len(doomed), "bytes": freed}


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"A photo may have at most {max_bytes} bytes.")


def _receive(stream: BinaryIO, path: Path, sha256: str, max_bytes: int) -> int:
    """Copy the body to `path` while hashing; stop as soon as it is too large."""
    digest, size_bytes = hashlib.sha256(), 0
    with open(path, "wb") as out:
        while chunk := stream.read(CHUNK_BYTES):
            size_bytes += len(chunk)
            if size_bytes > max_bytes:
                raise _too_large(max_bytes)
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise BadRequest("The bytes do not hash to the SHA-256 in the address.", code="hash_mismatch")
    return size_bytes


def _keep(user, sha256: str, tmp_path: Path, thumbnail_path: Path, info: images.ImageInfo,
          storage: BlobStorage) -> tuple[Blob, bool]:
    blob = db.session.get(Blob, sha256)
    is_new = blob is None
    if is_new:
        blob = Blob(sha256=sha256, size_bytes=tmp_path.stat().st_size, content_type=info.content_type,
                    width=info.width, height=info.height, uploader_id=user.id, created_at=utcnow())
        db.session.add(blob)
        try:
            # The new row doubles as a lock: a concurrent upload of the same bytes waits
            # here until we commit or roll back, so the file below is ours to undo.
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return db.session.get(Blob, sha256), False  # the other upload won; it is all there
    # else: the row outlived its file (storage restored from an older backup); put it back.
    storage.put_file(sha256, tmp_path)
    try:
        storage.put_file(sha256, thumbnail_path, THUMBNAIL)
        _complete_photos(blob)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if is_new:
            for variant in (ORIGINAL, THUMBNAIL):
                storage.delete(sha256, variant)
        raise
    return blob, is_new


def _complete_photos(blob: Blob) -> None:
    """Photo records that synced before their bytes: mark them complete, and log the change
    so that every phone and console holding them pulls "photo pending" away."""
    photos = db.session.scalars(select(Photo).where(
        Photo.sha256 == blob.sha256, Photo.deleted.is_(False),
        or_(Photo.has_blob.is_(False), Photo.width.is_(None), Photo.height.is_(None)))).all()
    if not photos:
        return
    for photo in photos:
        photo.has_blob = True
        if photo.width is None or photo.height is None:
            photo.width, photo.height = blob.width, blob.height
    db.session.flush()
    sync_adapter.touch_records("photos", [photo.id for photo in photos])


# -- reading ---------------------------------------------------------------------------

def stored_blob_size(sha256: str) -> int:
    """The size of a blob the server has; NotFound otherwise (the client should upload)."""
    check_sha256(sha256)
    blob = db.session.get(Blob, sha256)
    if blob is None or not get_storage().exists(sha256):
        raise NotFound("The server does not have this blob.")
    return blob.size_bytes


def may_read_blob(user, blob: Blob, case_id: uuid.UUID | None = None) -> bool:
    """The uploader, an admin, someone who may see a live photo record naming this blob (in
    their region scope, as SQL, or uploaded by them), or — asked with `case_id` — someone who
    may see that case when the case names it (a department reads a report's photos, a
    supervisor the "after" photos of the department's handling)."""
    if blob.uploader_id == user.id or ADMIN in user.role_names:
        return True
    if case_id is not None and blob.sha256 in cases.photos_of_visible_case(user, case_id):
        return True
    scope = RegionScope.for_user(user)
    query = select(Photo.id).where(
        Photo.sha256 == blob.sha256, Photo.deleted.is_(False),
        or_(scope.filter(Photo.scope_path), Photo.uploader_id == user.id)).limit(1)
    return db.session.scalar(query) is not None


def _readable_blob(user, sha256: str, case_id: uuid.UUID | None = None) -> Blob:
    check_sha256(sha256)
    blob = db.session.get(Blob, sha256)
    # 404, not 403: whether a photo exists is itself not for everyone to learn.
    if blob is None or not may_read_blob(user, blob, case_id):
        raise NotFound("No such blob.")
    return blob


def _open(storage: BlobStorage, sha256: str, variant: str, content_type: str) -> BlobFile:
    try:
        return BlobFile(storage.open(sha256, variant), content_type, storage.size(sha256, variant),
                        etag=sha256)
    except FileNotFoundError:
        # The row outlived its file; HEAD says 404 too, so the uploader will send it again.
        log.warning("blob %s (%s) is recorded but missing from storage", sha256, variant)
        raise NotFound("No such blob.") from None


def open_blob(user, sha256: str, case_id: uuid.UUID | None = None) -> BlobFile:
    """The original bytes, to a user allowed to see them."""
    blob = _readable_blob(user, sha256, case_id)
    return _open(get_storage(), sha256, ORIGINAL, blob.content_type)


def open_thumbnail(user, sha256: str, case_id: uuid.UUID | None = None) -> BlobFile:
    """A JPEG at most 320 px on its longest side, made at upload (or, for an image kept
    without one, on first request) and then kept."""
    _readable_blob(user, sha256, case_id)
    storage = get_storage()
    if not storage.exists(sha256, THUMBNAIL) and storage.exists(sha256):
        make_thumbnail(storage, sha256)
    return _open(storage, sha256, THUMBNAIL, THUMBNAIL_TYPE)


def make_thumbnail(storage: BlobStorage, sha256: str) -> None:
    """Store the thumbnail variant, for an image kept without one. Two requests may race to
    make it; both write the same picture and each move is atomic, so either result stands."""
    with storage.staging_path() as tmp_path:
        try:
            with storage.open(sha256) as source:
                images.write_thumbnail(source, tmp_path)
        except images.NotAnImage as error:
            # Uploads are decoded whole before they are kept, but an image kept before they
            # were (a WebP was taken on its structure alone) may be damaged inside.
            log.warning("blob %s does not decode: %s", sha256, error)
            raise Invalid("The stored image cannot be decoded.", code="not_an_image") from error
        storage.put_file(sha256, tmp_path, THUMBNAIL)
