"""Workspace tables written once for SQLite and PostgreSQL over the two primitives each store
provides, `_sql_rows` and `_sql_write` (as `chancery/store/accounts.py` does for accounts).

Entity bases: an entity's authority record and name keys as they were before any merge or split
touched it, kept so that undoing one can rebuild the records from what the authority gave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypedDict

import orjson

from chancery.store.accounts import Statement


class EntityBase(TypedDict):
    record: dict[str, Any]
    names: list[str]  # the normalised names of the name index that led to it


def _decoded(body: Any) -> Any:
    return body if isinstance(body, dict | list) else orjson.loads(body)


class WorkspaceStore:
    """Mixed into both stores: workspace queries, written once."""

    def _sql_rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _sql_write(self, statements: list[Statement]) -> None:
        """Run `statements` in one transaction."""
        raise NotImplementedError

    # -- workspace: review -- (entity bases)
    def entity_bases(self, ids: Iterable[str]) -> dict[str, EntityBase]:
        """The kept bases of `ids` (those with one)."""
        found: dict[str, EntityBase] = {}
        for entity_id in dict.fromkeys(ids):
            rows = self._sql_rows("SELECT body FROM entity_bases WHERE id = ?", (entity_id,))
            if rows:
                found[entity_id] = _decoded(rows[0][0])
        return found

    def keep_entity_bases(self, ids: Iterable[str]) -> None:
        """Keep the stored record and name keys of each of `ids` that has none kept yet (and a record)."""
        statements: list[Statement] = []
        for entity_id in dict.fromkeys(ids):
            if self._sql_rows("SELECT 1 FROM entity_bases WHERE id = ?", (entity_id,)):
                continue
            record = self._sql_rows("SELECT body FROM entities WHERE id = ?", (entity_id,))
            if not record:
                continue
            norms = self._sql_rows(
                "SELECT norm FROM entity_names WHERE entity_id = ? ORDER BY norm", (entity_id,)
            )
            base = EntityBase(record=_decoded(record[0][0]), names=[n[0] for n in norms])
            statements.append(
                (
                    "INSERT INTO entity_bases (id, body) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                    (entity_id, orjson.dumps(base).decode()),
                )
            )
        if statements:
            self._sql_write(statements)

    def renew_entity_bases(self, records: Sequence[dict[str, Any]], names: Iterable[tuple[str, str]]) -> None:
        """Replace every kept base by these fresh authority records (with their (norm, id) rows)."""
        wanted = {r["id"] for r in records}
        keys: dict[str, list[str]] = {i: [] for i in wanted}
        for norm, entity_id in names:
            if entity_id in wanted:
                keys[entity_id].append(norm)
        statements: list[Statement] = [("DELETE FROM entity_bases", ())]
        for record in records:
            base = EntityBase(record=record, names=sorted(set(keys[record["id"]])))
            statements.append(
                (
                    "INSERT INTO entity_bases (id, body) VALUES (?, ?)",
                    (record["id"], orjson.dumps(base).decode()),
                )
            )
        self._sql_write(statements)
