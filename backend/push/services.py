"""Subscribing a browser, and pushing to people's browsers through the job queue."""

from __future__ import annotations

import base64
import binascii
import fnmatch
import ipaddress
import json
import logging
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from backend.common.files import load_or_create_file
from backend.common.settings import app_state, instance_path, setting
from backend.common.time import utcnow
from backend.errors import Invalid, NotFound
from backend.extensions import db
from backend.jobs.services import enqueue, handler
from backend.push.models import PushSubscription

log = logging.getLogger(__name__)
SEND_JOB = "push.send"
KEY_FILE = "vapid_private.pem"
STEP_NAMES = {"register": "立案", "dispatch": "派遣", "handle": "处置", "verify": "核查",
              "close": "结案"}


# -- the server's key -------------------------------------------------------------------

def vapid() -> Vapid:
    """The VAPID key pair: VAPID_PRIVATE_KEY, else the instance folder's, made once."""
    return app_state("civicgrid.push.vapid", _load_vapid)


def _load_vapid() -> Vapid:
    configured = setting("VAPID_PRIVATE_KEY")
    if configured:
        if configured.startswith("-----BEGIN"):
            return Vapid.from_pem(configured.encode())
        return Vapid.from_string(configured)
    return Vapid.from_pem(load_or_create_file(Path(instance_path()) / KEY_FILE, _new_key_pem))


def _new_key_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def public_key() -> str:
    """The public key as a browser's applicationServerKey: the uncompressed point, base64url."""
    raw = vapid().public_key.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return _b64url(raw)


# -- subscriptions ----------------------------------------------------------------------

def subscribe(user, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Keep this browser's subscription for `user` (the one signed in there last)."""
    check_endpoint(endpoint)
    _check_keys(p256dh, auth)
    values = {"user_id": user.id, "p256dh": p256dh, "auth": auth, "failures": 0}
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(PushSubscription)
    # One statement: two sign-ins on one browser at once leave one row, not an error.
    subscription_id = db.session.execute(insert.values(
        id=uuid.uuid4(), endpoint=endpoint, created_at=utcnow(), **values).on_conflict_do_update(
        index_elements=["endpoint"], set_=values).returning(PushSubscription.id)).scalar_one()
    db.session.commit()
    return db.session.get(PushSubscription, subscription_id)


def unsubscribe(user, subscription_id: uuid.UUID) -> None:
    subscription = db.session.get(PushSubscription, subscription_id)
    if subscription is None or subscription.user_id != user.id:
        raise NotFound("No such push subscription.")
    db.session.delete(subscription)
    db.session.commit()


def allowed_host(host: str) -> bool:
    patterns = [p.strip().lower() for p in str(setting("PUSH_ALLOWED_HOSTS")).split(",")
                if p.strip()]
    return any(fnmatch.fnmatchcase(host, p) if p.startswith("*.") else host == p
               for p in patterns)


def check_endpoint(endpoint: str) -> None:
    """Pushes go only to the allowed push services, over https (http to loopback only)."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise Invalid("The endpoint is not a URL.", code="push_endpoint_invalid") from None
    if parts.scheme not in ("https", "http") or not host or len(endpoint) > 2000:
        raise Invalid("The endpoint must be an https URL.", code="push_endpoint_invalid")
    if parts.scheme == "http" and not _is_loopback(host):
        raise Invalid("The endpoint must use https.", code="push_endpoint_invalid")
    if not allowed_host(host):
        raise Invalid("This push service is not allowed.", code="push_endpoint_not_allowed",
                      details={"host": host})


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_keys(p256dh: str, auth: str) -> None:
    try:
        point = _b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError("not an uncompressed point")
    except (ValueError, binascii.Error):
        raise Invalid("keys.p256dh is not a P-256 public key.", code="push_keys_invalid",
                      details={"keys": {"p256dh": ["Not a P-256 public key."]}}) from None
    try:
        secret = _b64url_decode(auth)
    except (ValueError, binascii.Error):
        secret = b""
    if len(secret) != 16:
        raise Invalid("keys.auth is not 16 bytes.", code="push_keys_invalid",
                      details={"keys": {"auth": ["Not 16 bytes of base64url."]}})


# -- sending ----------------------------------------------------------------------------

def push_to_users(user_ids, message: dict) -> int:
    """Queue `message` ({"title", "body", "url", "tag"}) for every browser of these people,
    in the caller's transaction (sent once it commits). Returns how many were queued."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return 0
    subscriptions = db.session.execute(select(PushSubscription.id).where(
        PushSubscription.user_id.in_(ids))).scalars().all()
    for subscription_id in subscriptions:
        enqueue(SEND_JOB, {"subscription_id": str(subscription_id), "message": message})
    return len(subscriptions)


def notification_message(kind: str, subject_id, params: dict) -> dict:
    """A notification worded for a push (Chinese, the product's language)."""
    code = params.get("code") or ""
    if kind == "case_overdue":
        title, body = "案件超期", f"案件 {code} 已超过处置时限。"
    elif kind.startswith("step_overdue_"):
        step = STEP_NAMES.get(kind.removeprefix("step_overdue_"), "办理")
        title, body = f"{step}超时", f"案件 {code} 的{step}环节已超时。"
    elif kind == "followed_case_closed":
        title, body = "案件已办结", f"您关注的案件 {code} 已办结。"
    elif kind in HALL_NOTICES:
        title, body = HALL_NOTICES[kind](params)
        return {"title": title, "body": body, "url": "/#/console/hall",
                "tag": f"{kind}:{subject_id}"}
    else:
        title, body = "新通知", f"案件 {code}" if code else "您有一条新通知。"
    return {"title": title, "body": body, "url": f"/#/reports/{subject_id}",
            "tag": f"{kind}:{subject_id}"}


# The service hall's notices to its managers: a supervision alert (电子监察), a bad rating.
HALL_ALERT_WORDS = {"overtime_service": ("办理超时", "{label} 办理已超过时限"),
                    "idle_window": ("窗口空闲", "{label} 号窗口空闲，仍有群众等候"),
                    "paused_window": ("窗口暂停", "{label} 号窗口暂停过久，仍有群众等候"),
                    "long_wait": ("等候过久", "{label} 有群众等候过久")}


def _hall_alert_words(params: dict) -> tuple[str, str]:
    title, body = HALL_ALERT_WORDS.get(params.get("kind"), ("异常", "{label}"))
    return f"大厅告警：{title}", body.format(label=params.get("subject_label", ""))


HALL_NOTICES = {
    "hall_alert": _hall_alert_words,
    "bad_rating": lambda p: ("差评待整改",
                             f"{p.get('number', '')} 获评 {p.get('score', '')} 分，请跟进整改。"),
}


class PushFailed(Exception):
    """The push service did not take the message (tried again later)."""


@handler(SEND_JOB)
def send(payload: dict) -> None:
    """Send one message to one subscription; a subscription the push service no longer
    knows (404, 410) is removed, other failures are counted and raised to be retried."""
    subscription = db.session.get(PushSubscription, uuid.UUID(payload["subscription_id"]))
    if subscription is None:
        return  # unsubscribed meanwhile
    try:
        check_endpoint(subscription.endpoint)  # the allowed hosts may have changed since
        webpush({"endpoint": subscription.endpoint,
                 "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                data=json.dumps(payload["message"], ensure_ascii=False),
                vapid_private_key=vapid(),
                # A new dict each time: webpush writes this push service's aud into it.
                vapid_claims={"sub": setting("VAPID_SUBJECT")},
                ttl=int(setting("PUSH_TTL_S")), timeout=10)
    except Invalid:
        log.warning("push: subscription %s removed, its host is not allowed", subscription.id)
        db.session.delete(subscription)
        db.session.commit()
        return
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in (404, 410):
            log.info("push: subscription %s gone (%s), removed", subscription.id, status)
            db.session.delete(subscription)
            db.session.commit()
            return
        _failed(subscription)
        raise PushFailed(f"push service answered {status}") from None
    except requests.RequestException as error:
        _failed(subscription)
        raise PushFailed(f"push service unreachable: {type(error).__name__}") from None
    subscription.last_success_at, subscription.failures = utcnow(), 0
    db.session.commit()


def _failed(subscription: PushSubscription) -> None:
    subscription.failures = (subscription.failures or 0) + 1
    db.session.commit()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
