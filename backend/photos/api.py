"""Blobs over HTTP: photo bytes addressed by SHA-256 (SYNC_PROTOCOL.md "Blobs (photos)")."""

from __future__ import annotations

from flask import Response, request, send_file
from flask.views import MethodView

from backend.common.auth import (
    ADMIN,
    CITIZEN,
    DEPARTMENT,
    SUPERVISOR,
    WORKER,
    auth_required,
    current_user,
)
from backend.common.ids import SHA256_HEX
from backend.common.settings import setting
from backend.extensions import Blueprint
from backend.photos import schemas, services

blobs_blp = Blueprint("blobs", __name__, url_prefix="/api/v1/blobs",
                      description="Photo bytes, addressed by the SHA-256 that photo records name.")

# SYNC_PROTOCOL.md writes the address /blobs/{sha256}; the path variable is `sha`.
SHA256_PARAMETER = {"in": "path", "name": "sha", "description": "SHA-256 of the bytes, lowercase hex.",
                    "schema": {"type": "string", "pattern": SHA256_HEX.pattern}}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {"required": True, "description": "The image bytes, at most BLOB_MAX_BYTES.",
               "content": {content_type: _BINARY for content_type in services.IMAGE_TYPES.values()}}
IMAGE_RESPONSE = {"description": "The bytes, with `ETag` (the hash) and a year-long private cache.",
                  "content": {content_type: _BINARY for content_type in services.IMAGE_TYPES.values()}}
THUMBNAIL_RESPONSE = {"description": "A JPEG, at most 320 px on its longest side.",
                      "content": {services.THUMBNAIL_TYPE: _BINARY}}
NOT_MODIFIED = {"description": "`If-None-Match` named this hash: the cached copy is current."}
# Bytes under a hash never change, but they are a person's photo: browsers may keep them
# for good, shared caches not at all.
CACHE_CONTROL = "private, max-age=31536000, immutable"


@blobs_blp.before_request
def _photo_sized_bodies():
    # MAX_CONTENT_LENGTH is sized for JSON; a photo may be larger. Werkzeug then refuses a
    # larger Content-Length up front and stops a streamed body once it passes the limit.
    request.max_content_length = setting("BLOB_MAX_BYTES")


def _send(found: services.BlobFile) -> Response:
    response = send_file(found.file, mimetype=found.content_type, etag=found.etag, conditional=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers.pop("Expires", None)
    # Served from our own origin: never let a browser guess a riskier type than we checked.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Those who attach photos: workers and citizens to reports (the daily quota keeps a citizen
# from filling the disk), department staff to a handled case's result.
UPLOADER_ROLES = (WORKER, SUPERVISOR, ADMIN, DEPARTMENT, CITIZEN)


@blobs_blp.route("/<sha>", parameters=[SHA256_PARAMETER])
class BlobBytes(MethodView):
    # Only the roles whose records carry photos (reports, patrols) may store bytes.
    @auth_required(*UPLOADER_ROLES)
    @blobs_blp.doc(requestBody=UPLOAD_BODY)
    @blobs_blp.response(201, schemas.BlobOut, description="Stored.")
    @blobs_blp.alt_response(200, schema=schemas.BlobOut, success=True,
                            description="The server already had it; nothing was rewritten.")
    @blobs_blp.alt_response(400, description="Bad hash in the address (`invalid_sha256`), bytes "
                            "that do not hash to it (`hash_mismatch`), or `not_an_image` (another "
                            "type, an animation, over 24 megapixels, damaged or cut short).")
    @blobs_blp.alt_response(413, description="More than BLOB_MAX_BYTES.")
    def put(self, sha: str):
        """Upload a photo's bytes: hash, real type (JPEG, PNG, WebP), size and every pixel are
        checked, and metadata (EXIF, XMP, comments) is not kept; idempotent."""
        blob, is_new = services.store_blob(current_user(), sha, request.stream,
                                           declared_length=request.content_length)
        return blob, 201 if is_new else 200

    # Anyone signed in may ask: the answer reveals only that some photo has this hash, which
    # nobody can guess without holding the photo, and a client must know it to skip or
    # resume an upload. The bytes themselves stay behind GET's check.
    @auth_required()
    @blobs_blp.doc(responses={"200": {"description": "The server has it; `Content-Length` is its size."},
                              "404": {"description": "The server does not have it: upload it."}})
    def head(self, sha: str):
        """Does the server have these bytes? 200 with their size, or 404."""
        size_bytes = services.stored_blob_size(sha)
        return Response(status=200, headers={"Content-Length": str(size_bytes), "ETag": f'"{sha}"'})

    @auth_required()
    @blobs_blp.doc(responses={"200": IMAGE_RESPONSE, "304": NOT_MODIFIED})
    @blobs_blp.alt_response(404, description="No such blob, or not one the caller may see.")
    @blobs_blp.arguments(schemas.BlobReadArgs, location="query")
    def get(self, args, sha: str):
        """The bytes, to their uploader, an admin, whoever may see a photo record naming them,
        or (with `case_id`) whoever may see a case that names them."""
        return _send(services.open_blob(current_user(), sha, **args))


@blobs_blp.route("/<sha>/thumbnail", parameters=[SHA256_PARAMETER])
class BlobThumbnail(MethodView):
    @auth_required()
    @blobs_blp.doc(responses={"200": THUMBNAIL_RESPONSE, "304": NOT_MODIFIED})
    @blobs_blp.alt_response(404, description="No such blob, or not one the caller may see.")
    @blobs_blp.alt_response(422, description="The stored image cannot be decoded (`not_an_image`).")
    @blobs_blp.arguments(schemas.BlobReadArgs, location="query")
    def get(self, args, sha: str):
        """A small JPEG of the photo (longest side 320 px), to the same people as the bytes."""
        return _send(services.open_thumbnail(current_user(), sha, **args))
