"""Accounts: sign-in with throttling, sessions, and account administration."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from backend.accounts import passwords, tokens
from backend.accounts.models import AuthSession, LoginThrottle, User
from backend.audit import services as audit
from backend.common.auth import ADMIN, CITIZEN, DEPARTMENT, ROLES, SUPERVISOR, WORKER, RegionScope
from backend.common.paging import Page, paginate
from backend.common.settings import setting
from backend.common.time import utcnow
from backend.common.transactions import commit_or_conflict
from backend.departments import services as departments
from backend.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from backend.extensions import db
from backend.regions import services as regions
from backend.regions.models import Region

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
MIN_PASSWORD_LENGTH = 8


# -- passwords -------------------------------------------------------------------------

def normalize_username(username: str) -> str:
    return username.strip().lower()


def _weak(message: str, reason: str) -> Invalid:
    # `reason` says which rule failed; `fields` puts the problem beside the password field.
    return Invalid(message, code="weak_password",
                   details={"reason": reason, "fields": {"password": [message]}})


def check_new_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _weak(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", "too_short")
    if password.strip().lower() == username:
        raise _weak("The password may not be the username.", "is_username")


# A citizen's password may be a single kind of character only from this length on.
PASSPHRASE_LENGTH = 16
# The passwords every guessing list starts with that the length rule does not stop already.
COMMON_CITIZEN_PASSWORDS = frozenset({
    "password", "password1", "password12", "password123", "passw0rd", "p@ssw0rd", "qwerty123",
    "qwertyuiop", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "zaq12wsx", "abc12345", "abcd1234",
    "a1234567", "aa123456", "qq123456", "asd12345", "admin123", "admin1234", "iloveyou1",
    "woaini1314", "woaini520", "5201314a", "a5201314", "abc123456", "a123456789", "qwe12345",
    "1234qwer", "qwer1234", "asdf1234", "zxcv1234", "welcome1", "letmein1", "test1234",
})


def check_citizen_password(password: str, username: str) -> None:
    """A self-chosen password of the public: 8 or more characters mixing letters with digits
    or symbols (any single kind is fine from 16 characters), not the username or containing
    it, and not one of the commonest passwords."""
    check_new_password(password, username)
    kinds = sum(any(test(c) for c in password) for test in (
        str.isalpha, str.isdigit, lambda c: not c.isalnum()))
    if kinds < 2 and len(password) < PASSPHRASE_LENGTH:
        raise _weak("A password mixes letters with digits or symbols "
                    f"(or has {PASSPHRASE_LENGTH} characters or more).", "one_kind")
    lowered = password.lower()
    if username in lowered:
        raise _weak("The password may not contain the username.", "is_username")
    if lowered in COMMON_CITIZEN_PASSWORDS or lowered in COMMON_PASSWORDS:
        raise _weak("This password is among the most common ones; choose another.", "common")


# -- sign-in ---------------------------------------------------------------------------

@dataclass
class SignIn:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int


def sign_in(username: str, password: str, *, address: str, user_agent: str = "") -> SignIn:
    """Check the password, throttling repeated failures per username and per address.

    A locked key is refused before the password is even checked, so guessing goes
    no faster while the lock lasts.
    """
    name = normalize_username(username)
    now = utcnow()
    keys = _throttle_keys(name, address)
    _refuse_while_locked(list(keys.values()), now)

    user = db.session.scalar(select(User).where(User.username == name))
    # Hash even for unknown names, so timing does not tell which accounts exist.
    verdict = passwords.verify_password(user.password_hash if user else passwords.dummy_hash(),
                                        password)
    if not verdict.is_correct or user is None:
        _record_failures(keys, now)
        audit.record(audit.SIGN_IN_FAILED, actor=user, actor_name=name[:64],
                     details={"reason": "invalid_credentials", "known_account": user is not None})
        db.session.commit()
        raise Unauthorized("Wrong username or password.", code="invalid_credentials")
    if not user.is_active:
        audit.record(audit.SIGN_IN_FAILED, actor=user, details={"reason": "account_inactive"})
        db.session.commit()
        raise Unauthorized("This account is disabled.", code="account_inactive")
    if verdict.needs_rehash:
        # The only moment the password is known: an older or cheaper hash is replaced.
        user.password_hash = passwords.hash_password(password)

    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(
        [keys["pair"], keys["user"]])))
    session = _open_session(user, user_agent, now)
    db.session.commit()
    return _tokens(user, session)


def _open_session(user: User, user_agent: str, now) -> AuthSession:
    """A new sign-in session in the caller's transaction, audited."""
    session = AuthSession(user_id=user.id, user_agent=user_agent[:200], refresh_generation=0,
                          expires_at=now + setting("JWT_REFRESH_TOKEN_EXPIRES"))
    db.session.add(session)
    db.session.flush()
    audit.record(audit.SIGN_IN, actor=user, target=("session", session.id),
                 details={"user_agent": session.user_agent})
    return session


def _tokens(user: User, session: AuthSession) -> SignIn:
    access_token, expires_in = tokens.issue_access_token(user, session.id)
    return SignIn(user=user, access_token=access_token,
                  refresh_token=tokens.issue_refresh_token(user, session), expires_in=expires_in)


# -- citizens signing up ---------------------------------------------------------------

# A service hall's Wi-Fi puts hundreds of citizens behind one address: whatever the
# configuration says, an address may always make this many accounts per window.
MIN_SIGNUPS_PER_ADDRESS = 100


def sign_up(*, username: str, password: str, display_name: str, phone: str | None,
            address: str, user_agent: str = "") -> SignIn:
    """A citizen makes their own account and is signed in; one transaction.

    The account has the citizen role only and no region. Accounts made per address are
    counted in a fixed window (SIGNUP_WINDOW_S); over SIGNUP_MAX_PER_ADDRESS it is a 429
    with Retry-After, checked before the (slow) password hash.
    """
    now = utcnow()
    counter = _count_signup(address, now)
    name = normalize_username(username)
    if USERNAME_PATTERN.match(name):
        check_citizen_password(password, name)
    user = add_account(username=name, password=password, roles=[CITIZEN],
                       display_name=display_name.strip(),
                       phone=" ".join(phone.split()) if phone else None)
    db.session.flush()
    counter.failures += 1
    audit.record(audit.ACCOUNT_CREATED, actor=user, target=("account", user.id),
                 details=_account_facts(user) | {"signed_up": True})
    session = _open_session(user, user_agent, now)
    commit_or_conflict(f"The username '{user.username}' is taken.", "username_taken")
    return _tokens(user, session)


def window_counter(key: str, window_s: int, limit: int, now) -> tuple[LoginThrottle, int | None]:
    """A fixed-window counter in login_throttles (`failures` counts since `last_failure_at`,
    the window's start), locked, and the seconds to wait when `limit` is reached already
    (None: the caller may go on, and counts itself in)."""
    key = key[:128]
    counter = db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    if counter is None:
        counter = LoginThrottle(key=key, failures=0, last_failure_at=now)
        db.session.add(counter)
        try:
            db.session.flush()
        except IntegrityError:
            # Another request for this key made the counter at the same moment.
            db.session.rollback()
            counter = db.session.get(LoginThrottle, key, with_for_update=True)
    ends = counter.last_failure_at + timedelta(seconds=window_s)
    if ends <= now:
        counter.failures, counter.last_failure_at = 0, now
    elif counter.failures >= limit:
        return counter, int((ends - now).total_seconds()) + 1
    return counter, None


def _count_signup(address: str, now) -> LoginThrottle:
    """This address's sign-up counter ("signup:<address>"); a 429 when the window is full."""
    counter, wait_s = window_counter(
        f"signup:{address}", setting("SIGNUP_WINDOW_S"),
        max(setting("SIGNUP_MAX_PER_ADDRESS"), MIN_SIGNUPS_PER_ADDRESS), now)
    if wait_s is not None:
        raise TooManyRequests(f"Too many sign-ups from this address; try again in {wait_s} s.",
                              code="too_many_signups", headers={"Retry-After": str(wait_s)},
                              details={"retry_after_s": wait_s})
    return counter


def _throttle_keys(username: str, address: str) -> dict[str, str]:
    """The counters a failed sign-in bumps: this username at this address (the lock), this
    username anywhere (a capped slow-down), this address for any username (spraying)."""
    return {"pair": f"pair:{username}@{address}"[:128], "user": f"user:{username}"[:128],
            "address": f"ip:{address}"[:128]}


def _record_failures(keys: dict[str, str], now) -> None:
    _record_failure(keys["pair"], setting("LOGIN_MAX_FAILURES"), now,
                    max_lock_s=setting("LOGIN_LOCKOUT_MAX_S"))
    _record_failure(keys["user"], setting("LOGIN_MAX_FAILURES_PER_USER"), now,
                    max_lock_s=setting("LOGIN_USER_DELAY_MAX_S"))
    _record_failure(keys["address"], setting("LOGIN_MAX_FAILURES_PER_IP"), now,
                    max_lock_s=setting("LOGIN_LOCKOUT_MAX_S"))


def _refuse_while_locked(keys: list[str], now) -> None:
    """429 while any of these throttle keys is locked, before any password is checked, so
    guessing goes no faster while the lock lasts."""
    for throttle in db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))):
        if throttle.locked_until and throttle.locked_until > now:
            wait_s = int((throttle.locked_until - now).total_seconds()) + 1
            raise TooManyRequests(
                f"Too many failed sign-ins; try again in {wait_s} s.",
                code="too_many_attempts", headers={"Retry-After": str(wait_s)},
                details={"retry_after_s": wait_s},
            )


def _record_failure(key: str, threshold: int, now, *, max_lock_s: int) -> None:
    # Locked, so that concurrent failures each count (PostgreSQL; SQLite serialises writers).
    throttle = db.session.get(LoginThrottle, key, with_for_update=True)
    if throttle is None:
        throttle = LoginThrottle(key=key, failures=0, last_failure_at=now)
        db.session.add(throttle)
    elif (now - throttle.last_failure_at).total_seconds() > setting("LOGIN_FAILURE_WINDOW_S"):
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= threshold:
        lock_s = min(setting("LOGIN_LOCKOUT_S") * 2 ** min(throttle.failures - threshold, 30),
                     max_lock_s)
        throttle.locked_until = now + timedelta(seconds=lock_s)
        kind, _, subject = key.partition(":")
        audit.record(audit.LOCKED_OUT, actor_name=subject.rpartition("@")[0] if kind == "pair"
                     else subject if kind == "user" else "", details={
                         "key": kind, "failures": throttle.failures, "seconds": lock_s})
    try:
        db.session.flush()
    except IntegrityError:
        # Another request recorded the first failure at the same moment; one count is enough.
        db.session.rollback()


@dataclass
class Refreshed:
    access_token: str
    refresh_token: str
    expires_in: int


def refresh_session(user: User, claims: dict) -> Refreshed:
    """A new access token and a new refresh token (rotation) for a valid refresh token.

    The refresh token just replaced still works for REFRESH_GRACE_S, so that a phone on a
    bad line that lost the answer is not signed out in the middle of the street; it gets
    the current generation again. An older one is a copy replayed by someone else: the
    session ends, for the thief and the owner alike (the owner signs in again).
    """
    now = utcnow()
    session = db.session.get(AuthSession, uuid.UUID(claims["sid"]), with_for_update=True)
    generation = claims.get("gen", 0)  # tokens from before rotation carry none
    if generation == session.refresh_generation:
        session.refresh_generation += 1
        session.rotated_at = now
        session.expires_at = now + setting("JWT_REFRESH_TOKEN_EXPIRES")
    elif not (generation == session.refresh_generation - 1 and session.rotated_at is not None
              and (now - session.rotated_at).total_seconds() <= setting("REFRESH_GRACE_S")):
        session.revoked_at = now
        audit.record(audit.TOKEN_REUSED, actor=user, target=("session", session.id),
                     details={"generation": generation, "current": session.refresh_generation})
        db.session.commit()
        raise Unauthorized("This refresh token was already used; the session has ended. "
                           "Sign in again.", code="token_reused")
    db.session.commit()
    access_token, expires_in = tokens.issue_access_token(user, session.id)
    return Refreshed(access_token, tokens.issue_refresh_token(user, session), expires_in)


def sign_out(user: User, session_id: str) -> None:
    ended = db.session.execute(update(AuthSession).where(
        AuthSession.id == uuid.UUID(session_id), AuthSession.revoked_at.is_(None)
    ).values(revoked_at=utcnow())).rowcount
    if ended:
        audit.record(audit.SIGN_OUT, actor=user, target=("session", session_id))
    db.session.commit()


def _revoke_all_sessions(user_id: uuid.UUID, *, keep: uuid.UUID | None = None) -> None:
    query = update(AuthSession).where(AuthSession.user_id == user_id,
                                      AuthSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    db.session.execute(query.values(revoked_at=utcnow()))


def change_own_password(user: User, current_password: str, new_password: str,
                        session_id: str, *, address: str) -> None:
    """Change one's own password; every other device is signed out.

    A wrong current password counts as a failed sign-in of the account: a stolen session
    must not become a way to guess the password without the lock-out.
    """
    now = utcnow()
    keys = _throttle_keys(user.username, address)
    _refuse_while_locked(list(keys.values()), now)
    if not passwords.verify_password(user.password_hash, current_password).is_correct:
        _record_failures(keys, now)
        audit.record(audit.PASSWORD_CHANGE_FAILED, actor=user, target=("account", user.id))
        db.session.commit()
        raise Forbidden("The current password is wrong.", code="invalid_credentials")
    check_new_password(new_password, user.username)
    user.password_hash = passwords.hash_password(new_password)
    _revoke_all_sessions(user.id, keep=uuid.UUID(session_id))
    audit.record(audit.PASSWORD_CHANGED, actor=user, target=("account", user.id))
    db.session.commit()


# -- the signed-in user ----------------------------------------------------------------

def describe_me(user: User) -> dict:
    lineage = regions.lineage(user.region) if user.region else []
    return {
        "id": user.id, "username": user.username, "display_name": user.display_name,
        "role_list": user.role_list,
        "region_id": user.region_id, "department_id": user.department_id,
        "region": ({**_region_brief(user.region), "path": [_region_brief(r) for r in lineage]}
                   if user.region else None),
    }


def _region_brief(region: Region) -> dict:
    return {"id": region.id, "code": region.code, "name": region.name, "level": region.level}


# -- administration --------------------------------------------------------------------

def account_scope_filter(scope: RegionScope):
    """Supervisors see the accounts bound inside their region; admins see all."""
    if scope.everything:
        return None
    return User.region_id.in_(select(Region.id).where(scope.filter(Region.path)))


def list_accounts(scope: RegionScope, *, role: str | None = None, region_id=None,
                  q: str | None = None, is_active: bool | None = None,
                  page: int = 1, per_page: int = 50) -> Page:
    query = select(User).order_by(User.username)
    scope_filter = account_scope_filter(scope)
    if scope_filter is not None:
        query = query.where(scope_filter)
    if role:
        query = query.where(User.roles.any(role=role))
    if region_id:
        region = regions.get_region(scope, region_id)
        query = query.where(User.region_id.in_(
            select(Region.id).where(Region.path.startswith(region.path, autoescape=True))))
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(User.username.like(pattern), User.display_name.ilike(pattern)))
    if is_active is not None:
        query = query.where(User.is_active.is_(is_active))
    return paginate(query, page, per_page)


def get_account(scope: RegionScope, user_id: uuid.UUID) -> User:
    user = db.session.get(User, user_id)
    if user is None or not (scope.everything or (user.region and scope.covers(user.region.path))):
        raise NotFound("No such account.")
    return user


ADMIN_PASSWORD_MIN_LENGTH = 12
# A few of the passwords every guessing list starts with, beyond what the length rule stops.
COMMON_PASSWORDS = frozenset({"password1234", "123456789012", "qwertyuiop12", "administrator",
                              "admin1234567", "iloveyou1234", "passw0rd1234", "demo12345678"})


def check_admin_password(password: str, username: str) -> None:
    """An administrator's password: at least 12 characters with three kinds of character
    (lower, upper, digit, other), or a passphrase of 16 or more; not the username, not a
    common one."""
    check_new_password(password, username)
    kinds = sum(any(test(c) for c in password) for test in (
        str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum()))
    if len(password) < ADMIN_PASSWORD_MIN_LENGTH or (kinds < 3 and len(password) < 16):
        raise Invalid("An administrator's password needs 12 characters of three kinds (lower, "
                      "upper, digits, others), or 16 characters or more.", code="weak_password")
    if username.lower() in password.lower() or password.lower() in COMMON_PASSWORDS:
        raise Invalid("The password is too easy to guess.", code="weak_password")


def create_first_admin(*, username: str, password: str, display_name: str = "") -> User:
    """An administrator made from the command line (`flask accounts create-admin`)."""
    check_admin_password(password, normalize_username(username))
    return create_account(None, username=username, password=password, roles=[ADMIN],
                          display_name=display_name)


def create_account(actor: User | None, **fields) -> User:
    """Create an account (admins, or the command line when `actor` is None); one transaction."""
    user = add_account(**fields)
    db.session.flush()
    audit.record(audit.ACCOUNT_CREATED, actor=actor, actor_name=None if actor else "(cli)",
                 target=("account", user.id), details=_account_facts(user))
    commit_or_conflict(f"The username '{user.username}' is taken.", "username_taken")
    return user


def _account_facts(user: User) -> dict:
    return {"username": user.username, "roles": user.role_list,
            "region_id": str(user.region_id) if user.region_id else None,
            "department_id": str(user.department_id) if user.department_id else None,
            "is_active": user.is_active}


def add_account(*, username: str, password: str, roles: list[str], display_name: str = "",
                phone: str | None = None, region_id: uuid.UUID | None = None,
                department_id: uuid.UUID | None = None, is_active: bool = True) -> User:
    """Check and add an account to the caller's transaction (no commit)."""
    name = normalize_username(username)
    if not USERNAME_PATTERN.match(name):
        raise Invalid("A username is 3–64 letters, digits, '.', '_' or '-'.", code="invalid_username")
    check_new_password(password, name)
    if db.session.scalar(select(User.id).where(User.username == name)):
        raise Conflict(f"The username '{name}' is taken.", code="username_taken")
    user = User(username=name, display_name=display_name or name, phone=phone,
                password_hash=passwords.hash_password(password), is_active=is_active)
    user.set_roles(roles)
    user.region = _binding_region(user.role_names, region_id)
    user.department_id = _binding_department(user.role_names, department_id)
    db.session.add(user)
    return user


def update_account(actor: User, user_id: uuid.UUID, changes: dict) -> User:
    user = get_account(RegionScope(everything=True), user_id)
    if user.id == actor.id and (changes.get("is_active") is False or
                                ("roles" in changes and ADMIN not in changes["roles"])):
        raise Conflict("You may not disable yourself or drop your own admin role.",
                       code="cannot_demote_self")
    before = _account_facts(user) | {"display_name": user.display_name, "phone": user.phone}
    for field in ("display_name", "phone", "is_active"):
        if field in changes:
            setattr(user, field, changes[field])
    if "roles" in changes:
        user.set_roles(changes["roles"])
    region_id = changes.get("region_id", user.region_id)
    user.region = _binding_region(user.role_names, region_id)
    user.department_id = _binding_department(user.role_names,
                                             changes.get("department_id", user.department_id))
    if "password" in changes:
        check_new_password(changes["password"], user.username)
        user.password_hash = passwords.hash_password(changes["password"])
    if "password" in changes or changes.get("is_active") is False:
        _revoke_all_sessions(user.id)
    db.session.flush()
    _audit_account_changes(actor, user, before, password_set="password" in changes)
    db.session.commit()
    return user


def _audit_account_changes(actor: User, user: User, before: dict, *, password_set: bool) -> None:
    """One event per kind of change, so that "who changed roles" is one filter."""
    after = _account_facts(user) | {"display_name": user.display_name, "phone": user.phone}
    target = ("account", user.id)

    def changed(*fields):
        return {f: {"from": before[f], "to": after[f]} for f in fields if before[f] != after[f]}

    if roles := changed("roles"):
        audit.record(audit.ROLES_CHANGED, actor=actor, target=target, details=roles["roles"])
    if region := changed("region_id"):
        audit.record(audit.REGION_CHANGED, actor=actor, target=target, details=region["region_id"])
    if department := changed("department_id"):
        audit.record(audit.DEPARTMENT_CHANGED, actor=actor, target=target,
                     details=department["department_id"])
    if before["is_active"] != after["is_active"]:
        audit.record(audit.ACCOUNT_ENABLED if after["is_active"] else audit.ACCOUNT_DISABLED,
                     actor=actor, target=target)
    if password_set:
        audit.record(audit.PASSWORD_RESET, actor=actor, target=target)
    if others := changed("display_name", "phone"):
        audit.record(audit.ACCOUNT_UPDATED, actor=actor, target=target, details=others)


def _binding_region(role_names: set[str], region_id) -> Region | None:
    """Workers are bound to a grid, supervisors to the root of their region; others to none."""
    if not role_names or not role_names <= set(ROLES):
        raise Invalid(f"Roles must be some of: {', '.join(ROLES)}.", code="invalid_roles")
    needs_region = role_names & {WORKER, SUPERVISOR}
    if region_id is None:
        if needs_region:
            raise Invalid("Workers and supervisors must be bound to a region.",
                          code="region_required")
        return None
    if not needs_region:
        raise Invalid("Only workers and supervisors are bound to a region.",
                      code="region_not_allowed")
    region = db.session.get(Region, region_id)
    if region is None:
        raise Invalid("The region does not exist.", code="unknown_region")
    if WORKER in role_names and region.level != "grid":
        raise Invalid("A grid worker is bound to a grid, not a larger region.",
                      code="worker_needs_grid")
    return region


def _binding_department(role_names: set[str], department_id) -> uuid.UUID | None:
    """Department staff belong to one department; nobody else belongs to any."""
    if DEPARTMENT not in role_names:
        if department_id is not None:
            raise Invalid("Only department staff belong to a department.",
                          code="department_not_allowed")
        return None
    if department_id is None:
        raise Invalid("Department staff must belong to a department.", code="department_required")
    if departments.find_department(department_id) is None:
        raise Invalid("The department does not exist.", code="unknown_department")
    return department_id
