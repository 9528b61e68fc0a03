"""Photos shown with a case: a department reads the reporter's photos of a case dispatched to
it, and the supervisor who verifies reads the department's "after" photos — by naming the
case (`?case_id=`); nobody reads them through a case they cannot see."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from tests.factories import make_department, make_user
from tests.helpers import report_fields
from tests.sync_client import Phone


def _jpeg(color) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _upload(client, headers, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    response = client.put(f"/api/v1/blobs/{sha}", headers={**headers, "Content-Type": "image/jpeg"},
                          data=data)
    assert response.status_code in (200, 201), response.get_json()
    return sha


def test_who_sees_a_case_sees_its_photos_through_it(client, field_city, login_as):
    cgj = make_department()
    dept = login_as(make_user("dept1", roles=["department"], department=cgj))
    boss = login_as(field_city.boss)
    w1 = login_as(field_city.w1)
    before = _upload(client, w1, _jpeg((200, 40, 40)))
    phone = Phone(client, "w1")
    case_id = phone.create("reports", report_fields(photos=[before]))
    phone.push()
    for action in ({"action": "register"}, {"action": "dispatch", "department_id": str(cgj.id)}):
        assert client.post(f"/api/v1/cases/{case_id}/actions", headers=boss, json=action).status_code == 200
    after = _upload(client, dept, _jpeg((40, 200, 40)))
    assert client.post(f"/api/v1/cases/{case_id}/actions", headers=dept, json={
        "action": "handle", "note": "已修复", "photos": [after]}).status_code == 200

    def status(headers, sha, case=case_id, kind="/thumbnail"):
        query = {"case_id": case} if case else {}
        return client.get(f"/api/v1/blobs/{sha}{kind}", headers=headers, query_string=query).status_code

    assert status(dept, before) == 200 and status(dept, before, kind="") == 200
    assert status(dept, before, case=None) == 404          # only through the case
    assert status(boss, after) == 200
    stranger = login_as(field_city.w3)
    assert status(stranger, after) == 404 and status(stranger, before) == 404
    other = login_as(make_user("dept2", roles=["department"], department=make_department("ZJJ", "住建局")))
    assert status(other, before) == 404
    # A case that does not name the photo opens nothing.
    second = phone.create("reports", report_fields())
    phone.push()
    assert status(boss, after, case=second) == 404
