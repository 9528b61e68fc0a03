"""Blobs: photo bytes addressed by their SHA-256 (SYNC_PROTOCOL.md "Blobs (photos)").

A `photos` record syncs first and names its bytes by hash; the bytes follow with a
PUT whenever the phone has signal. The server keeps only bytes that hash right and
are a real JPEG, PNG or WebP, and serves them to whoever may see a referencing photo.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from PIL import ExifTags, Image, ImageOps
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from backend.common.auth import ADMIN, RegionScope
from backend.common.ids import SHA256_HEX
from backend.common.settings import setting
from backend.common.time import utcnow
from backend.errors import BadRequest, Invalid, NotFound, PayloadTooLarge, TooManyRequests
from backend.extensions import db
from backend.photos.models import Blob, Photo
from backend.photos.storage import ORIGINAL, THUMBNAIL, BlobStorage, get_storage
from backend.sync_adapter import services as sync_adapter

log = logging.getLogger(__name__)

# Pillow's format name → the Content-Type we record and serve.
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
CHUNK_BYTES = 64 * 1024
# Phones send photos shrunk to ~150 KB, but a full-size camera original must still pass.
# Beyond this a tiny file could expand to gigabytes when decoded (a decompression bomb);
# The largest phone cameras' photos (24 MP); the app shrinks to 1600 px anyway. Pillow's own
# limit (Image.MAX_IMAGE_PIXELS, ~89 MP) is only a warning until 2×.
MAX_IMAGE_PIXELS = 24_000_000
THUMBNAIL_SIDE_PX = 320
THUMBNAIL_TYPE = "image/jpeg"
# EXIF orientations that turn the picture a quarter: width and height swap on screen.
_QUARTER_TURNS = {5, 6, 7, 8}


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


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

    Nothing is kept unless the bytes hash to `sha256`, fit BLOB_MAX_BYTES and are a real
    image. The row, the photos it completes and their sync change commit together, and
    the file is moved into place just before that commit.
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
    with storage.staging_path() as tmp_path:
        size_bytes = _receive(stream, tmp_path, sha256, max_bytes)
        _check_quota(uploaded_today + size_bytes)
        info = inspect_image(tmp_path)
        return _keep(user, sha256, tmp_path, size_bytes, info, storage)


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


def _riff_complete(path: Path) -> bool:
    """The RIFF header's length (of what follows its first 8 bytes) matches the file."""
    with open(path, "rb") as file:
        header = file.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WEBP":
        return False
    stated = int.from_bytes(header[4:8], "little")
    return stated + 8 + (stated & 1) == path.stat().st_size or stated + 8 == path.stat().st_size


def inspect_image(path: Path) -> ImageInfo:
    """The real type and displayed size of an image file; `not_an_image` unless it is a
    complete JPEG, PNG or WebP of a sane pixel count."""
    try:
        with Image.open(path, formats=list(IMAGE_TYPES)) as image:
            image_format, (width, height) = image.format, image.size
            too_many_pixels = width * height > MAX_IMAGE_PIXELS
            if not too_many_pixels:
                image.verify()
        if not too_many_pixels and image_format == "WEBP":
            # A RIFF file states its own length, so a cut-off upload shows without decoding
            # (decoding a 1600 px WebP costs ~30 ms, a third of a day's blob uploads).
            if not _riff_complete(path):
                raise ValueError("truncated WebP")
            with Image.open(path, formats=["WEBP"]) as image:
                orientation = image.getexif().get(ExifTags.Base.Orientation)
        elif not too_many_pixels:
            # verify() checks structure only; a truncated JPEG passes it. Decoding finds that,
            # and JPEG's draft mode decodes at 1/8 scale, reading every byte at 1/64 the memory.
            with Image.open(path, formats=list(IMAGE_TYPES)) as image:
                image.draft("RGB", (max(width // 8, 1), max(height // 8, 1)))
                image.load()
                orientation = image.getexif().get(ExifTags.Base.Orientation)
    except Exception as error:  # Pillow reports bad input with many types; all mean "no"
        raise BadRequest("Not a complete JPEG, PNG or WebP image.", code="not_an_image") from error
    if too_many_pixels:
        raise BadRequest(f"An image may have at most {MAX_IMAGE_PIXELS} pixels.", code="not_an_image")
    if orientation in _QUARTER_TURNS:
        # Browsers apply EXIF orientation, so the size people see (and lay out) is turned.
        width, height = height, width
    return ImageInfo(IMAGE_TYPES[image_format], width, height)


def _keep(user, sha256: str, tmp_path: Path, size_bytes: int, info: ImageInfo,
          storage: BlobStorage) -> tuple[Blob, bool]:
    blob = db.session.get(Blob, sha256)
    is_new = blob is None
    if is_new:
        blob = Blob(sha256=sha256, size_bytes=size_bytes, content_type=info.content_type,
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
        _complete_photos(blob)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if is_new:
            storage.delete(sha256)
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


def may_read_blob(user, blob: Blob) -> bool:
    """The uploader, an admin, or someone who may see a live photo record naming this blob:
    in their region scope (RegionScope.covers, as SQL) or uploaded by them."""
    if blob.uploader_id == user.id or ADMIN in user.role_names:
        return True
    scope = RegionScope.for_user(user)
    query = select(Photo.id).where(
        Photo.sha256 == blob.sha256, Photo.deleted.is_(False),
        or_(scope.filter(Photo.scope_path), Photo.uploader_id == user.id)).limit(1)
    return db.session.scalar(query) is not None


def _readable_blob(user, sha256: str) -> Blob:
    check_sha256(sha256)
    blob = db.session.get(Blob, sha256)
    # 404, not 403: whether a photo exists is itself not for everyone to learn.
    if blob is None or not may_read_blob(user, blob):
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


def open_blob(user, sha256: str) -> BlobFile:
    """The original bytes, to a user allowed to see them."""
    blob = _readable_blob(user, sha256)
    return _open(get_storage(), sha256, ORIGINAL, blob.content_type)


def open_thumbnail(user, sha256: str) -> BlobFile:
    """A JPEG at most 320 px on its longest side, made on first request and then kept."""
    _readable_blob(user, sha256)
    storage = get_storage()
    if not storage.exists(sha256, THUMBNAIL) and storage.exists(sha256):
        make_thumbnail(storage, sha256)
    return _open(storage, sha256, THUMBNAIL, THUMBNAIL_TYPE)


def make_thumbnail(storage: BlobStorage, sha256: str) -> None:
    """Store the thumbnail variant. Two requests may race to make it; both write the same
    picture and each move is atomic, so either result stands."""
    box = (THUMBNAIL_SIDE_PX, THUMBNAIL_SIDE_PX)
    try:
        with storage.open(sha256) as source, Image.open(source, formats=list(IMAGE_TYPES)) as image:
            image.draft("RGB", box)  # JPEG: decode at the smallest scale still ≥ the box
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail(box)
            flat = _flatten(upright)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        # A WebP is checked at upload by its structure and stated length, not by decoding
        # every pixel (~18 ms a photo); one damaged inside shows here, as a refusal.
        log.warning("blob %s does not decode: %s", sha256, error)
        raise Invalid("The stored image cannot be decoded.", code="not_an_image") from error
    with storage.staging_path() as tmp_path:
        flat.save(tmp_path, "JPEG", quality=80, optimize=True)
        storage.put_file(sha256, tmp_path, THUMBNAIL)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG; transparent parts become white rather than black."""
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")
