"""E-certificates: an administrator, an issuer with its current key, an "ID" type with three
fields (ten years' validity), a citizen, and issue_one() to give the citizen a certificate.

Everything is made through the issuing services (as the admin API would), so the rows are
the ones the app itself writes: signed, audited, with status-list indexes taken."""

from __future__ import annotations

import pytest

from backend.certificates import issuance
from tests import factories
from tests.api.certificates.helpers import ID_FIELDS, ID_VALUES


@pytest.fixture
def admin(db):
    return factories.make_user(roles=("admin",), display_name="管理员 王强")


@pytest.fixture
def admin_headers(admin, login_as):
    return login_as(admin)


@pytest.fixture
def issuer(db, admin):
    """The issuer "GA" (公安局), bound to no department, with its first (current) key."""
    return issuance.create_issuer(admin, code="GA", name="临沂市公安局")


@pytest.fixture
def id_type(db, admin, issuer):
    """The type "ID": gender, birth_date, address; valid for 3650 days."""
    return issuance.create_type(admin, code="ID", name="居民身份证", name_en="Resident ID card",
                                issuer_id=issuer.id, fields=ID_FIELDS, validity_days=3650)


@pytest.fixture
def citizen(db):
    return factories.make_user(roles=("citizen",), display_name="市民 李娜")


@pytest.fixture
def issue_one(db, admin, id_type, citizen):
    """issue_one(type_code="ID", holder=citizen, **overrides) → the Certificate, issued by the
    administrator. Overrides go to issuance.issue: holder_name, fields, number, expires_at;
    `holder` may be a User or a username."""

    def _issue(type_code: str = "ID", holder=None, **overrides):
        holder = holder if holder is not None else citizen
        username = holder if isinstance(holder, str) else holder.username
        arguments = {"holder_name": "李娜", "fields": dict(ID_VALUES)} | overrides
        return issuance.issue(admin, type=type_code, holder=username, **arguments)

    return _issue
