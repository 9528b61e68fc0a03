"""API fuzzing: schemathesis makes requests from /api/v1/openapi.json and sends them to the
app, signed in as each demo role, over the demo city.

Every answer must hold to what the document promises: no 5xx, a documented status whose
body matches its schema, and every error the JSON error envelope. So that requests reach
the real logic rather than a 404 or a 422, the generator draws ids of the demo city
(regions, accounts, workers, posts, shifts, departments), months, days, times and
coordinates from dictionaries most of the time, and a hook puts new or moved posts inside
their grid; the share of 2xx is printed and asserted.

Each role gets the fuzzing phase (random requests, a fixed number per operation); the
admin, who may call everything, then gets the coverage phase too (boundary values and
invalid inputs, one request each). Both are derandomized: the same requests every run.

Runs on SQLite only: it checks the HTTP contract (schemas, handlers, the error mapping),
which is the same code on both databases, and running it twice would double the slowest
test of the suite; what differs between the databases is for the features' own tests.

Sign-out and changing one's own password are left out: they end the session the fuzzing
signs in with. Refresh stays in: the fuzzing never holds a refresh token, so it can only be
refused. Each role's session is checked to be alive after its run.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import hypothesis
import pytest
import schemathesis
import shapely
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

# The builder the schemathesis pytest plugin uses; pinned with schemathesis, so stable here.
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from backend.accounts.models import User
from backend.attendance.models import Shift
from backend.certificates.models import Certificate, CertificateIssuer, CertificateType
from backend.departments.models import Department
from backend.posts.models import Post
from backend.queue.models import Hall, HallAlert, Service, Ticket, TicketRating, Window
from backend.regions.models import Region

# Admin last: its writes (accounts changed, regions deleted) would hide others' 2xx.
ROLES = ("citizen1", "clerk1", "manager1", "worker1", "street1", "supervisor", "admin")
EXAMPLES_PER_OPERATION = 8
COVERAGE_ROLE = "admin"
TOKEN_KILLERS = {"POST /api/v1/auth/logout", "POST /api/v1/me/password"}
# Streams open for minutes: read whole, each request would wait for its end. Their answers
# are tested by tests/api/live/ and tests/api/hall/test_display.py.
STREAMS = {"GET /api/v1/live", "GET /api/v1/halls/{hall_id}/events"}
# The queue's steps succeed only in a state random requests do not build (a ticket called
# at the clerk's window, the citizen's own finished ticket, a position inside the hall's
# fence, an alert not yet acknowledged): tests/api/hall drives each through its states.
# They are fuzzed all the same (no 5xx, every answer documented), but not counted below
# among the operations that never succeeded.
NEEDS_A_STATE = {
    "POST /api/v1/halls/{hall_id}/tickets", "POST /api/v1/tickets/{ticket_id}/cancel",
    "POST /api/v1/tickets/{ticket_id}/finish", "POST /api/v1/tickets/{ticket_id}/no-show",
    "POST /api/v1/tickets/{ticket_id}/rating", "POST /api/v1/tickets/{ticket_id}/recall",
    "POST /api/v1/tickets/{ticket_id}/transfer", "POST /api/v1/windows/{window_id}/call",
    "POST /api/v1/alerts/{alert_id}/acknowledge", "POST /api/v1/ratings/{rating_id}/followup",
    "POST /api/v1/slots/{slot_id}/appointments", "DELETE /api/v1/appointments/{appointment_id}",
    "GET /api/v1/tickets/{ticket_id}",
    # A clerk's request needs the ticket being served; answering it, a pending request.
    "POST /api/v1/tickets/{ticket_id}/certificate-requests",
    "POST /api/v1/certificate-requests/{request_id}/approve",
    "POST /api/v1/certificate-requests/{request_id}/decline",
    "GET /api/v1/certificate-requests/{request_id}", "GET /api/v1/certificate-imports/{import_id}",
}
# How often a bound parameter takes a value of the demo city rather than a generated one.
DICTIONARY_PROBABILITY = 0.8
MIN_SHARE_2XX = 0.2  # of the fuzzing phase's answers


def error_is_json_envelope(ctx, response, case) -> None:
    """Every 4xx and 5xx is `{"error": {"code", "message"}}` in JSON, whatever the schema says."""
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), f"an error answered as {content_type!r}"
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict) and error.get("code") and error.get("message"), \
        f"an error body that is not the envelope: {response.text[:200]}"


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, error_is_json_envelope]


@dataclass
class Tally:
    """Statuses per operation, and the first example of each kind of failure per operation
    (shared by the tallies of one run)."""

    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def requests(self) -> int:
        return sum(sum(counter.values()) for counter in self.statuses.values())

    def share_2xx(self) -> float:
        ok = sum(n for counter in self.statuses.values() for status, n in counter.items()
                 if 200 <= status < 300)
        return ok / max(self.requests(), 1)

    def operations_without_2xx(self) -> list[str]:
        return sorted(label for label, counter in self.statuses.items()
                      if not any(200 <= status < 300 for status in counter))

    def summary(self) -> str:
        lines = [f"{label:62} " + " ".join(f"{status}×{n}" for status, n in sorted(counter.items()))
                 for label, counter in sorted(self.statuses.items())]
        lines.append(f"{self.requests()} requests, {self.share_2xx():.0%} answered 2xx; "
                     f"operations with no 2xx: {', '.join(self.operations_without_2xx()) or 'none'}")
        return "\n".join(lines)

    def failure_report(self) -> str:
        return "\n\n".join(f"=== {label} · {title}\n{report}"
                           for (label, title), report in sorted(self.failures.items()))


# -- what the generator is given -----------------------------------------------------------------

# Which dictionary feeds which parameter ("location.name").
BINDINGS = {
    "region_ids": ("path.region_id", "query.region_id", "query.parent_id", "body.region_id"),
    "user_ids": ("path.user_id",),
    "worker_ids": ("path.worker_id", "query.worker_id", "body.worker_id"),
    "post_ids": ("path.post_id",),
    "shift_ids": ("path.shift_id",),
    "department_ids": ("path.department_id",),
    # The service hall's set-up: the demo hall, its services and windows.
    "hall_ids": ("path.hall_id", "query.hall_id"),
    "alert_ids": ("path.alert_id",),
    "rating_ids": ("path.rating_id",),
    "ticket_ids": ("path.ticket_id",),
    "service_ids": ("path.service_id",),
    "window_ids": ("path.window_id",),
    # E-certificates: the demo's types, issuers, certificates and their QR texts, holders.
    "certificate_ids": ("path.certificate_id", "body.certificate_id"),
    "type_ids": ("path.type_id",),
    "issuer_ids": ("path.issuer_id", "body.issuer_id"),
    "type_codes": ("body.type", "query.type"),
    "qrs": ("body.qr",),
    "holders": ("body.holder",),
    "months": ("query.month",),
    "days": ("query.date", "body.starts_on", "query.from", "query.to", "query.day"),
    "times": ("body.starts_at", "body.ends_at"),
    "lats": ("query.lat", "body.lat"),
    "lons": ("query.lon", "body.lon"),
    # A citizen signing up: a free username (once) and a password the rule accepts.
    "usernames": ("body.username",),
    "passwords": ("body.password",),
    "phones": ("body.phone",),
}


def demo_city(db) -> tuple[dict, dict]:
    """Values of the demo city for the generator to draw from, by dictionary name; and a
    point inside each grid, by grid id."""
    users = {user.username: user for user in db.session.scalars(select(User))}
    regions = list(db.session.scalars(select(Region)))
    inside = {str(r.id): shapely.from_geojson(r.boundary_geojson).representative_point()
              for r in regions if r.level == "grid"}
    dictionaries = {
        "region_ids": [str(r.id) for r in regions],
        # Not admin's own: a new password for it would end the fuzzing's own session.
        "user_ids": [str(u.id) for name, u in users.items() if name != "admin"],
        "worker_ids": [str(u.id) for name, u in users.items() if name.startswith("worker")],
        "post_ids": [str(p) for p in db.session.scalars(select(Post.id))],
        "shift_ids": [str(s) for s in db.session.scalars(select(Shift.id))],
        "department_ids": [str(d) for d in db.session.scalars(select(Department.id))],
        "hall_ids": [str(h) for h in db.session.scalars(select(Hall.id))],
        "service_ids": [str(s) for s in db.session.scalars(select(Service.id))],
        "window_ids": [str(w) for w in db.session.scalars(select(Window.id))],
        "alert_ids": [str(a) for a in db.session.scalars(select(HallAlert.id).limit(20))],
        "rating_ids": [str(r) for r in db.session.scalars(
            select(TicketRating.id).where(TicketRating.followup_status.is_not(None)).limit(20))],
        "ticket_ids": [str(t) for t in db.session.scalars(
            select(Ticket.id).order_by(Ticket.taken_at.desc()).limit(20))],
        "certificate_ids": [str(c) for c in db.session.scalars(select(Certificate.id))],
        "type_ids": [str(t) for t in db.session.scalars(select(CertificateType.id))],
        "issuer_ids": [str(i) for i in db.session.scalars(select(CertificateIssuer.id))],
        "type_codes": list(db.session.scalars(select(CertificateType.code))),
        "qrs": list(db.session.scalars(select(Certificate.qr))),
        "holders": ["citizen1", "citizen2"],
        "months": ["2026-10", "2026-11", "2026-12"],
        "days": ["2026-11-20", "2026-11-23", "2026-12-01"],
        "times": ["08:30", "12:00", "17:30"],
        "lats": sorted({round(p.y, 6) for p in inside.values()}),
        "lons": sorted({round(p.x, 6) for p in inside.values()}),
        "usernames": ["newcomer", "hall-visitor", "citizen.three", "worker1"],
        "passwords": ["lantern 2049", "demo12345"],
        "phones": ["13800138000", "+86 531 8888 6666"],
    }
    posts = {str(p.id): inside[str(p.region_id)] for p in db.session.scalars(select(Post))}
    points = {**inside, **posts}  # by grid id, and by post id (its grid's)
    return dictionaries, {key: (round(p.y, 6), round(p.x, 6)) for key, p in points.items()}


def schemathesis_config(dictionaries: dict) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "dictionaries": {name: {"values": values} for name, values in dictionaries.items() if values},
        "parameters": {parameter: {"dictionary": name, "probability": DICTIONARY_PROBABILITY}
                       for name, parameters in BINDINGS.items() if dictionaries[name]
                       for parameter in parameters},
        # The bearer token is ours; generated ones would only be refused.
        "generation": {"deterministic": True, "with-security-parameters": False},
        # Fuzzing sends valid requests, to get through to the logic; coverage sends both
        # (the boundaries of what is valid, and what is not). Other methods on each path
        # are left out: test_conventions checks the 405 once for all.
        "phases": {"fuzzing": {"generation": {"mode": "positive"}},
                   "coverage": {"generation": {"mode": "all"}, "unexpected-methods": []}},
    })


def load_schema(app, dictionaries: dict, points: dict):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app,
                                            config=schemathesis_config(dictionaries))

    @schema.hook
    def map_case(context, case):
        # A post's point must lie in its grid: a random one almost never does.
        if case.path.startswith("/api/v1/attendance/posts") and isinstance(case.body, dict):
            key = case.body.get("region_id") or (case.path_parameters or {}).get("post_id")
            if str(key) in points and {"lat", "lon"} & set(case.body):
                case.body["lat"], case.body["lon"] = points[str(key)]
        return case

    return schema


# -- running it ----------------------------------------------------------------------------------

def fuzz_operation(schema, operation, role: str, headers: dict, tally: Tally, *, coverage: bool):
    label = f"{operation.method.upper()} {operation.path}"
    # Plain bodies: compressed ones would not be read back as JSON.
    headers = {**headers, "Accept-Encoding": "identity"}

    def check(case):
        response = case.call(headers=headers)
        tally.statuses[label][response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:  # kept, not raised: one run reports every kind of failure
            for failure in group.exceptions:
                tally.failures.setdefault((label, failure.title), f"as {role}: {group}")

    mode = HypothesisTestMode.COVERAGE if coverage else HypothesisTestMode.FUZZING
    phases = [hypothesis.Phase.explicit] if coverage else [hypothesis.Phase.generate]
    test = create_test(operation=operation, test_func=check, config=HypothesisTestConfig(
        project=schema.config, modes=[mode], settings=hypothesis.settings(
            max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
            phases=phases, suppress_health_check=list(hypothesis.HealthCheck))))
    test()


def role_refused(client, operation, headers: dict) -> bool:
    """Whether this role is refused the operation before anything else is read (403
    forbidden_role): fuzzing it would only count refusals."""
    path = re.sub(r"\{sha\}", "0" * 64, operation.path)
    path = re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)
    method = operation.method.upper()
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    answer = client.open(path, method=method, headers=headers, **body)
    return answer.status_code == 403 and (answer.get_json() or {}).get("error", {}).get(
        "code") == "forbidden_role"


@pytest.mark.slow
def test_every_answer_is_documented_and_no_request_gets_a_5xx(app, client, db, demo, demo_login):
    if app.config["TEST_DATABASE"] != "sqlite":
        pytest.skip("the fuzzing runs on SQLite only (see the module's docstring)")
    started = time.monotonic()
    # All signed in first: fuzzing the sign-in piles failures on the test client's address.
    tokens = {role: demo_login(role) for role in ROLES}
    schema = load_schema(app, *demo_city(db))
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if f"{op.method.upper()} {op.path}" not in TOKEN_KILLERS | STREAMS]
    fuzzing = Tally()
    coverage = Tally(failures=fuzzing.failures)

    def assert_session_alive(role: str) -> None:
        # Or every request after the end would have been a documented, and useless, 401.
        me = client.get("/api/v1/me", headers=tokens[role])
        assert me.status_code == 200, f"the fuzzing ended {role}'s own session: {me.get_json()}"

    for role in ROLES:
        for operation in operations:
            if role_refused(client, operation, tokens[role]):
                continue  # the role check answers first; the authorization matrix covers it
            fuzz_operation(schema, operation, role, tokens[role], fuzzing, coverage=False)
        assert_session_alive(role)  # now: the admin's run may end the others' sessions
    for operation in operations:
        fuzz_operation(schema, operation, COVERAGE_ROLE, tokens[COVERAGE_ROLE], coverage,
                       coverage=True)
    assert_session_alive(COVERAGE_ROLE)
    print(f"\nfuzzing, as {', '.join(ROLES)}:\n{fuzzing.summary()}\n\ncoverage, as "
          f"{COVERAGE_ROLE}:\n{coverage.summary()}\n\nin {time.monotonic() - started:.0f} s")

    assert not fuzzing.failures, fuzzing.failure_report()
    # The coverage phase is mostly invalid input by design; the fuzzing phase should get through.
    assert fuzzing.share_2xx() >= MIN_SHARE_2XX, fuzzing.summary()
    # Some cannot succeed without what the demo city lacks (photos, conflicts, a refresh token).
    never = [label for label in fuzzing.operations_without_2xx() if label not in NEEDS_A_STATE]
    assert len(never) <= len(operations) // 3, fuzzing.summary()
