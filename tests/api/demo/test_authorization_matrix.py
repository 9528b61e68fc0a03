"""Who may call what: every endpoint of the live route list × every demo role, the expected
outcome in one table. A new endpoint without a row fails here; so does a role check that
goes missing or appears by mistake.

`401`: not signed in. `403`: the role may not. `ok`: the role gets past the role check; what
it then gets (200, or 404 for what is outside its scope, 409, 422 for the deliberately empty
body) is for the feature's own tests, but never a 5xx. Scoped reads have their own table
below: in scope and out of scope, per role.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from sqlalchemy import select

from backend.accounts.models import User
from backend.attendance.models import Shift
from backend.certificates.models import CertificateIssuer, CertificateType
from backend.departments.models import Department
from backend.posts.models import Post
from backend.queue.models import Hall, Service, Window
from backend.regions.models import Region

ROLES = ("anonymous", "citizen1", "clerk1", "manager1", "dept1", "worker1", "street1", "supervisor",
         "admin", "official1")

MATRIX = """
                                                        anon citizen clerk mgr  dept worker street super admin off
GET    /api/v1/about                                      ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /healthz                                           ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/openapi.json                               ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/auth/login                                 ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/auth/register                              ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/auth/refresh                               401  401   401   401   401   401   401   401   401   401
POST   /api/v1/auth/logout                                401  ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/me                                         401  ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/me/password                                401  ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/accounts                                   401  403   403   403   403   403   ok    ok    ok   403
POST   /api/v1/accounts                                   401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/accounts/{user_id}                         401  403   403   403   403   403   ok    ok    ok   403
PATCH  /api/v1/accounts/{user_id}                         401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/regions                                    401  403   ok    ok    ok    ok    ok    ok    ok   403
POST   /api/v1/regions                                    401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/regions/geojson                            401  403   ok    ok    ok    ok    ok    ok    ok   403
GET    /api/v1/regions/locate                             401  403   ok    ok    ok    ok    ok    ok    ok   403
GET    /api/v1/regions/{region_id}                        401  403   ok    ok    ok    ok    ok    ok    ok   403
PATCH  /api/v1/regions/{region_id}                        401  403   403   403   403   403   403   403   ok   403
DELETE /api/v1/regions/{region_id}                        401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/departments                                401  403   ok    ok    ok    ok    ok    ok    ok   403
POST   /api/v1/departments                                401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/departments/{department_id}                401  403   ok    ok    ok    ok    ok    ok    ok   403
PATCH  /api/v1/departments/{department_id}                401  403   403   403   403   403   403   403   ok   403
DELETE /api/v1/departments/{department_id}                401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/audit                                      401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/cases                                      401  ok    403   403   ok    ok    ok    ok    ok   403
GET    /api/v1/cases/{case_id}                            401  ok    403   403   ok    ok    ok    ok    ok   403
POST   /api/v1/cases/actions                              401  403   403   403   403   403   ok    ok    403   403
POST   /api/v1/cases/{case_id}/actions                    401  ok    403   403   ok    ok    ok    ok    ok   403
POST   /api/v1/cases/{case_id}/feedback                   401  ok    403   403   ok    ok    ok    ok    ok   403
GET    /api/v1/live                                       401  ok    403   403   ok    ok    ok    ok    ok   403
GET    /api/v1/notifications                              401  ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/notifications/read                         401  ok    ok    ok    ok    ok    ok    ok    ok   ok
PATCH  /api/v1/notifications/{notification_id}            401  ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/push/key                                   401  ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/push/subscriptions                         401  ok    ok    ok    ok    ok    ok    ok    ok   ok
DELETE /api/v1/push/subscriptions/{subscription_id}       401  ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/stats/cases                                401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/stats/cases.csv                            401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/stats/cases.xlsx                           401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/stats/cases/trend                          401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/stats/halls                                401  403   403   ok    403   403   ok    ok    ok   403
GET    /api/v1/stats/halls.csv                            401  403   403   ok    403   403   ok    ok    ok   403
GET    /api/v1/stats/halls.xlsx                           401  403   403   ok    403   403   ok    ok    ok   403
GET    /api/v1/sync/pull                                  401  ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/sync/push                                  401  ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/sync/conflicts                             401  403   403   403   403   403   ok    ok    ok   403
POST   /api/v1/sync/conflicts/{conflict_id}/resolve       401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/blobs/{sha}                                401  ok    ok    ok    ok    ok    ok    ok    ok   ok
PUT    /api/v1/blobs/{sha}                                401  ok    403   403   ok    ok    ok    ok    ok   403
GET    /api/v1/blobs/{sha}/thumbnail                      401  ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/attendance/shifts                          401  403   403   403   403   403   ok    ok    ok   403
PUT    /api/v1/attendance/shifts                          401  403   403   403   403   403   ok    ok    ok   403
DELETE /api/v1/attendance/shifts/{shift_id}               401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/attendance/days                            401  403   403   403   403   ok    ok    ok    ok   403
GET    /api/v1/attendance/calendar                        401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/attendance/summary                         401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/attendance/summary.csv                     401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/attendance/days.csv                        401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/attendance/month.xlsx                      401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/attendance/posts                           401  403   403   403   403   403   ok    ok    ok   403
POST   /api/v1/attendance/posts                           401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/attendance/posts/{post_id}                 401  403   403   403   403   403   ok    ok    ok   403
PATCH  /api/v1/attendance/posts/{post_id}                 401  403   403   403   403   403   ok    ok    ok   403
DELETE /api/v1/attendance/posts/{post_id}                 401  403   403   403   403   403   ok    ok    ok   403
POST   /api/v1/attendance/posts/{post_id}/workers         401  403   403   403   403   403   ok    ok    ok   403
DELETE /api/v1/attendance/posts/{post_id}/workers/{worker_id} 401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/patrol/tracks                              401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/patrol/coverage                            401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/map/cases                                  401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/map/workers                                401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/map/settings                               401  403   403   403   403   403   ok    ok    ok   403
GET    /api/v1/halls                                      ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/halls/{hall_id}/tickets                    401  ok    403   403   403   403   403   403   403   403
GET    /api/v1/halls/{hall_id}/board                      ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/halls/{hall_id}/events                     ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/tickets                                    401  ok    403   403   403   403   403   403   403   403
GET    /api/v1/tickets/{ticket_id}                        401  ok    403   403   403   403   403   403   403   403
POST   /api/v1/tickets/{ticket_id}/cancel                 401  ok    403   403   403   403   403   403   403   403
GET    /api/v1/windows/mine                               401  403   ok    403   403   403   403   403   403   403
POST   /api/v1/windows/{window_id}/call                   401  403   ok    403   403   403   403   403   403   403
POST   /api/v1/windows/{window_id}/pause                  401  403   ok    403   403   403   403   403   403   403
POST   /api/v1/windows/{window_id}/resume                 401  403   ok    403   403   403   403   403   403   403
POST   /api/v1/tickets/{ticket_id}/recall                 401  403   ok    403   403   403   403   403   403   403
POST   /api/v1/tickets/{ticket_id}/no-show                401  403   ok    403   403   403   403   403   403   403
POST   /api/v1/tickets/{ticket_id}/transfer               401  403   ok    403   403   403   403   403   403   403
POST   /api/v1/tickets/{ticket_id}/finish                 401  403   ok    403   403   403   403   403   403   403
POST   /api/v1/tickets/{ticket_id}/rating                 401  ok    403   403   403   403   403   403   403   403
GET    /api/v1/halls/managed                              401  403   403   ok    403   403   403   403   ok   403
GET    /api/v1/halls/{hall_id}/overview                   401  403   403   ok    403   403   403   403   ok   403
GET    /api/v1/halls/{hall_id}/alerts                     401  403   403   ok    403   403   403   403   ok   403
POST   /api/v1/alerts/{alert_id}/acknowledge              401  403   403   ok    403   403   403   403   ok   403
GET    /api/v1/halls/{hall_id}/followups                  401  403   403   ok    403   403   403   403   ok   403
POST   /api/v1/ratings/{rating_id}/followup               401  403   403   ok    403   403   403   403   ok   403
POST   /api/v1/halls                                      401  403   403   403   403   403   403   403   ok   403
PATCH  /api/v1/halls/{hall_id}                            401  403   403   403   403   403   403   403   ok   403
POST   /api/v1/halls/{hall_id}/services                   401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/halls/{hall_id}/windows                    401  403   403   403   403   403   403   403   ok   403
POST   /api/v1/halls/{hall_id}/windows                    401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/halls/{hall_id}/managers                   401  403   403   403   403   403   403   403   ok   403
PUT    /api/v1/halls/{hall_id}/managers                   401  403   403   403   403   403   403   403   ok   403
PATCH  /api/v1/services/{service_id}                      401  403   403   403   403   403   403   403   ok   403
DELETE /api/v1/services/{service_id}                      401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/services/{service_id}/slots                401  ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/services/{service_id}/slots                401  403   403   ok    403   403   403   403   ok   403
PATCH  /api/v1/windows/{window_id}                        401  403   403   403   403   403   403   403   ok   403
DELETE /api/v1/windows/{window_id}                        401  403   403   403   403   403   403   403   ok   403
DELETE /api/v1/slots/{slot_id}                            401  403   403   ok    403   403   403   403   ok   403
POST   /api/v1/slots/{slot_id}/appointments               401  ok    403   403   403   403   403   403   403   403
GET    /api/v1/appointments                               401  ok    403   403   403   403   403   403   403   403
DELETE /api/v1/appointments/{appointment_id}              401  ok    403   403   403   403   403   403   403   403
GET    /api/v1/certificates                               401  ok    403   403   403   403   403   403   403   403
GET    /api/v1/certificates/{certificate_id}              401  ok    403   403   403   403   403   403   403   403
POST   /api/v1/certificates/verify                        ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
GET    /api/v1/certificates/status-lists                  ok   ok    ok    ok    ok    ok    ok    ok    ok   ok
POST   /api/v1/tickets/{ticket_id}/certificate-requests   401  403   ok    403   403   403   403   403   403   403
GET    /api/v1/certificate-requests                       401  ok    ok    403   403   403   403   403   403   403
GET    /api/v1/certificate-requests/{request_id}          401  ok    ok    403   403   403   403   403   403   403
POST   /api/v1/certificate-requests/{request_id}/approve  401  ok    403   403   403   403   403   403   403   403
POST   /api/v1/certificate-requests/{request_id}/decline  401  ok    403   403   403   403   403   403   403   403
GET    /api/v1/certificate-issuers                        401  403   403   403   ok    403   403   403   ok   403
POST   /api/v1/certificate-issuers                        401  403   403   403   403   403   403   403   ok   403
POST   /api/v1/certificate-issuers/{issuer_id}/keys       401  403   403   403   403   403   403   403   ok   403
GET    /api/v1/certificate-types                          401  403   ok    403   ok    403   403   403   ok   403
POST   /api/v1/certificate-types                          401  403   403   403   ok    403   403   403   ok   403
PATCH  /api/v1/certificate-types/{type_id}                401  403   403   403   ok    403   403   403   ok   403
GET    /api/v1/issued-certificates                        401  403   403   403   ok    403   403   403   ok   403
POST   /api/v1/issued-certificates                        401  403   403   403   ok    403   403   403   ok   403
GET    /api/v1/issued-certificates/{certificate_id}       401  403   403   403   ok    403   403   403   ok   403
POST   /api/v1/issued-certificates/{certificate_id}/status 401  403   403   403   ok    403   403   403   ok   403
POST   /api/v1/certificate-imports                        401  403   403   403   ok    403   403   403   ok   403
GET    /api/v1/certificate-imports/{import_id}            401  403   403   403   ok    403   403   403   ok   403
"""


def _table() -> dict[tuple[str, str], dict[str, str]]:
    rows = {}
    for line in MATRIX.strip().splitlines()[1:]:
        method, path, *outcomes = line.split()
        assert len(outcomes) == len(ROLES), line
        rows[(method, path)] = dict(zip(ROLES, outcomes, strict=True))
    return rows


def _live_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule == "/healthz"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_every_endpoint_has_a_row_and_every_row_an_endpoint(app):
    live, table = _live_routes(app), set(_table())
    assert len(live) > 40
    assert not live - table, f"endpoints without a row in MATRIX: {sorted(live - table)}"
    assert not table - live, f"rows for endpoints that do not exist: {sorted(table - live)}"


def test_the_api_document_says_which_endpoints_need_no_token(client):
    # What anyone may call without signing in is documented so (`security: []`); everything
    # else inherits the document's bearer requirement. The refresh and sign-out endpoints
    # take the refresh token as their bearer, so they keep it.
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["security"] == [{"bearerAuth": []}]
    open_rows = {key for key, outcome in _table().items() if outcome["anonymous"] == "ok"}
    for method, path in open_rows - {("GET", "/api/v1/openapi.json")}:
        operation = spec["paths"][path][method.lower()]
        assert operation.get("security") == [], f"{method} {path} answers without a token " \
            "but its operation does not say `security: []`"


@pytest.fixture
def targets(demo, db) -> dict[str, str]:
    """Ids for the path's placeholders, all inside street1's street (兰山街道)."""
    grid = db.session.scalar(select(Region).where(Region.code == "371302001002001"))  # worker1's
    worker1 = db.session.scalar(select(User).where(User.username == "worker1"))
    post = db.session.scalar(select(Post))
    return {"region_id": str(grid.id), "user_id": str(worker1.id), "worker_id": str(worker1.id),
            "department_id": str(db.session.scalar(select(Department.id))),
            "shift_id": str(db.session.scalar(select(Shift.id))), "post_id": str(post.id),
            "conflict_id": str(uuid.uuid4()), "case_id": str(uuid.uuid4()),
            "notification_id": str(uuid.uuid4()), "subscription_id": str(uuid.uuid4()),
            "hall_id": str(db.session.scalar(select(Hall.id))), "ticket_id": str(uuid.uuid4()),
            "service_id": str(db.session.scalar(select(Service.id))),
            # Window 1: clerk1's, so the clerk's calls get past "not your window".
            "window_id": str(db.session.scalar(select(Window.id).order_by(Window.number))),
            "alert_id": str(uuid.uuid4()),
            "rating_id": str(uuid.uuid4()), "slot_id": str(uuid.uuid4()),
            "appointment_id": str(uuid.uuid4()), "sha": hashlib.sha256(b"no such photo").hexdigest(),
            # The police's issuer: not dept1's department, so dept1 may not rotate its key.
            "issuer_id": str(db.session.scalar(select(CertificateIssuer.id).where(
                CertificateIssuer.code == "LYGA"))),
            "type_id": str(db.session.scalar(select(CertificateType.id))),
            "certificate_id": str(uuid.uuid4()), "request_id": str(uuid.uuid4()),
            "import_id": str(uuid.uuid4())}


def _call(client, method: str, path: str, headers: dict):
    kwargs = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}  # empty: an allowed role gets a 4xx of validation, and changes nothing
    return client.open(path, method=method, **kwargs)


def test_each_role_gets_what_the_table_says(client, app, demo, demo_login, targets):
    table = _table()
    headers = {role: {} if role == "anonymous" else demo_login(role) for role in ROLES}
    wrong = []
    for (method, template), expected in sorted(table.items()):
        path = template.format(**targets)
        for role in sorted(ROLES, key=lambda r: r == "admin"):  # admin last: its DELETEs delete
            if template.startswith("/api/v1/auth/logout") and role != "anonymous":
                headers[role] = demo_login(role)  # logging out ends the session used
            response = _call(client, method, path, headers[role])
            got = str(response.status_code) if response.status_code in (401, 403) else "ok"
            if response.status_code >= 500 or got != expected[role]:
                wrong.append(f"{method} {template} as {role}: {response.status_code}, "
                             f"table says {expected[role]}")
            if template.startswith("/api/v1/auth/logout") and role != "anonymous":
                headers[role] = demo_login(role)
    assert not wrong, "\n".join(wrong)


# Reads of one thing in scope (worker1's grid in 兰山街道) and out of scope (worker2's grid in
# 罗庄街道, or what is there): 200 or 404, per role that may read it at all.
SCOPED = """
                                          worker   street   super   admin
GET /api/v1/regions/{region_id}           200/404  200/404  200/200 200/200
GET /api/v1/accounts/{user_id}            -        200/404  200/200 200/200
GET /api/v1/attendance/posts/{post_id}    -        200/404  200/200 200/200
"""
SCOPED_ROLES = ("worker1", "street1", "supervisor", "admin")


def test_reads_outside_ones_scope_are_404_as_if_nothing_were_there(client, demo, demo_login, db):
    from backend.posts import services as posts

    inside = {"region_id": db.session.scalar(select(Region.id).where(Region.code == "371302001002001")),
              "user_id": db.session.scalar(select(User.id).where(User.username == "worker1"))}
    outside = {"region_id": db.session.scalar(select(Region.id).where(Region.code == "371311001001002")),
               "user_id": db.session.scalar(select(User.id).where(User.username == "worker2"))}
    for where, values in (("in", inside), ("out", outside)):
        grid = db.session.get(Region, values["region_id"])
        lat, lon = (grid.min_lat + grid.max_lat) / 2, (grid.min_lon + grid.max_lon) / 2
        values["post_id"] = posts.add_post(region=grid, name=f"matrix {where}", lat=lat, lon=lon,
                                           radius_m=50).id
    db.session.commit()
    wrong = []
    for line in SCOPED.strip().splitlines()[1:]:
        method, template, *cells = line.split()
        for role, cell in zip(SCOPED_ROLES, cells, strict=True):
            if cell == "-":
                continue
            want_in, want_out = (int(part) for part in cell.split("/"))
            for values, want in ((inside, want_in), (outside, want_out)):
                status = client.open(template.format(**values), method=method,
                                     headers=demo_login(role)).status_code
                if status != want:
                    wrong.append(f"{template} as {role} for {values}: {status}, table says {want}")
    assert not wrong, "\n".join(wrong)
