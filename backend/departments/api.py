"""Departments over HTTP: every staff member reads them, administrators edit them."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import ADMIN, STAFF_ROLES, auth_required
from backend.common.paging import page_schema
from backend.departments import schemas, services
from backend.extensions import Blueprint

departments_blp = Blueprint("departments", __name__, url_prefix="/api/v1/departments",
                            description="Departments (职能部门) that handle cases.")


@departments_blp.route("")
class Departments(MethodView):
    @auth_required(*STAFF_ROLES)
    @departments_blp.arguments(schemas.DepartmentListArgs, location="query")
    @departments_blp.response(200, page_schema(schemas.DepartmentOut))
    def get(self, args):
        """Departments by name."""
        return services.list_departments(**args)

    @auth_required(ADMIN)
    @departments_blp.arguments(schemas.DepartmentIn)
    @departments_blp.response(201, schemas.DepartmentOut)
    @departments_blp.alt_response(409, description="The code or the name is taken.")
    def post(self, args):
        """Add a department; administrators only."""
        return services.create_department(**args)


@departments_blp.route("/<uuid:department_id>")
class DepartmentById(MethodView):
    @auth_required(*STAFF_ROLES)
    @departments_blp.response(200, schemas.DepartmentOut)
    def get(self, department_id: uuid.UUID):
        """One department."""
        return services.get_department(department_id)

    @auth_required(ADMIN)
    @departments_blp.arguments(schemas.DepartmentPatchIn)
    @departments_blp.response(200, schemas.DepartmentOut)
    def patch(self, args, department_id: uuid.UUID):
        """Rename a department or change its code; administrators only."""
        return services.update_department(department_id, args)

    @auth_required(ADMIN)
    @departments_blp.response(204)
    @departments_blp.alt_response(409, description="It still has staff accounts or cases.")
    def delete(self, department_id: uuid.UUID):
        """Remove a department; administrators only."""
        services.delete_department(department_id)
