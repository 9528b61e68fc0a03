"""E-certificates' request and response shapes."""

from __future__ import annotations

import marshmallow as ma

from backend.common.paging import PageArgs

STATUS_DOC = "valid, expired, revoked or suspended."


class FieldDef(ma.Schema):
    key = ma.fields.String(required=True, validate=ma.validate.Length(1, 32),
                           metadata={"description": "Lower-case word, e.g. birth_date."})
    label = ma.fields.String(required=True, validate=ma.validate.Length(1, 50))
    label_en = ma.fields.String(load_default="", validate=ma.validate.Length(0, 50))


class FieldValue(ma.Schema):
    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    label_en = ma.fields.String(required=True)
    value = ma.fields.String(required=True)


class UseOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    at = ma.fields.AwareDateTime(required=True)
    channel = ma.fields.String(required=True, metadata={"description": "verify or consent."})
    verifier = ma.fields.String(allow_none=True, metadata={"description": "Who checked it; null: anonymous."})
    organisation = ma.fields.String(allow_none=True)
    place = ma.fields.String(allow_none=True)
    verdict = ma.fields.String(required=True)


class CertificateOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    type = ma.fields.String(required=True)
    type_name = ma.fields.String(required=True)
    type_name_en = ma.fields.String(required=True)
    number = ma.fields.String(required=True)
    holder_name = ma.fields.String(required=True)
    issuer = ma.fields.String(required=True)
    issuer_name = ma.fields.String(required=True)
    issued_at = ma.fields.AwareDateTime(required=True)
    expires_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "null: never expires."})
    status = ma.fields.String(required=True, metadata={"description": STATUS_DOC})
    status_reason = ma.fields.String(required=True)
    fields = ma.fields.List(ma.fields.Nested(FieldValue), required=True)
    qr = ma.fields.String(required=True, metadata={"description": "The exact text the QR code encodes."})
    kid = ma.fields.String(required=True)
    uses = ma.fields.List(ma.fields.Nested(UseOut), required=True)
    uses_count = ma.fields.Integer(required=True)


class CertificateListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CertificateOut), required=True)


class VerifyIn(ma.Schema):
    qr = ma.fields.String(required=True, metadata={"description": "The QR code's text (CG1:…)."})
    place = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(0, 200),
                             metadata={"description": "Where the check happens, for the holder's log."})


class ClaimedOut(ma.Schema):
    type = ma.fields.String(required=True)
    type_name = ma.fields.String(required=True)
    type_name_en = ma.fields.String(required=True)
    number = ma.fields.String(required=True)
    holder_name = ma.fields.String(required=True)
    issuer = ma.fields.String(required=True)
    issuer_name = ma.fields.String(required=True)
    issued_at = ma.fields.String(required=True)
    expires_at = ma.fields.String(allow_none=True)
    kid = ma.fields.String(required=True)
    status_index = ma.fields.Integer(required=True)


class VerifyOut(ma.Schema):
    valid = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, metadata={
        "description": "valid, malformed, oversize, unknown_key, bad_signature, not_yet_valid, "
                       "expired, revoked or suspended."})
    certificate = ma.fields.Nested(ClaimedOut, allow_none=True, metadata={
        "description": "What the QR says, once its signature holds; null before."})


class JwkOut(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    kty = ma.fields.String(required=True)
    crv = ma.fields.String(required=True)
    x = ma.fields.String(required=True)
    y = ma.fields.String(required=True)
    kid = ma.fields.String(required=True)
    alg = ma.fields.String(required=True)
    use = ma.fields.String(required=True)
    iss = ma.fields.String(required=True)
    issuer_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "current or retired."})
    created_at = ma.fields.String(required=True)
    retired_at = ma.fields.String(allow_none=True)


class JwksOut(ma.Schema):
    keys = ma.fields.List(ma.fields.Nested(JwkOut), required=True)


class StatusListOut(ma.Schema):
    issuer = ma.fields.String(required=True)
    token = ma.fields.String(required=True, metadata={"description": "Compact JWS, ES256."})


class TypeNameOut(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)


class StatusListsOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StatusListOut), required=True)
    types = ma.fields.List(ma.fields.Nested(TypeNameOut), required=True, metadata={
        "description": "Every certificate type's name, for showing a QR's type code offline."})


# -- consent --------------------------------------------------------------------------------

class RequestIn(ma.Schema):
    type = ma.fields.String(required=True, validate=ma.validate.Length(1, 16))
    purpose = ma.fields.String(load_default="", validate=ma.validate.Length(0, 200))


class ApproveIn(ma.Schema):
    certificate_id = ma.fields.UUID(required=True)


class EmptyIn(ma.Schema):
    pass


class SharedCertificateOut(CertificateOut):
    class Meta:
        exclude = ("uses", "uses_count")

    verification = ma.fields.Dict(required=True, metadata={
        "description": '{"valid", "reason"}: checked on the server when shared.'})


class RequestOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    ticket_id = ma.fields.UUID(required=True)
    ticket_number = ma.fields.String(allow_none=True)
    type = ma.fields.String(required=True)
    type_name = ma.fields.String(required=True)
    type_name_en = ma.fields.String(required=True)
    purpose = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={
        "description": "pending, approved, declined or expired."})
    requested_at = ma.fields.AwareDateTime(required=True)
    expires_at = ma.fields.AwareDateTime(required=True)
    answered_at = ma.fields.AwareDateTime(allow_none=True)
    hall_name = ma.fields.String(allow_none=True)
    window_number = ma.fields.Integer(allow_none=True)
    clerk_name = ma.fields.String(allow_none=True)
    certificate = ma.fields.Nested(SharedCertificateOut, allow_none=True)


class RequestListArgs(ma.Schema):
    ticket_id = ma.fields.UUID(load_default=None)


class RequestListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RequestOut), required=True)


# -- issuers, types, issuing ---------------------------------------------------------------

class KeyOut(ma.Schema):
    kid = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    retired_at = ma.fields.AwareDateTime(allow_none=True)
    certificates = ma.fields.Integer(required=True, metadata={"description": "How many it signed."})


class IssuerIn(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(1, 16))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    department_id = ma.fields.UUID(load_default=None, allow_none=True)


class IssuerOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    department_id = ma.fields.UUID(allow_none=True)
    issued = ma.fields.Integer(required=True)
    keys = ma.fields.List(ma.fields.Nested(KeyOut), required=True)


class TypeIn(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.Length(1, 16))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    name_en = ma.fields.String(load_default="", validate=ma.validate.Length(0, 100))
    issuer_id = ma.fields.UUID(required=True)
    validity_days = ma.fields.Integer(load_default=None, allow_none=True,
                                      validate=ma.validate.Range(1, 36500),
                                      metadata={"description": "null: never expires (长期)."})
    fields = ma.fields.List(ma.fields.Nested(FieldDef), load_default=list,
                            validate=ma.validate.Length(0, 20))


class TypePatchIn(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(1, 100))
    name_en = ma.fields.String(validate=ma.validate.Length(0, 100))
    validity_days = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(1, 36500))
    fields = ma.fields.List(ma.fields.Nested(FieldDef), validate=ma.validate.Length(0, 20))

    @ma.validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ma.ValidationError("Nothing to change.")


class TypeOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    issuer_id = ma.fields.UUID(required=True)
    issuer = ma.fields.Function(lambda t: t.issuer.code, required=True)
    issuer_name = ma.fields.Function(lambda t: t.issuer.name, required=True)
    validity_days = ma.fields.Integer(allow_none=True)
    fields = ma.fields.List(ma.fields.Nested(FieldDef), required=True)


class TypeListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TypeOut), required=True)


class IssuerListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(IssuerOut), required=True)


class IssueIn(ma.Schema):
    type = ma.fields.String(required=True, validate=ma.validate.Length(1, 16))
    holder = ma.fields.String(required=True, validate=ma.validate.Length(1, 64),
                              metadata={"description": "The citizen's username."})
    holder_name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    number = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 64),
                              metadata={"description": "Absent: made from the type's code."})
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), load_default=dict)
    expires_at = ma.fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "Absent: from the type's validity."})


class IssuedListArgs(PageArgs):
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 64))
    type = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 16))
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(
        ("valid", "expired", "revoked", "suspended")))


class IssuedOut(CertificateOut):
    class Meta:
        exclude = ("uses", "uses_count")

    holder = ma.fields.String(required=True, metadata={"description": "The holder's username."})
    status_changed_at = ma.fields.AwareDateTime(allow_none=True)


class StatusIn(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(("revoked", "suspended", "valid")))
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(0, 200))


class ImportIn(ma.Schema):
    csv = ma.fields.String(required=True, validate=ma.validate.Length(1, 2_000_000), metadata={
        "description": "type,holder,holder_name,number,expires_at, then the type's field keys."})


class ImportError_(ma.Schema):
    line = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class ImportOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True, metadata={
        "description": "checking, signing, writing, done or failed."})
    total = ma.fields.Integer(required=True)
    done = ma.fields.Integer(required=True)
    issued = ma.fields.Integer(required=True)
    errors = ma.fields.List(ma.fields.Nested(ImportError_), required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    finished_at = ma.fields.AwareDateTime(allow_none=True)
