"""The accounts tables (users, groups, tokens, sessions, audit log, collection access), written once
for SQLite and PostgreSQL over two primitives each store provides: `_sql_rows` and `_sql_write`
(statements with `?` placeholders; PostgreSQL's store turns them into `%s`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict

Statement = tuple[str, Sequence[Any]]


class UserRow(TypedDict):
    name: str
    role: str
    password_hash: str | None
    groups: list[str]


class AuditRow(TypedDict):
    seq: int
    at: str
    actor: str | None
    action: str
    target: str | None
    ip: str | None
    detail: str | None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class AccountsStore:
    """Mixed into both stores: every accounts query, written once."""

    def _sql_rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _sql_write(self, statements: list[Statement]) -> list[tuple[Any, ...]]:
        """Run `statements` in one transaction; the rows they return."""
        raise NotImplementedError

    # -- users and groups --
    def put_user(self, name: str, role: str, password_hash: str | None) -> None:
        """Add the user, or change an existing user's role (and password when one is given)."""
        exists = self._sql_rows("SELECT 1 FROM users WHERE name = ?", (name,))
        if exists and password_hash is None:
            self._sql_write([("UPDATE users SET role = ? WHERE name = ?", (role, name))])
        elif exists:
            query = "UPDATE users SET role = ?, password_hash = ? WHERE name = ?"
            self._sql_write([(query, (role, password_hash, name))])
        else:
            query = "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)"
            self._sql_write([(query, (name, role, password_hash, now_iso()))])

    def user(self, name: str) -> UserRow | None:
        rows = self._sql_rows("SELECT name, role, password_hash FROM users WHERE name = ?", (name,))
        if not rows:
            return None
        groups = self._sql_rows(
            "SELECT group_name FROM group_members WHERE user_name = ? ORDER BY group_name", (name,)
        )
        return UserRow(
            name=rows[0][0], role=rows[0][1], password_hash=rows[0][2], groups=[g[0] for g in groups]
        )

    def add_group_member(self, group: str, user: str) -> None:
        """Create the group when new and add `user` to it (no error when already a member)."""
        statements: list[Statement] = []
        if not self._sql_rows('SELECT 1 FROM "groups" WHERE name = ?', (group,)):
            statements.append(('INSERT INTO "groups" (name, created_at) VALUES (?, ?)', (group, now_iso())))
        if not self._sql_rows(
            "SELECT 1 FROM group_members WHERE group_name = ? AND user_name = ?", (group, user)
        ):
            statements.append(
                ("INSERT INTO group_members (group_name, user_name) VALUES (?, ?)", (group, user))
            )
        if statements:
            self._sql_write(statements)

    # -- tokens and sessions (hashes only) --
    def put_api_token(self, token_hash: str, user: str) -> None:
        query = "INSERT INTO api_tokens (token_hash, user_name, created_at) VALUES (?, ?, ?)"
        self._sql_write([(query, (token_hash, user, now_iso()))])

    def api_token_user(self, token_hash: str) -> str | None:
        rows = self._sql_rows("SELECT user_name FROM api_tokens WHERE token_hash = ?", (token_hash,))
        return str(rows[0][0]) if rows else None

    def put_session(self, token_hash: str, user: str, expires_at: str) -> None:
        query = "INSERT INTO sessions (token_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)"
        self._sql_write([(query, (token_hash, user, now_iso(), expires_at))])

    def session_user(self, token_hash: str, at: str) -> str | None:
        """The user of an unexpired session (`at`: now, ISO 8601 UTC)."""
        rows = self._sql_rows(
            "SELECT user_name FROM sessions WHERE token_hash = ? AND expires_at > ?", (token_hash, at)
        )
        return str(rows[0][0]) if rows else None

    def delete_session(self, token_hash: str) -> None:
        self._sql_write([("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))])

    # -- audit log --
    def audit(
        self,
        actor: str | None,
        action: str,
        target: str | None,
        ip: str | None = None,
        detail: str | None = None,
    ) -> None:
        query = "INSERT INTO audit_log (at, actor, action, target, ip, detail) VALUES (?, ?, ?, ?, ?, ?)"
        self._sql_write([(query, (now_iso(), actor, action, target, ip, detail))])

    def audit_rows(self, after: int = 0, limit: int = 1000) -> list[AuditRow]:
        rows = self._sql_rows(
            "SELECT seq, at, actor, action, target, ip, detail FROM audit_log WHERE seq > ? "
            "ORDER BY seq LIMIT ?",
            (after, limit),
        )
        keys = ("seq", "at", "actor", "action", "target", "ip", "detail")
        return [AuditRow(**dict(zip(keys, row, strict=True))) for row in rows]  # type: ignore[typeddict-item]

    def count_audit(self, action: str, target: str, ip: str, since: str) -> int:
        """How many `action` rows for (target, ip) after `since` (the failed-login counter)."""
        rows = self._sql_rows(
            "SELECT count(*) FROM audit_log WHERE action = ? AND target = ? AND ip = ? AND at > ?",
            (action, target, ip, since),
        )
        return int(rows[0][0])

    def last_audit_at(self, action: str, target: str, ip: str) -> str | None:
        rows = self._sql_rows(
            "SELECT max(at) FROM audit_log WHERE action = ? AND target = ? AND ip = ?", (action, target, ip)
        )
        return rows[0][0] if rows and rows[0][0] else None

    # -- collection access --
    def set_collection_access(self, collection_id: str, visibility: str, group: str | None) -> None:
        """Make a collection public (its row removed) or private (to admins and `group`)."""
        statements: list[Statement] = [
            ("DELETE FROM collection_access WHERE collection_id = ?", (collection_id,))
        ]
        if visibility == "private":
            query = "INSERT INTO collection_access (collection_id, visibility, group_name) VALUES (?, ?, ?)"
            statements.append((query, (collection_id, visibility, group)))
        self._sql_write(statements)

    def private_collections(self) -> dict[str, str | None]:
        """Each private collection's id and the group that may see it (None: admins only)."""
        rows = self._sql_rows(
            "SELECT collection_id, group_name FROM collection_access WHERE visibility = ?", ("private",)
        )
        return {r[0]: r[1] for r in rows}

    def collections_of_sha(self, sha256: str) -> set[str | None]:
        """The collections of the documents read from the file(s) with this content hash."""
        rows = self._sql_rows(
            "SELECT DISTINCT d.collection_id FROM documents d JOIN files f ON d.file_path = f.path "
            "WHERE f.sha256 = ?",
            (sha256,),
        )
        return {r[0] for r in rows}
