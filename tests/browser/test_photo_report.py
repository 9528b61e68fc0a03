"""Photo reports (事项上报 with photos): taken offline, shrunk on the phone, kept across a
reload, and on the server afterwards small, upright and without the camera's metadata."""

from __future__ import annotations

import io
import random

import pytest
from PIL import ExifTags, Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from backend.extensions import db
from backend.photos.models import Blob, Photo
from backend.photos.storage import get_storage
from tests.browser.helpers import (
    GEO,
    STORE,
    pick_category,
    poll,
    reports_described,
    signed_in_and_installed,
    wait_outbox,
)

PHOTO_BUDGET_BYTES = 150 * 1024  # pwa/app/shrink.js
PENDING_BLOBS = f"async () => {{ {STORE} return (await store.pendingBlobs(owner)).length; }}"


def camera_jpeg(seed: int, orientation: int = 1) -> bytes:
    """A 3000×2000 camera-like JPEG (~1.5 MB) with the EXIF a phone writes: maker, GPS."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((3000, 2000)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(300):
        x, y, w, h = rng.randrange(3000), rng.randrange(2000), rng.randrange(20, 400), rng.randrange(20, 300)
        draw.ellipse((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = Image.blend(image, Image.effect_noise((3000, 2000), 24).convert("RGB"), 0.15)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CivicCam"
    exif[ExifTags.Base.Model] = "Test Phone 1"
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (35.0, 3.0, 3.6),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (118.0, 21.0, 7.2)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def photo_file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def pending_blobs(page: Page) -> int:
    return page.evaluate(PENDING_BLOBS)


@pytest.mark.browser_context_args(**GEO)
def test_photos_taken_offline_reach_the_server_small_upright_and_without_metadata(
        page: Page, context: BrowserContext, desktop_context: BrowserContext, sign_in, live_server):
    originals = [camera_jpeg(1), camera_jpeg(2), camera_jpeg(3, orientation=6)]
    assert Image.open(io.BytesIO(originals[0])).getexif()[ExifTags.Base.Make] == "CivicCam"
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)

    page.goto("/#/reports/new")
    expect(page.locator("#where")).to_contain_text("35.05", timeout=10_000)
    pick_category(page)
    page.fill("#description", "井盖破损，附三张照片")
    page.set_input_files("#photo", files=[photo_file(f"IMG_{n}.jpg", data) for n, data in enumerate(originals)])
    expect(page.locator("#photo-list img")).to_have_count(3, timeout=15_000)
    expect(page.locator("#photo-status")).to_contain_text("3/9")
    page.click("#save")
    expect(page.locator("#report-list")).to_contain_text("井盖破损")
    assert page.evaluate("civicgrid.outboxCount()") == 4, "the report and its three photos records"
    assert pending_blobs(page) == 3

    # A reload offline loses nothing: the records wait in the outbox, the bytes on the phone.
    page.reload()
    expect(page.locator("#report-list .badge.pending")).to_have_count(1)
    assert page.evaluate("civicgrid.outboxCount()") == 4 and pending_blobs(page) == 3
    page.locator("#report-list a").first.click()
    expect(page.locator("#report-photos img")).to_have_count(3)

    context.set_offline(False)
    wait_outbox(page, 0)
    poll(page, f"async () => (await ({PENDING_BLOBS})()) === 0")

    [report] = reports_described(live_server, "井盖破损，附三张照片")
    assert len(report.photos) == 3
    with live_server.app.app_context():
        photos = db.session.scalars(select(Photo).where(Photo.record_id == report.id)).all()
        assert len(photos) == 3 and all(p.has_blob for p in photos)
        assert {p.sha256 for p in photos} == set(report.photos)
        assert all(p.taken_at is not None and abs(p.lat - GEO["geolocation"]["latitude"]) < 1e-6
                   for p in photos)
        sizes = {}
        for sha in report.photos:
            blob = db.session.get(Blob, sha)
            with get_storage().open(sha) as stored:
                data = stored.read()
            # Within the phone's budget (pwa/app/shrink.js), as WebP: Chromium encodes it.
            assert blob.size_bytes == len(data) <= PHOTO_BUDGET_BYTES
            assert blob.content_type == "image/webp"
            with Image.open(io.BytesIO(data)) as image:
                assert image.format == "WEBP"
                exif = image.getexif()
                assert not image.info.get("exif") and not image.info.get("xmp")
                assert ExifTags.Base.Make not in exif and ExifTags.IFD.GPSInfo not in exif
                sizes[sha] = image.size
        db.session.remove()
    # The shrunk photos keep their order; the third was taken upright (EXIF orientation 6).
    # 1600 px on the longest side, or 1280 px when no quality fits the budget at 1600.
    assert [sizes[sha] for sha in report.photos] in (
        [(1600, 1067), (1600, 1067), (1067, 1600)], [(1280, 853), (1280, 853), (853, 1280)])

    # The city supervisor counts them in the console and sees the server's thumbnails.
    console = desktop_context.new_page()
    console.goto("/")
    sign_in(console, "supervisor")
    row = console.locator("#case-table tbody tr", has_text="井盖破损，附三张照片")
    expect(row.locator("td.count")).to_have_text("3", timeout=15_000)
    with console.expect_response(lambda r: r.url.endswith("/thumbnail") and r.ok):
        row.locator("a").click()
    expect(console.locator("#report-photos img")).to_have_count(3)


@pytest.mark.browser_context_args(**GEO)
def test_more_than_nine_photos_keeps_nine_and_says_so(page: Page, sign_in):
    signed_in_and_installed(page, sign_in)
    page.goto("/#/reports/new")
    files = []
    for n in range(11):  # distinct bytes: the same photo twice counts once
        image = Image.new("RGB", (80, 60), (20 * n, 90, 160))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG")
        files.append(photo_file(f"p{n}.jpg", buffer.getvalue()))
    page.set_input_files("#photo-gallery", files=files)
    expect(page.locator("#photo-list img")).to_have_count(9, timeout=15_000)
    expect(page.locator("#photo-status")).to_contain_text("9/9")
    expect(page.locator("#photo-status")).to_contain_text("另外 2 张没有添加")
    expect(page.locator("#photo")).to_be_disabled()
    page.get_by_role("button", name="删除第 1 张照片").click()
    expect(page.locator("#photo-list img")).to_have_count(8)
    expect(page.locator("#photo")).to_be_enabled()
