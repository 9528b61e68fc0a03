"""Blobs: photo bytes under their SHA-256 — upload checks, metadata, who may read, thumbnails,
caching."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import threading
import uuid
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from backend.errors import PayloadTooLarge
from backend.photos import services
from backend.photos.models import Blob, Photo
from backend.photos.storage import THUMBNAIL, get_storage
from tests.factories import make_user
from tests.helpers import sessions_waiting_on_a_lock, wait_for

URL = "/api/v1/blobs"


# -- helpers ---------------------------------------------------------------------------

def image_bytes(fmt: str = "JPEG", size=(64, 48), color=(200, 80, 40), mode: str = "RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def noisy_jpeg(size=(200, 150)) -> bytes:
    """A JPEG whose scan data is most of the file, so that cutting it loses pixels."""
    buffer = io.BytesIO()
    Image.effect_noise(size, 80).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def noisy_webp(size=(200, 150), **save) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 80).convert("RGB").save(buffer, "WEBP", **{"quality": 75, **save})
    return buffer.getvalue()


def webp_cut_inside(whole: bytes, cut_bytes: int = 2000) -> bytes:
    """A WebP whose picture data is cut short while every length (RIFF, its last chunk)
    is told to match: it passes a structural check, and only decoding finds the damage."""
    last = 12
    while last + 8 + int.from_bytes(whole[last + 4:last + 8], "little") < len(whole):
        last += 8 + (int.from_bytes(whole[last + 4:last + 8], "little") + 1) // 2 * 2
    payload = whole[last + 8:-cut_bytes]
    payload = payload[:len(payload) // 2 * 2]
    body = whole[12:last] + whole[last:last + 4] + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def jpeg_with_damaged_scan() -> bytes:
    data = bytearray(noisy_jpeg())
    for index in range(data.index(b"\xff\xda") + 200, len(data) - 100, 50):
        data[index] ^= 0x5A
    return bytes(data)


def png_with_damaged_pixels() -> bytes:
    """A PNG whose compressed pixels are damaged but whose chunk CRC is right."""
    buffer = io.BytesIO()
    Image.effect_noise((200, 150), 80).convert("RGB").save(buffer, "PNG")
    whole = buffer.getvalue()
    start = whole.index(b"IDAT") - 4
    length = struct.unpack(">I", whole[start:start + 4])[0]
    pixels = bytearray(whole[start + 8:start + 8 + length])
    for index in range(100, length, 97):
        pixels[index] ^= 0x33
    chunk = (struct.pack(">I", length) + b"IDAT" + bytes(pixels)
             + struct.pack(">I", zlib.crc32(b"IDAT" + bytes(pixels))))
    return whole[:start] + chunk + whole[start + 12 + length:]


# What a phone camera writes into a photo, and must not reach the server's disk.
CAMERA_MAKE = "PhoneCo X1"
XMP_PACKET = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
              b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif='
              b'"http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="35,3.025N"/></rdf:RDF></x:xmpmeta>')
COMMENT = "taken at home, 3 Lanshan Rd"


def camera_exif(orientation: int | None = None) -> Image.Exif:
    """EXIF as a phone writes it: the camera, the time and the GPS position (35.05 N, 118.35 E)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    exif[ExifTags.Base.DateTime] = "2026:12:06 09:41:00"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (35.0, 3.0, 1.5)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", (118.0, 21.0, 2.0)
    return exif


def photo_with_metadata(fmt: str, size=(64, 48), orientation: int | None = None,
                        icc_profile: bytes | None = None) -> bytes:
    """A picture carrying EXIF with GPS, XMP, and a comment (JPEG) or text chunks (PNG)."""
    save = {"exif": camera_exif(orientation), "xmp": XMP_PACKET}
    if fmt == "JPEG":
        save["comment"] = COMMENT
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", COMMENT)
        text.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode())
        save = {"exif": save["exif"], "pnginfo": text}
    if icc_profile:
        save["icc_profile"] = icc_profile
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGB").save(buffer, fmt, **save)
    data = buffer.getvalue()
    assert CAMERA_MAKE.encode() in data and b"adobe:ns:meta" in data, "the metadata is in"
    return data


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(client, headers, data: bytes, sha256: str | None = None):
    return client.put(f"{URL}/{sha256 or sha(data)}", data=data, headers=headers,
                      content_type="image/jpeg")


def stored_files(app) -> list:
    """Every file under the blob root, staging files included."""
    root = get_storage().root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def add_photo(db, sha256: str, *, region, uploader, deleted: bool = False) -> Photo:
    """A photo record as sync would leave it: it names the blob, belongs to a grid."""
    photo = Photo(sha256=sha256, record_collection="reports", record_id=uuid.uuid4(),
                  uploader_id=uploader.id, scope_path=region.path, has_blob=False, deleted=deleted)
    db.session.add(photo)
    db.session.commit()
    return photo


def assert_nothing_kept(app, db, sha256: str) -> None:
    db.session.rollback()
    assert db.session.get(Blob, sha256) is None
    assert stored_files(app) == []


@pytest.fixture(autouse=True)
def blob_root(app, tmp_path):
    """Each test stores blobs in its own folder, never in the real instance folder."""
    before = app.config["BLOB_STORAGE_PATH"]
    app.config["BLOB_STORAGE_PATH"] = str(tmp_path / "blobs")
    yield tmp_path / "blobs"
    app.config["BLOB_STORAGE_PATH"] = before


@pytest.fixture
def small_blob_limit(app):
    before = app.config["BLOB_MAX_BYTES"]
    app.config["BLOB_MAX_BYTES"] = 10_000
    yield 10_000
    app.config["BLOB_MAX_BYTES"] = before


@pytest.fixture
def people(city):
    """Who is who around grid D1S1C1G1."""
    return {
        "worker": make_user("worker1", roles=["worker"], region=city["D1S1C1G1"]),
        "other_worker": make_user("worker2", roles=["worker"], region=city["D1S1C1G2"]),
        "supervisor": make_user("super1", roles=["supervisor"], region=city["D1"]),
        "other_supervisor": make_user("super2", roles=["supervisor"], region=city["D2"]),
        "citizen": make_user("citizen1", roles=["citizen"]),
        "admin": make_user("root", roles=["admin"]),
    }


# -- upload ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, content_type", [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"),
])
def test_a_new_blob_is_201_and_the_same_bytes_again_are_200(client, db, login_as, fmt, content_type):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes(fmt, size=(40, 30))
    first = put(client, headers, data)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["sha256"] == sha(data) and body["size_bytes"] == len(data)
    assert body["content_type"] == content_type and (body["width"], body["height"]) == (40, 30)
    again = put(client, headers, data)
    assert again.status_code == 200 and again.get_json() == body


def test_head_is_404_before_upload_and_200_with_the_size_after(client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes()
    assert client.head(f"{URL}/{sha(data)}", headers=headers).status_code == 404
    put(client, headers, data)
    response = client.head(f"{URL}/{sha(data)}", headers=headers)
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Content-Length"] == str(len(data))


def test_head_tells_anyone_signed_in_that_the_server_has_it(client, db, login_as):
    data = image_bytes()
    put(client, login_as(make_user(roles=["worker"])), data)
    stranger = login_as(make_user(roles=["citizen"]))
    assert client.head(f"{URL}/{sha(data)}", headers=stranger).status_code == 200


def test_a_photo_larger_than_the_json_body_limit_is_accepted(app, client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    pixels = random.Random(7).randbytes(1024 * 1024 * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (1024, 1024), pixels).save(buffer, "PNG")
    data = buffer.getvalue()
    assert len(data) > 3 * 1024 * 1024 > app.config["MAX_CONTENT_LENGTH"]
    response = put(client, headers, data)
    assert response.status_code == 201, response.get_json()
    assert get_storage().size(sha(data)) == len(data)


def test_bytes_that_do_not_hash_to_the_address_are_400_and_not_kept(app, client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    claimed = sha(image_bytes(color=(1, 2, 3)))
    response = put(client, headers, image_bytes(color=(9, 9, 9)), claimed)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "hash_mismatch"
    assert_nothing_kept(app, db, claimed)


@pytest.mark.parametrize("data", [
    pytest.param(b"just some text, not a photo\n" * 20, id="text"),
    pytest.param(noisy_jpeg()[:2500], id="truncated-jpeg"),
    pytest.param(image_bytes("GIF", mode="P", color=3), id="gif"),
    pytest.param(image_bytes("BMP"), id="bmp"),
    pytest.param(b"", id="empty"),
    pytest.param(image_bytes("PNG")[:-20], id="png-without-its-end"),
    pytest.param(noisy_webp()[:-100], id="webp-without-its-end"),
    pytest.param(noisy_webp() + b"\0" * 64, id="webp-with-bytes-after-it"),
    pytest.param(jpeg_with_damaged_scan(), id="jpeg-with-damaged-scan"),
    pytest.param(png_with_damaged_pixels(), id="png-with-damaged-pixels-and-right-crc"),
    pytest.param(webp_cut_inside(noisy_webp()), id="webp-lossy-cut-inside-right-lengths"),
    pytest.param(webp_cut_inside(noisy_webp(lossless=True)), id="webp-lossless-cut-inside-right-lengths"),
])
def test_anything_but_a_complete_jpeg_png_or_webp_is_400_not_an_image(app, client, db, login_as, data):
    headers = login_as(make_user(roles=["worker"]))
    response = put(client, headers, data)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "not_an_image"
    assert_nothing_kept(app, db, sha(data))


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_an_animation_is_not_a_photo(app, client, db, login_as, fmt):
    """Only its first frame would be checked and thumbnailed."""
    headers = login_as(make_user(roles=["worker"]))
    frames = [Image.new("RGB", (40, 30), color) for color in ((250, 0, 0), (0, 250, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=100)
    data = buffer.getvalue()
    response = put(client, headers, data)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "not_an_image"
    assert_nothing_kept(app, db, sha(data))


def test_a_multi_picture_jpeg_is_kept_as_its_first_picture(client, db, login_as):
    """Phones write JPEGs with more pictures after the first (MPF: previews, depth maps)."""
    headers = login_as(make_user(roles=["worker"]))
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(
        buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (32, 24), (9, 9, 9))])
    data = buffer.getvalue()
    response = put(client, headers, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == "image/jpeg" and (body["width"], body["height"]) == (64, 48)
    kept = client.get(f"{URL}/{sha(data)}", headers=headers).data
    assert kept.count(b"\xff\xd8") == 1 and Image.open(io.BytesIO(kept)).format == "JPEG"


def test_only_roles_whose_records_carry_photos_may_upload(app, client, db, login_as):
    data = image_bytes()
    response = put(client, login_as(make_user(roles=["clerk"])), data)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden_role"
    assert_nothing_kept(app, db, sha(data))


def test_a_citizen_uploads_the_photos_of_their_report(client, login_as):
    response = put(client, login_as(make_user(roles=["citizen"])), image_bytes())
    assert response.status_code == 201, response.get_json()


def test_an_image_over_24_megapixels_is_refused(app, client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes("PNG", size=(5000, 5000), mode="1", color=0)  # 25 MP, a small file
    response = put(client, headers, data)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "not_an_image"
    assert_nothing_kept(app, db, sha(data))


def test_an_image_with_too_many_pixels_is_refused_before_decoding(app, client, db, login_as):
    """A decompression bomb: a small PNG that would decode to far more than we allow."""
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes("PNG", size=(8000, 7000), mode="1", color=0)
    assert len(data) < 100_000
    response = put(client, headers, data)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "not_an_image"
    assert_nothing_kept(app, db, sha(data))


def test_a_body_over_the_blob_limit_is_413_and_not_kept(app, client, db, login_as, small_blob_limit):
    headers = login_as(make_user(roles=["worker"]))
    data = noisy_jpeg((300, 300))
    assert len(data) > small_blob_limit
    response = put(client, headers, data)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert_nothing_kept(app, db, sha(data))


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(app, client, db, login_as, small_blob_limit):
    """No Content-Length (chunked): the body is read only up to the limit, then 413."""
    headers = login_as(make_user(roles=["worker"]))
    data = noisy_jpeg((300, 300))
    environ = EnvironBuilder(f"{URL}/{sha(data)}", method="PUT", input_stream=io.BytesIO(data),
                             headers=headers, content_type="image/jpeg").get_environ()
    # As a server that decodes chunked bodies passes them on: no length, but terminated.
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    response = client.open(Request(environ))
    assert response.status_code == 413
    assert_nothing_kept(app, db, sha(data))


def test_the_service_stops_reading_as_soon_as_the_limit_is_passed(app, db, small_blob_limit):
    """Whatever the server in front does, the service counts for itself."""
    user = make_user(roles=["worker"])
    data = noisy_jpeg((300, 300))
    stream = io.BytesIO(data)
    with pytest.raises(PayloadTooLarge):
        services.store_blob(user, sha(data), stream, declared_length=None)
    assert stream.tell() <= small_blob_limit + services.CHUNK_BYTES
    assert_nothing_kept(app, db, sha(data))


@pytest.mark.parametrize("name", [
    "abc", "A" * 64, "g" * 64, "0" * 63, "0" * 65, "0" * 64 + "%0A", "0" * 64 + ".thumb",
])
def test_a_malformed_hash_in_the_address_is_400(client, db, login_as, name):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes()
    for response in (client.put(f"{URL}/{name}", data=data, headers=headers, content_type="image/jpeg"),
                     client.get(f"{URL}/{name}", headers=headers),
                     client.get(f"{URL}/{name}/thumbnail", headers=headers),
                     client.head(f"{URL}/{name}", headers=headers)):
        assert response.status_code in (400, 404), (name, response.status_code)
        if response.request.method != "HEAD":
            assert response.get_json()["error"]["code"] in ("invalid_sha256", "not_found")


def test_signing_in_is_required_for_every_blob_endpoint(client, db):
    name = sha(image_bytes())
    assert client.put(f"{URL}/{name}", data=image_bytes(), content_type="image/jpeg").status_code == 401
    assert client.head(f"{URL}/{name}").status_code == 401
    assert client.get(f"{URL}/{name}").status_code == 401
    assert client.get(f"{URL}/{name}/thumbnail").status_code == 401


def test_a_row_whose_file_was_lost_is_not_claimed_and_can_be_sent_again(app, client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes()
    put(client, headers, data)
    get_storage().delete(sha(data))
    assert client.head(f"{URL}/{sha(data)}", headers=headers).status_code == 404
    assert client.get(f"{URL}/{sha(data)}", headers=headers).status_code == 404
    assert put(client, headers, data).status_code == 200
    assert client.get(f"{URL}/{sha(data)}", headers=headers).data == data


def test_a_blob_arriving_after_its_photo_record_completes_it(app, db, city, people):
    """Records sync before their blobs: the upload marks the photo complete and logs the
    change for sync, so that phones and consoles pull "photo pending" away."""
    worker = people["worker"]
    data = image_bytes(size=(30, 20))
    photo = add_photo(db, sha(data), region=city["D1S1C1G1"], uploader=worker)
    gone = add_photo(db, sha(data), region=city["D1S1C1G1"], uploader=worker, deleted=True)
    blob, is_new = services.store_blob(worker, sha(data), io.BytesIO(data), declared_length=len(data))
    assert is_new and blob.sha256 == sha(data)
    db.session.expire_all()
    photo, gone = db.session.get(Photo, photo.id), db.session.get(Photo, gone.id)
    assert photo.has_blob and (photo.width, photo.height) == (30, 20)
    assert photo.version == 2, "touch_records gives the photo a new version to pull"
    assert not gone.has_blob and gone.version == 1


def test_a_storage_failure_leaves_no_row_and_no_staging_file(app, client, db, login_as):
    """The file cannot be put in place (here a directory squats on its name): the
    upload fails as a whole and keeps nothing of itself."""
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes()
    squatter = get_storage().path(sha(data))
    squatter.mkdir(parents=True)
    response = put(client, headers, data)
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    db.session.rollback()
    assert db.session.get(Blob, sha(data)) is None
    assert stored_files(app) == [] and squatter.is_dir()


# -- reading ---------------------------------------------------------------------------

def test_the_uploader_gets_the_bytes_with_type_etag_and_private_cache(client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes("PNG")
    put(client, headers, data)
    response = client.get(f"{URL}/{sha(data)}", headers=headers)
    assert response.status_code == 200 and response.data == data
    assert response.mimetype == "image/png"
    assert response.headers["ETag"] == f'"{sha(data)}"'
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("reader", ["supervisor", "worker", "admin"])
def test_staff_whose_scope_covers_a_photo_naming_the_blob_get_it(client, db, city, people, login_as, reader):
    data = image_bytes()
    put(client, login_as(people["other_worker"]), data)
    add_photo(db, sha(data), region=city["D1S1C1G1"], uploader=people["other_worker"])
    response = client.get(f"{URL}/{sha(data)}", headers=login_as(people[reader]))
    assert response.status_code == 200 and response.data == data


def test_whoever_filed_the_photo_record_gets_it_even_out_of_scope(client, db, city, people, login_as):
    data = image_bytes()
    put(client, login_as(people["worker"]), data)
    add_photo(db, sha(data), region=city["D2S1C1G1"], uploader=people["citizen"])
    assert client.get(f"{URL}/{sha(data)}", headers=login_as(people["citizen"])).status_code == 200


@pytest.mark.parametrize("reader", ["other_worker", "other_supervisor", "citizen"])
def test_anyone_else_gets_404_not_403(client, db, city, people, login_as, reader):
    data = image_bytes()
    put(client, login_as(people["worker"]), data)
    add_photo(db, sha(data), region=city["D1S1C1G1"], uploader=people["worker"])
    headers = login_as(people[reader])
    for url in (f"{URL}/{sha(data)}", f"{URL}/{sha(data)}/thumbnail"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    # Not even a cache validator reveals it.
    response = client.get(f"{URL}/{sha(data)}", headers={**headers, "If-None-Match": f'"{sha(data)}"'})
    assert response.status_code == 404


def test_a_deleted_photo_record_grants_nothing(client, db, city, people, login_as):
    data = image_bytes()
    put(client, login_as(people["worker"]), data)
    add_photo(db, sha(data), region=city["D1S1C1G1"], uploader=people["worker"], deleted=True)
    assert client.get(f"{URL}/{sha(data)}", headers=login_as(people["supervisor"])).status_code == 404


def test_an_unknown_blob_is_404(client, db, login_as):
    headers = login_as(make_user(roles=["admin"]))
    assert client.get(f"{URL}/{'0' * 64}", headers=headers).status_code == 404
    assert client.get(f"{URL}/{'0' * 64}/thumbnail", headers=headers).status_code == 404


def test_a_cached_copy_is_confirmed_with_304(client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes()
    put(client, headers, data)
    for url in (f"{URL}/{sha(data)}", f"{URL}/{sha(data)}/thumbnail"):
        etag = client.get(url, headers=headers).headers["ETag"]
        response = client.get(url, headers={**headers, "If-None-Match": etag})
        assert response.status_code == 304 and response.data == b""
        assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        stale = client.get(url, headers={**headers, "If-None-Match": '"something-else"'})
        assert stale.status_code == 200 and stale.data


# -- thumbnails ------------------------------------------------------------------------

def _thumbnail(client, headers, data: bytes) -> Image.Image:
    put(client, headers, data)
    response = client.get(f"{URL}/{sha(data)}/thumbnail", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["ETag"] == f'"{sha(data)}"'
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "JPEG"
    return image


@pytest.mark.parametrize("fmt, size, expected", [
    ("JPEG", (800, 600), (320, 240)),
    ("PNG", (200, 500), (128, 320)),
    ("WEBP", (1000, 1000), (320, 320)),
    ("JPEG", (100, 50), (100, 50)),  # never enlarged
])
def test_the_thumbnail_is_a_jpeg_at_most_320_px_on_its_longest_side(client, db, login_as, fmt, size, expected):
    headers = login_as(make_user(roles=["worker"]))
    assert _thumbnail(client, headers, image_bytes(fmt, size=size)).size == expected


def test_the_thumbnail_is_made_at_upload_by_the_decode_that_checks_it(client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes("WEBP", size=(640, 480))
    put(client, headers, data)
    assert get_storage().exists(sha(data), THUMBNAIL)


def test_an_image_kept_without_a_thumbnail_gets_one_on_first_request(client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes(size=(640, 480))
    put(client, headers, data)
    get_storage().delete(sha(data), THUMBNAIL)
    response = client.get(f"{URL}/{sha(data)}/thumbnail", headers=headers)
    assert response.status_code == 200 and Image.open(io.BytesIO(response.data)).size == (320, 240)
    assert get_storage().exists(sha(data), THUMBNAIL)


def test_the_thumbnail_is_made_once_and_kept(client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes(size=(640, 480))
    first = _thumbnail(client, headers, data)
    kept = get_storage().path(sha(data), THUMBNAIL)
    made_at = kept.stat().st_mtime_ns
    second = client.get(f"{URL}/{sha(data)}/thumbnail", headers=headers)
    assert second.status_code == 200 and Image.open(io.BytesIO(second.data)).size == first.size
    assert kept.stat().st_mtime_ns == made_at


def test_a_turned_photo_is_measured_and_thumbnailed_upright(client, db, login_as):
    """EXIF orientation 6 (camera held upright): stored 400×200, seen 200×400."""
    headers = login_as(make_user(roles=["worker"]))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    data = image_bytes(size=(400, 200), exif=exif)
    body = put(client, headers, data).get_json()
    assert (body["width"], body["height"]) == (200, 400)
    assert _thumbnail(client, headers, data).size == (160, 320)


def test_a_phones_webp_photo_is_kept_served_as_webp_and_thumbnailed(client, db, login_as):
    """What the PWA sends from Chrome (pwa/app/shrink.js): lossy WebP, 1600 px, no metadata."""
    headers = login_as(make_user(roles=["worker"]))
    buffer = io.BytesIO()
    Image.effect_noise((1600, 1200), 40).convert("RGB").save(buffer, "WEBP", quality=75)
    data = buffer.getvalue()
    response = client.put(f"{URL}/{sha(data)}", data=data, headers=headers, content_type="image/webp")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == "image/webp" and (body["width"], body["height"]) == (1600, 1200)
    served = client.get(f"{URL}/{sha(data)}", headers=headers)
    assert served.status_code == 200 and served.mimetype == "image/webp" and served.data == data
    assert _thumbnail(client, headers, data).size == (320, 240)


def test_a_transparent_png_thumbnail_is_white_where_it_was_clear(client, db, login_as):
    headers = login_as(make_user(roles=["worker"]))
    data = image_bytes("PNG", size=(100, 100), mode="RGBA", color=(0, 0, 0, 0))
    red, green, blue = _thumbnail(client, headers, data).getpixel((50, 50))
    assert min(red, green, blue) > 240


# -- concurrency -----------------------------------------------------------------------

@pytest.mark.postgresql_only
def test_an_upload_racing_another_of_the_same_bytes_ends_as_200(app, db, login_as):
    """The other upload holds the uncommitted row; ours waits on it, then answers 200 and
    leaves the other's file alone."""
    user = make_user(roles=["worker"])
    headers = login_as(user)
    data = image_bytes()
    storage = get_storage()
    other = db.engine.connect()
    held = other.begin()
    other.execute(Blob.__table__.insert().values(
        sha256=sha(data), size_bytes=len(data), content_type="image/jpeg", width=64, height=48,
        uploader_id=user.id, created_at=services.utcnow()))
    outcome = {}
    racer = threading.Thread(target=lambda: outcome.update(response=put(app.test_client(), headers, data)))
    racer.start()
    try:
        wait_for(lambda: sessions_waiting_on_a_lock(db) >= 1,
                 what="the upload waiting on the other's row")
        with storage.staging_path() as tmp_path:
            tmp_path.write_bytes(data)
            storage.put_file(sha(data), tmp_path)
        held.commit()
    finally:
        if held.is_active:
            held.rollback()
        other.close()
        racer.join(15)
    assert outcome["response"].status_code == 200
    assert storage.exists(sha(data))


# -- quota and clean-up -----------------------------------------------------------------------

@pytest.fixture
def small_daily_quota(app):
    before = app.config["BLOB_DAILY_QUOTA_BYTES"]
    app.config["BLOB_DAILY_QUOTA_BYTES"] = 3_000
    yield 3_000
    app.config["BLOB_DAILY_QUOTA_BYTES"] = before


def test_an_account_over_its_daily_quota_is_429_and_nothing_is_kept(app, client, db, login_as,
                                                                   small_daily_quota):
    headers = login_as(make_user("w1", roles=["worker"]))
    photos = [image_bytes("PNG", size=(20 + i, 20), color=(i, 9, 9)) for i in range(40)]
    statuses = []
    for data in photos:
        statuses.append(put(client, headers, data).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[0] == 201 and statuses[-1] == 429, statuses
    refused = photos[len(statuses) - 1]
    response = put(client, headers, refused)
    assert response.get_json()["error"]["code"] == "upload_quota" and response.headers["Retry-After"]
    db.session.rollback()
    assert db.session.get(Blob, sha(refused)) is None
    # The same bytes already stored cost nothing, and another account has its own quota.
    assert put(client, headers, photos[0]).status_code == 200
    assert put(client, login_as(make_user("w2", roles=["worker"])), refused).status_code == 201


def test_cleanup_removes_old_images_no_record_names_and_keeps_the_rest(app, client, db, login_as,
                                                                      people):
    from datetime import timedelta

    from backend.common.time import utcnow

    headers = login_as(people["worker"])
    named, orphan, young = (image_bytes("PNG", size=(30, 30), color=(c, 0, 0)) for c in (1, 2, 3))
    for data in (named, orphan, young):
        assert put(client, headers, data).status_code == 201
    add_photo(db, sha(named), region=people["worker"].region, uploader=people["worker"])
    for data in (named, orphan):
        db.session.get(Blob, sha(data)).created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    files_before = len(stored_files(app))
    result = app.test_cli_runner().invoke(args=["photos", "cleanup"])
    assert result.exit_code == 0 and "removed 1 unreferenced images" in result.output
    db.session.expire_all()
    assert db.session.get(Blob, sha(orphan)) is None
    assert db.session.get(Blob, sha(named)) is not None and db.session.get(Blob, sha(young)) is not None
    assert not get_storage().exists(sha(orphan)) and get_storage().exists(sha(named))
    assert not get_storage().exists(sha(orphan), THUMBNAIL)
    assert len(stored_files(app)) == files_before - 2  # the image and its thumbnail


def test_a_damaged_image_kept_before_uploads_were_decoded_gives_422_not_500(app, client, db,
                                                                           login_as):
    """Before uploads were decoded whole, a WebP was taken on its structure and stated
    length; one damaged inside may be on disk, and its thumbnail is refused plainly."""
    user = make_user("w1", roles=["worker"])
    headers = login_as(user)
    data = webp_cut_inside(noisy_webp(size=(400, 300)))
    with get_storage().staging_path() as tmp_path:
        tmp_path.write_bytes(data)
        get_storage().put_file(sha(data), tmp_path)
    db.session.add(Blob(sha256=sha(data), size_bytes=len(data), content_type="image/webp",
                        width=400, height=300, uploader_id=user.id, created_at=services.utcnow()))
    db.session.commit()
    response = client.get(f"{URL}/{sha(data)}/thumbnail", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "not_an_image"


# -- metadata --------------------------------------------------------------------------

def stored(client, headers, data: bytes) -> bytes:
    response = client.get(f"{URL}/{sha(data)}", headers=headers)
    assert response.status_code == 200
    return response.data


def pixels(data: bytes) -> bytes:
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_gps_camera_xmp_and_comments_are_not_kept(client, db, login_as, fmt):
    headers = login_as(make_user(roles=["worker"]))
    data = photo_with_metadata(fmt)
    assert put(client, headers, data).status_code == 201
    kept = stored(client, headers, data)
    for secret in (CAMERA_MAKE.encode(), b"adobe:ns:meta", b"35,3.025N", COMMENT.encode()):
        assert secret not in kept
    image = Image.open(io.BytesIO(kept))
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"xmp", "comment", "Comment", "XML:com.adobe.xmp"} & set(image.info)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_picture_itself_is_kept_as_sent_not_re_encoded(client, db, login_as, fmt):
    headers = login_as(make_user(roles=["worker"]))
    data = photo_with_metadata(fmt, size=(120, 90))
    body = put(client, headers, data).get_json()
    kept = stored(client, headers, data)
    assert pixels(kept) == pixels(data)
    assert body["size_bytes"] == len(kept) < len(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_turned_photo_keeps_its_orientation_and_nothing_else(client, db, login_as, fmt):
    """EXIF orientation 6 (camera held upright): stored 400×200, seen 200×400 — still,
    after the rest of the EXIF is gone."""
    headers = login_as(make_user(roles=["worker"]))
    data = photo_with_metadata(fmt, size=(400, 200), orientation=6)
    body = put(client, headers, data).get_json()
    assert (body["width"], body["height"]) == (200, 400)
    kept = Image.open(io.BytesIO(stored(client, headers, data)))
    assert dict(kept.getexif()) == {ExifTags.Base.Orientation: 6}
    assert _thumbnail(client, headers, data).size == (160, 320)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_colour_profile_is_kept(client, db, login_as, fmt):
    """How the colours are meant is part of the picture, not about the person."""
    headers = login_as(make_user(roles=["worker"]))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = photo_with_metadata(fmt, icc_profile=profile)
    put(client, headers, data)
    assert Image.open(io.BytesIO(stored(client, headers, data))).info.get("icc_profile") == profile


def test_a_second_picture_after_a_jpeg_is_not_kept(client, db, login_as):
    """Phones append more pictures after the first one's end (MPF: previews, depth maps),
    each with its own EXIF."""
    headers = login_as(make_user(roles=["worker"]))
    first = image_bytes("JPEG", size=(64, 48))
    data = first + photo_with_metadata("JPEG", size=(32, 24))
    put(client, headers, data)
    assert stored(client, headers, data) == first


def test_the_address_stays_the_hash_of_the_bytes_sent(client, db, city, people, login_as):
    """A phone names its photo offline by the hash of what it holds and retries the same
    PUT until it hears back: the name stays that hash, the same bytes again are "already
    there", and what is served under the name is the picture without its metadata."""
    worker = people["worker"]
    headers = login_as(worker)
    data = photo_with_metadata("JPEG")
    photo = add_photo(db, sha(data), region=city["D1S1C1G1"], uploader=worker)
    first = put(client, headers, data)
    assert first.status_code == 201 and first.get_json()["sha256"] == sha(data)
    kept = stored(client, headers, data)
    assert kept != data and sha(kept) != sha(data)
    again = put(client, headers, data)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    head = client.head(f"{URL}/{sha(data)}", headers=headers)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(kept))
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).has_blob


def test_an_apps_photo_is_kept_byte_for_byte(client, db, login_as):
    """What the PWA sends (drawn on a canvas: upright, no metadata) needs no change."""
    headers = login_as(make_user(roles=["worker"]))
    for data in (noisy_webp(), noisy_jpeg()):
        assert put(client, headers, data).get_json()["size_bytes"] == len(data)
        assert stored(client, headers, data) == data
