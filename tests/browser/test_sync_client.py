"""The sync client inside the browser, through its own modules: outbox numbering, photo
uploads after their records, and a 410 that re-snapshots without losing the outbox."""

from __future__ import annotations

import gzip
import hashlib
import io
import json

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import func, select

from backend.extensions import db
from backend.incidents.models import Report
from backend.photos.models import Blob, Photo
from tests.browser.helpers import GEO, STORE, poll, reports_described, signed_in_and_installed, wait_outbox


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@pytest.mark.browser_context_args(**GEO)
def test_the_outbox_numbers_mutations_in_order_with_the_version_they_were_made_on(
        page: Page, context: BrowserContext, sign_in):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    mutations = page.evaluate(f"""async () => {{ {STORE}
        const id = crypto.randomUUID();
        await store.addMutation(owner, {{collection: 'reports', id, op: 'create',
            fields: {{category: 'road.pothole', description: 'a', lat: 35.051, lon: 118.352,
                      photos: [], reported_at: new Date().toISOString()}}}});
        await store.addMutation(owner, {{collection: 'reports', id, op: 'update', fields: {{description: 'b'}}}});
        await store.addMutation(owner, {{collection: 'reports', id, op: 'update', fields: {{note: 'c'}}}});
        const view = await store.viewOne(owner, 'reports', id);
        return {{outbox: (await store.outbox(owner)).map(m => [m.mid, m.op, m.base_version]), view}};
    }}""")
    assert mutations["outbox"] == [[1, "create", None], [2, "update", 1], [3, "update", 1]]
    assert mutations["view"]["description"] == "b" and mutations["view"]["note"] == "c"
    assert mutations["view"]["_pending"] is True


@pytest.mark.browser_context_args(**GEO)
def test_photo_bytes_go_after_their_record_and_are_skipped_when_the_server_has_them(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    data = jpeg_bytes()
    sha = hashlib.sha256(data).hexdigest()
    context.set_offline(True)
    page.evaluate(f"""async ([bytes, sha]) => {{ {STORE}
        const report = crypto.randomUUID();
        await store.putBlob(owner, sha, new Blob([new Uint8Array(bytes)], {{type: 'image/jpeg'}}));
        await store.addMutation(owner, {{collection: 'reports', id: report, op: 'create',
            fields: {{category: 'road.pothole', description: '带照片', lat: 35.051, lon: 118.352,
                      photos: [sha], reported_at: new Date().toISOString()}}}});
        await store.addMutation(owner, {{collection: 'photos', id: crypto.randomUUID(), op: 'create',
            fields: {{sha256: sha, record_collection: 'reports', record_id: report,
                      taken_at: new Date().toISOString(), lat: 35.051, lon: 118.352}}}});
    }}""", [list(data), sha])
    uploads, order = [], []
    context.on("request", lambda r: uploads.append(r.method) if "/api/v1/blobs/" in r.url else None)
    context.on("requestfinished", lambda r: order.append(
        "push" if r.url.endswith("/sync/push") else r.method if "/blobs/" in r.url else None))
    page.reload()
    context.set_offline(False)
    wait_outbox(page, 0)
    poll(page, f"""async () => {{ {STORE} return (await store.pendingBlobs(owner)).length === 0; }}""")
    with live_server.app.app_context():
        photo = db.session.scalars(select(Photo)).one()
        assert photo.has_blob and db.session.get(Blob, sha).size_bytes == len(data)
        db.session.remove()
    assert uploads.count("PUT") == 1
    assert order.index("push") < order.index("PUT"), "the record is on the server before its bytes"
    [report] = reports_described(live_server, "带照片")
    assert report.photos == [sha]

    # The same photo again (another report of the same scene): HEAD says the server has it.
    uploads.clear()
    page.evaluate(f"""async (sha) => {{ {STORE}
        await store.putBlob(owner, sha, new Blob(['x'], {{type: 'image/jpeg'}}));
        (await import('/app/sync-client.js')).syncNow('test');
    }}""", sha)
    poll(page, f"""async () => {{ {STORE} return (await store.pendingBlobs(owner)).length === 0; }}""")
    assert uploads == ["HEAD"]


@pytest.mark.browser_context_args(**GEO)
def test_an_expired_cursor_re_snapshots_and_keeps_the_outbox(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    held = page.evaluate(f"""async () => {{ {STORE}
        await store.setMeta(owner, 'cursor', 'not-a-cursor-the-server-made');
        await store.addMutation(owner, {{collection: 'reports', id: crypto.randomUUID(), op: 'create',
            fields: {{category: 'road.pothole', description: '410 之后', lat: 35.051, lon: 118.352,
                      photos: [], reported_at: new Date().toISOString()}}}});
        return (await store.view(owner, 'categories')).length;
    }}""")
    assert held > 0
    answers = []
    context.on("response", lambda r: answers.append(r.status) if "/api/v1/sync/pull" in r.url else None)
    context.set_offline(False)
    wait_outbox(page, 0)
    page.wait_for_function("document.querySelector('#sync-status')?.dataset.state === 'synced'")
    assert 410 in answers and answers[-1] == 200
    assert len(reports_described(live_server, "410 之后")) == 1
    after = page.evaluate(f"""async () => {{ {STORE}
        return (await store.view(owner, 'categories')).length; }}""")
    assert after == held, "the snapshot brought the reference data back"


@pytest.mark.browser_context_args(**GEO)
def test_a_large_push_goes_out_gzipped_and_a_small_one_plain(
        page: Page, context: BrowserContext, sign_in, live_server):
    signed_in_and_installed(page, sign_in)
    context.set_offline(True)
    page.evaluate(f"""async () => {{ {STORE}
        for (let n = 0; n < 60; n += 1) {{
            await store.addMutation(owner, {{collection: 'reports', id: crypto.randomUUID(), op: 'create',
                fields: {{category: 'road.pothole', description: `压缩上传 ${{n}}`, lat: 35.051, lon: 118.352,
                          photos: [], reported_at: new Date().toISOString()}}}});
        }}
    }}""")
    pushes = []
    context.on("request", lambda r: pushes.append(r) if r.url.endswith("/api/v1/sync/push") else None)
    answers = []
    context.on("response", lambda r: answers.append(r) if "/api/v1/sync/" in r.url else None)
    context.set_offline(False)
    page.evaluate("import('/app/sync-client.js').then((m) => m.syncNow('test'))")
    wait_outbox(page, 0)
    assert pushes, "no push went out"
    large = pushes[0]
    assert large.headers.get("content-encoding") == "gzip"
    sent = large.post_data_buffer
    plain = gzip.decompress(sent)
    assert len(json.loads(plain)["mutations"]) == 60 and len(sent) < len(plain) / 3
    assert len([r for r in reports_described(live_server, "压缩上传 7")]) == 1
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)
                                 .where(Report.description.like("压缩上传 %"))) == 60
        db.session.remove()
    # The server's answers came packed too: Chromium asks for zstd on a secure origin
    # (localhost counts as one) and decoded them into the sync just checked.
    assert any(r.headers.get("content-encoding") == "zstd" for r in answers if r.ok)

    pushes.clear()
    page.evaluate(f"""async () => {{ {STORE}
        await store.addMutation(owner, {{collection: 'reports', id: crypto.randomUUID(), op: 'create',
            fields: {{category: 'road.pothole', description: '小批量', lat: 35.051, lon: 118.352,
                      photos: [], reported_at: new Date().toISOString()}}}});
        await (await import('/app/sync-client.js')).syncNow('test');
    }}""")
    wait_outbox(page, 0)
    assert pushes and "content-encoding" not in pushes[0].headers
    assert len(reports_described(live_server, "小批量")) == 1
