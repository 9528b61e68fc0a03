"""The demo's e-certificates (电子证照): three issuers, four types, and a few certificates
for citizen1 and citizen2 — one expired, one revoked, one suspended; the police's key was
rotated once, so the JWK Set shows a retired key still verifying an ID card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.accounts.models import User
from backend.certificates import issuance, keys
from backend.certificates.models import (
    REVOKED,
    SUSPENDED,
    USE_CONSENT,
    USE_VERIFY,
    CertificateIssuer,
    CertificateType,
    CertificateUse,
)
from backend.common.time import utcnow
from backend.departments.models import Department
from backend.extensions import db

ISSUERS = (("LYGA", "临沂市公安局", None), ("LYSJ", "临沂市市场监督管理局", "SCJGJ"),
           ("LYRS", "临沂市人力资源和社会保障局", None))
TYPES = (
    ("ID", "居民身份证", "Resident ID card", "LYGA", 7300,
     [("gender", "性别", "Sex"), ("ethnicity", "民族", "Ethnicity"),
      ("birth_date", "出生日期", "Date of birth"), ("address", "住址", "Address")]),
    ("RP", "居住证", "Residence permit", "LYGA", 365,
     [("address", "居住地址", "Address of residence"), ("since", "居住起始日期", "Resident since")]),
    ("BL", "营业执照", "Business licence", "LYSJ", None,
     [("credit_code", "统一社会信用代码", "Unified social credit code"),
      ("legal_representative", "经营者", "Operator"), ("kind", "类型", "Kind"),
      ("scope", "经营范围", "Business scope"), ("established", "成立日期", "Established")]),
    ("SSC", "社会保障卡", "Social security card", "LYRS", 3650,
     [("bank", "开户银行", "Bank"), ("insured_since", "参保日期", "Insured since")]),
)
# (holder, type, holder name, number, fields, issued days ago, status, reason); the first
# is signed before the police's key rotation.
CERTIFICATES = (
    ("citizen1", "ID", "刘洋", "371302199003152316",
     {"gender": "男", "ethnicity": "汉", "birth_date": "1990-03-15",
      "address": "山东省临沂市兰山区金雀山路18号"}, 900, None, ""),
    ("citizen1", "RP", "刘洋", "RP3713022024000815",
     {"address": "临沂市兰山区西关社区", "since": "2024-08-01"}, 500, None, ""),
    ("citizen1", "BL", "临沂市兰山区刘洋便利店", "92371302MA3C8K2X4P",
     {"credit_code": "92371302MA3C8K2X4P", "legal_representative": "刘洋", "kind": "个体工商户",
      "scope": "预包装食品、日用百货零售", "established": "2021-05-20"}, 400, None, ""),
    ("citizen1", "SSC", "刘洋", "A37130215",
     {"bank": "中国工商银行临沂分行", "insured_since": "2012-07-01"}, 700, None, ""),
    ("citizen2", "ID", "陈静", "371311199206084525",
     {"gender": "女", "ethnicity": "汉", "birth_date": "1992-06-08",
      "address": "山东省临沂市罗庄区沂河路66号"}, 120, None, ""),
    ("citizen2", "RP", "陈静", "RP3713112026000412",
     {"address": "临沂市罗庄区罗庄社区", "since": "2026-04-01"}, 60, None, ""),
    ("citizen2", "BL", "临沂市罗庄区陈静服装店", "92371311MA3D2L7Q1K",
     {"credit_code": "92371311MA3D2L7Q1K", "legal_representative": "陈静", "kind": "个体工商户",
      "scope": "服装、鞋帽零售", "established": "2019-03-11"}, 300, REVOKED, "经营者申请注销登记"),
    ("citizen2", "SSC", "陈静", "A37131108",
     {"bank": "临沂农商银行", "insured_since": "2015-09-01"}, 200, SUSPENDED, "持卡人挂失"),
)



def load_demo_certificates(now: datetime | None = None) -> int:
    """Issuers, types and certificates, once; returns the certificates written."""
    if db.session.scalar(select(CertificateIssuer.id).limit(1)) is not None:
        return 0
    holders = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(("citizen1", "citizen2"))))}
    if len(holders) < 2:
        return 0
    now = now or utcnow()
    departments = dict(db.session.execute(select(Department.code, Department.id)).all())
    issuers = {}
    for code, name, department in ISSUERS:
        issuers[code] = CertificateIssuer(code=code, name=name, department_id=departments.get(department))
        db.session.add(issuers[code])
        db.session.flush()
        keys.new_key(issuers[code].id)
    types = {}
    for code, name, name_en, issuer, days, fields in TYPES:
        types[code] = CertificateType(code=code, name=name, name_en=name_en, issuer=issuers[issuer],
                                      validity_days=days, fields=[
                                          {"key": k, "label": label, "label_en": label_en}
                                          for k, label, label_en in fields])
        db.session.add(types[code])
    db.session.flush()
    written = []
    for n, (holder, type_code, name, number, fields, days_ago, status, reason) in enumerate(CERTIFICATES):
        ctype = types[type_code]
        issued = (now - timedelta(days=days_ago)).replace(hour=1, minute=30, second=0, microsecond=0)
        expires = issued + timedelta(days=ctype.validity_days) if ctype.validity_days else None
        draft = issuance.Draft(ctype, holders[holder].id, holder, name, number, fields, expires)
        index = issuance.reserve_indexes(ctype.issuer_id, 1)
        certificate = issuance.sign_draft(draft, issuance.current_key(ctype.issuer), index, issued)
        if status:
            certificate.status, certificate.status_reason = status, reason
            certificate.status_changed_at = now - timedelta(days=3)
        db.session.add(certificate)
        written.append(certificate)
        if n == 0:  # the police rotated their key after signing citizen1's ID card
            db.session.flush()
            issuance.keys.rotate(ctype.issuer)
    db.session.flush()
    _add_uses(written[0], now)
    db.session.commit()
    return len(written)


def _add_uses(id_card, now: datetime) -> None:
    """citizen1's ID card was checked twice and shared once at the hall's window."""
    for days, channel, who, organisation, place in (
            (40, USE_VERIFY, "市场监管局 周涛", None, "兰山区金雀山路"),
            (12, USE_CONSENT, "王芳", "临沂市政务服务中心", "临沂市政务服务中心 1号窗口"),
            (2, USE_VERIFY, None, None, None)):
        db.session.add(CertificateUse(certificate_id=id_card.id, channel=channel, verdict="valid",
                                      at=(now - timedelta(days=days)).astimezone(UTC),
                                      verifier_name=who, organisation=organisation, place=place))
