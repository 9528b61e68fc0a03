"""E-certificates' issuing side over HTTP: issuers and their keys, types, issuing one or a
CSV of them, revoking and suspending. Administrators, and a department's staff for their
department's issuers."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.certificates import imports, issuance, schemas, wallet
from backend.common.auth import ADMIN, CLERK, DEPARTMENT, auth_required, current_user
from backend.common.paging import page_schema, paginate
from backend.extensions import Blueprint

issuing_blp = Blueprint("certificate_issuing", __name__, url_prefix="/api/v1",
                        description="Issuing e-certificates (发证): issuers and keys, types, "
                                    "certificates, bulk imports.")


def issuer_view(issuer, counts: dict) -> dict:
    return {"id": issuer.id, "code": issuer.code, "name": issuer.name,
            "department_id": issuer.department_id,
            "issued": sum(counts.get(k.id, 0) for k in issuer.keys),
            "keys": [{"kid": k.kid, "status": k.status, "created_at": k.created_at,
                      "retired_at": k.retired_at, "certificates": counts.get(k.id, 0)}
                     for k in issuer.keys]}


@issuing_blp.route("/certificate-issuers")
class Issuers(MethodView):
    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.response(200, schemas.IssuerListOut)
    def get(self):
        """The issuers this person issues for, with their keys."""
        issuers = issuance.list_issuers(current_user())
        counts = issuance.key_counts(i.id for i in issuers)
        return {"items": [issuer_view(i, counts) for i in issuers]}

    @auth_required(ADMIN)
    @issuing_blp.arguments(schemas.IssuerIn)
    @issuing_blp.response(201, schemas.IssuerOut)
    @issuing_blp.alt_response(409, description="`code_taken`.")
    def post(self, args):
        """A new issuer (发证机关), with its first signing key."""
        return issuer_view(issuance.create_issuer(current_user(), **args), {})


@issuing_blp.route("/certificate-issuers/<uuid:issuer_id>/keys")
class IssuerKeys(MethodView):
    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.arguments(schemas.EmptyIn)
    @issuing_blp.response(201, schemas.KeyOut)
    def post(self, _args, issuer_id: uuid.UUID):
        """Rotate: a new current key; the old one retires and keeps verifying what it signed."""
        key = issuance.rotate_key(current_user(), issuer_id)
        return {"kid": key.kid, "status": key.status, "created_at": key.created_at,
                "retired_at": None, "certificates": 0}


@issuing_blp.route("/certificate-types")
class Types(MethodView):
    @auth_required(ADMIN, DEPARTMENT, CLERK)
    @issuing_blp.response(200, schemas.TypeListOut)
    def get(self):
        """Every certificate type (a clerk picks one to request)."""
        return {"items": issuance.list_types()}

    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.arguments(schemas.TypeIn)
    @issuing_blp.response(201, schemas.TypeOut)
    @issuing_blp.alt_response(409, description="`code_taken`.")
    def post(self, args):
        """A new certificate type of an issuer one issues for."""
        return issuance.create_type(current_user(), **args)


@issuing_blp.route("/certificate-types/<uuid:type_id>")
class OneType(MethodView):
    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.arguments(schemas.TypePatchIn)
    @issuing_blp.response(200, schemas.TypeOut)
    def patch(self, args, type_id: uuid.UUID):
        """Rename, change validity or fields; certificates issued keep theirs."""
        return issuance.update_type(current_user(), type_id, **args)


@issuing_blp.route("/issued-certificates")
class Issued(MethodView):
    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.arguments(schemas.IssuedListArgs, location="query")
    @issuing_blp.response(200, page_schema(schemas.IssuedOut))
    def get(self, args):
        """Certificates of one's issuers, newest first; search by number or holder's name."""
        page = paginate(issuance.list_issued(current_user(), q=args["q"], type=args["type"],
                                             status=args["status"]), args["page"], args["per_page"])
        page.items = wallet.issued_views(page.items)
        return page

    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.arguments(schemas.IssueIn)
    @issuing_blp.response(201, schemas.IssuedOut)
    @issuing_blp.alt_response(409, description="`number_taken` for this type.")
    def post(self, args):
        """Issue a certificate to a citizen (发证)."""
        return wallet.issued_views([issuance.issue(current_user(), **args)])[0]


@issuing_blp.route("/issued-certificates/<uuid:certificate_id>")
class OneIssued(MethodView):
    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.response(200, schemas.IssuedOut)
    def get(self, certificate_id: uuid.UUID):
        """One certificate of one's issuers."""
        return wallet.issued_views([issuance.get_issued(current_user(), certificate_id)])[0]


@issuing_blp.route("/issued-certificates/<uuid:certificate_id>/status")
class IssuedStatus(MethodView):
    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.arguments(schemas.StatusIn)
    @issuing_blp.response(200, schemas.IssuedOut)
    @issuing_blp.alt_response(409, description="`invalid_transition`: revoked is final.")
    def post(self, args, certificate_id: uuid.UUID):
        """Revoke (final), suspend, or reinstate (valid) with a reason; audited."""
        return wallet.issued_views([issuance.set_status(current_user(), certificate_id, **args)])[0]


@issuing_blp.route("/certificate-imports")
class Imports(MethodView):
    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.arguments(schemas.ImportIn)
    @issuing_blp.response(202, schemas.ImportOut)
    def post(self, args):
        """Issue a CSV of certificates, all or none, in the background; read its progress
        from GET /certificate-imports/{id}."""
        return imports.start_import(current_user(), args["csv"])


@issuing_blp.route("/certificate-imports/<uuid:import_id>")
class OneImport(MethodView):
    @auth_required(ADMIN, DEPARTMENT)
    @issuing_blp.response(200, schemas.ImportOut)
    def get(self, import_id: uuid.UUID):
        """An import's phase, progress, and every bad line's error when it failed."""
        return imports.get_import(current_user(), import_id)
