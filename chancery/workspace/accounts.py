"""Accounts for `chancery serve --auth`: users with a role and groups, argon2 password hashes, API
tokens and login sessions (only their SHA-256 is stored), failed-login limits and the audit log.

The failed-login counter is the audit log itself (rows `login_failed` per user and address), so
the limit holds across server workers and nodes sharing the database.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chancery.errors import LoginRefused, TooManyAttempts
from chancery.store import Store
from chancery.workspace.viewer import LOCAL, ROLES, Viewer

USER_ROLES = tuple(r for r in ROLES if r != "anonymous")
SESSION_DAYS = 14
MAX_FAILURES = 5  # failed logins per user and address within FAILURE_WINDOW, then refused
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 8
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist (same time either way); made on first use,
    not at import: hashing costs 0.13 s, which every CLI command would pay."""
    return _hasher.hash("chancery: no such user")


def token_hash(token: str) -> str:
    """What is stored of a token or session id: its SHA-256 (they are random, 256-bit)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def add_user(
    store: Store, actor: Viewer, name: str, role: str, password: str | None, groups: tuple[str, ...] = ()
) -> None:
    """Add a user (or change an existing one's role, password, groups); admins only; audited."""
    if not actor.is_admin:
        raise PermissionError("only an admin adds users")
    if role not in USER_ROLES:
        raise ValueError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
    if not name or name == LOCAL or not name.isprintable() or len(name) > 100:
        raise ValueError(f"not a usable user name: {name!r}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")
    store.put_user(name, role, _hasher.hash(password) if password is not None else None)
    for group in groups:
        store.add_group_member(group, name)
    store.audit(actor.name, "user_add", name, detail=" ".join([role, *groups]))


def add_to_group(store: Store, actor: Viewer, group: str, name: str) -> None:
    if not actor.is_admin:
        raise PermissionError("only an admin changes groups")
    if store.user(name) is None:
        raise ValueError(f"no user {name!r}")
    store.add_group_member(group, name)
    store.audit(actor.name, "group_add", name, detail=group)


def create_token(store: Store, actor: Viewer, name: str) -> str:
    """A new API token for user `name` (shown once; only its hash is kept)."""
    if not actor.is_admin:
        raise PermissionError("only an admin creates tokens")
    if store.user(name) is None:
        raise ValueError(f"no user {name!r}")
    token = "chy_" + secrets.token_urlsafe(32)
    store.put_api_token(token_hash(token), name)
    store.audit(actor.name, "token_create", name)
    return token


def viewer_of(store: Store, name: str | None) -> Viewer:
    """The Viewer of a stored user (anonymous when there is none)."""
    user = store.user(name) if name else None
    if user is None:
        return Viewer.anonymous()
    return Viewer(user["name"], user["role"], frozenset(user["groups"]))


def token_viewer(store: Store, token: str) -> Viewer:
    return viewer_of(store, store.api_token_user(token_hash(token)))


def session_viewer(store: Store, session: str) -> Viewer:
    return viewer_of(store, store.session_user(token_hash(session), _iso(_now())))


def login(store: Store, name: str, password: str, ip: str, previous: str | None = None) -> tuple[Viewer, str]:
    """Check the password; a new session id (for the cookie) and the viewer, or LoginRefused /
    TooManyAttempts. Every attempt is audited.

    The session id is always a fresh random one, never one the client brought (no session
    fixation); `previous`, the session cookie the client presented, is ended on success."""
    last_ok = store.last_audit_at("login", name, ip) or ""
    since = max(_iso(_now() - FAILURE_WINDOW), last_ok)
    if store.count_audit("login_failed", name, ip, since) >= MAX_FAILURES:
        store.audit(None, "login_refused", name, ip, "rate limited")
        raise TooManyAttempts("too many failed logins; try again in a few minutes")
    user = store.user(name)
    try:
        _hasher.verify((user and user["password_hash"]) or _dummy_hash(), password)
        if user is None or not user["password_hash"]:
            raise VerificationError
    except (VerificationError, InvalidHashError):
        store.audit(None, "login_failed", name, ip)
        raise LoginRefused("wrong user name or password") from None
    if previous:
        store.delete_session(token_hash(previous))
    session = secrets.token_urlsafe(32)
    store.put_session(token_hash(session), name, _iso(_now() + timedelta(days=SESSION_DAYS)))
    store.audit(name, "login", name, ip)
    return viewer_of(store, name), session


def logout(store: Store, session: str, ip: str | None = None) -> None:
    name = store.session_user(token_hash(session), _iso(_now()))
    store.delete_session(token_hash(session))
    if name:
        store.audit(name, "logout", name, ip)
