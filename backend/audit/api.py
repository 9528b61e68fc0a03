"""The audit trail, read by administrators."""

from __future__ import annotations

from flask.views import MethodView

from backend.audit import schemas, services
from backend.common.auth import ADMIN, auth_required
from backend.common.paging import page_schema
from backend.extensions import Blueprint

audit_blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                      description="Who signed in, failed, was locked out, changed accounts, "
                                  "passwords and roles, or restored a sync conflict.")


@audit_blp.route("")
class AuditEvents(MethodView):
    @auth_required(ADMIN)
    @audit_blp.arguments(schemas.AuditListArgs, location="query")
    @audit_blp.response(200, page_schema(schemas.AuditEventOut))
    def get(self, args):
        """Audited events, newest first; administrators only (the trail covers every region)."""
        return services.list_events(**args)
