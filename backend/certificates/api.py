"""E-certificates over HTTP: the citizen's wallet, verification (open to anyone), the
verifiers' keys and status lists, and use by consent at a window."""

from __future__ import annotations

import uuid

from flask import request
from flask.views import MethodView

from backend.certificates import consent, schemas, verification, wallet
from backend.common.auth import CITIZEN, CLERK, auth_required, current_user, optional_user
from backend.extensions import Blueprint

certificates_blp = Blueprint("certificates", __name__, url_prefix="/api/v1/certificates",
                             description="E-certificates (电子证照): a citizen's wallet, "
                                         "verification, and status lists for verifiers.")
requests_blp = Blueprint("certificate_requests", __name__, url_prefix="/api/v1",
                         description="Use by consent (无证明城市): a clerk asks, the citizen shares.")
jwks_blp = Blueprint("jwks", __name__, url_prefix="/.well-known",
                     description="The certificate issuers' public keys.")


@certificates_blp.route("")
class OwnCertificates(MethodView):
    @auth_required(CITIZEN)
    @certificates_blp.response(200, schemas.CertificateListOut)
    def get(self):
        """The citizen's own certificates, each with its QR text and latest uses."""
        return {"items": wallet.wallet_views(wallet.own_certificates(current_user()))}


@certificates_blp.route("/<uuid:certificate_id>")
class OwnCertificate(MethodView):
    @auth_required(CITIZEN)
    @certificates_blp.response(200, schemas.CertificateOut)
    def get(self, certificate_id: uuid.UUID):
        """One of the citizen's certificates; anyone else's is 404."""
        return wallet.wallet_views([wallet.own_certificate(current_user(), certificate_id)])[0]


@certificates_blp.route("/verify")
class Verify(MethodView):
    @certificates_blp.doc(security=[])
    @certificates_blp.arguments(schemas.VerifyIn)
    @certificates_blp.response(200, schemas.VerifyOut)
    @certificates_blp.alt_response(429, description="`too_many_verifications` from this address "
                                                    "(details: retry_after_s).")
    def post(self, args):
        """Check a QR's signature, dates and status; open without sign-in. A genuine
        certificate's use is logged for its holder (with the verifier, when signed in)."""
        return verification.verify(args["qr"], address=request.remote_addr or "unknown",
                                   verifier=optional_user(), place=args["place"])


@certificates_blp.route("/status-lists")
class StatusLists(MethodView):
    @certificates_blp.doc(security=[])
    @certificates_blp.response(200, schemas.StatusListsOut)
    def get(self):
        """Every issuer's signed status list (revocation and suspension bitstrings), for
        verifiers to cache and check offline."""
        return verification.status_lists()


@jwks_blp.route("/jwks.json")
class Jwks(MethodView):
    @jwks_blp.doc(security=[])
    @jwks_blp.response(200, schemas.JwksOut)
    def get(self):
        """The issuers' public keys, current and retired (while needed), as a JWK Set."""
        return verification.jwks()


@requests_blp.route("/tickets/<uuid:ticket_id>/certificate-requests")
class TicketRequests(MethodView):
    @auth_required(CLERK)
    @requests_blp.arguments(schemas.RequestIn)
    @requests_blp.response(201, schemas.RequestOut)
    @requests_blp.alt_response(409, description="`invalid_transition`: not the ticket this clerk "
                                                "is serving now.")
    def post(self, args, ticket_id: uuid.UUID):
        """Ask the holder of the ticket being served to share a certificate (pushed to them)."""
        return consent.request_view(consent.request_certificate(current_user(), ticket_id, **args))


@requests_blp.route("/certificate-requests")
class Requests(MethodView):
    @auth_required(CITIZEN, CLERK)
    @requests_blp.arguments(schemas.RequestListArgs, location="query")
    @requests_blp.response(200, schemas.RequestListOut)
    def get(self, args):
        """Requests to the citizen (pending first), or a clerk's of the last day."""
        rows = consent.list_requests(current_user(), args["ticket_id"])
        return {"items": [consent.request_view(r) for r in rows]}


@requests_blp.route("/certificate-requests/<uuid:request_id>")
class OneRequest(MethodView):
    @auth_required(CITIZEN, CLERK)
    @requests_blp.response(200, schemas.RequestOut)
    def get(self, request_id: uuid.UUID):
        """One request, for the citizen asked or the clerk who asked; with the shared
        certificate once approved."""
        return consent.request_view(consent.get_request(current_user(), request_id))


@requests_blp.route("/certificate-requests/<uuid:request_id>/approve")
class Approve(MethodView):
    @auth_required(CITIZEN)
    @requests_blp.arguments(schemas.ApproveIn)
    @requests_blp.response(200, schemas.RequestOut)
    @requests_blp.alt_response(409, description="`request_closed`: answered or expired.")
    def post(self, args, request_id: uuid.UUID):
        """Share one's certificate of the requested type (同意出示)."""
        return consent.request_view(consent.approve(current_user(), request_id, args["certificate_id"]))


@requests_blp.route("/certificate-requests/<uuid:request_id>/decline")
class Decline(MethodView):
    @auth_required(CITIZEN)
    @requests_blp.arguments(schemas.EmptyIn)
    @requests_blp.response(200, schemas.RequestOut)
    @requests_blp.alt_response(409, description="`request_closed`: answered or expired.")
    def post(self, _args, request_id: uuid.UUID):
        """Refuse to share."""
        return consent.request_view(consent.decline(current_user(), request_id))
