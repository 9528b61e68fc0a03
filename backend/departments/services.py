"""Departments (职能部门): administrators add, rename and remove them; everyone reads them.

Every write logs the change for sync in its own transaction, so phones and consoles that
hold the list offline get it too.
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from backend.common.paging import Page, paginate
from backend.common.time import utcnow
from backend.common.transactions import commit_or_conflict
from backend.departments.models import Department
from backend.departments.sync import department_change
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.sync_adapter.services import log_reference_changes

TAKEN = "A department with this code or name exists already."


def list_departments(*, q: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Departments by name, optionally those whose name or code contains q."""
    query = select(Department).order_by(Department.name)
    if q:
        query = query.where(or_(Department.name.icontains(q, autoescape=True),
                                Department.code.icontains(q, autoescape=True)))
    return paginate(query, page, per_page)


def find_department(department_id: uuid.UUID) -> Department | None:
    return db.session.get(Department, department_id)


def get_department(department_id: uuid.UUID) -> Department:
    department = find_department(department_id)
    if department is None:
        raise NotFound("No such department.")
    return department


def _check_free(code: str | None, name: str | None, department_id: uuid.UUID | None = None) -> None:
    clauses = [Department.code == code] if code else []
    clauses += [Department.name == name] if name else []
    query = select(Department.id).where(or_(*clauses))
    if department_id is not None:
        query = query.where(Department.id != department_id)
    if clauses and db.session.scalar(query.limit(1)) is not None:
        raise Conflict(TAKEN, code="department_taken")


def create_department(*, code: str, name: str) -> Department:
    """Add a department; its code and its name are each unique."""
    department = add_department(code=code.strip(), name=name.strip())
    commit_or_conflict(TAKEN, "department_taken")
    return department


def add_department(*, code: str, name: str) -> Department:
    """Add a department in the caller's transaction, logged for sync (checks it is free)."""
    _check_free(code, name)
    department = Department(id=uuid.uuid4(), code=code, name=name, version=1)
    db.session.add(department)
    log_reference_changes("departments", [department_change(department)])
    return department


def update_department(department_id: uuid.UUID, changes: dict) -> Department:
    """Rename a department or change its code."""
    department = get_department(department_id)
    changes = {key: value.strip() for key, value in changes.items()}
    _check_free(changes.get("code"), changes.get("name"), department.id)
    for key, value in changes.items():
        setattr(department, key, value)
    department.version += 1
    department.updated_at = utcnow()
    log_reference_changes("departments", [department_change(department)])
    commit_or_conflict(TAKEN, "department_taken")
    return department


def delete_department(department_id: uuid.UUID) -> None:
    """Remove a department that has no staff and no cases; phones drop it on their next pull."""
    department = get_department(department_id)
    department.version += 1  # the tombstone's version, newer than any copy a phone holds
    change = department_change(department, deleted=True)
    db.session.delete(department)
    try:
        db.session.flush()
    except IntegrityError as error:
        # Staff accounts or cases point to it (foreign keys): it stays, and the admin is told.
        db.session.rollback()
        raise Conflict("The department still has staff accounts or cases; move them first.",
                       code="department_in_use") from error
    log_reference_changes("departments", [change])
    db.session.commit()
