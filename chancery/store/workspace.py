"""The workspace tables (annotations, lists, entity judgments and bases) written once for SQLite
and PostgreSQL over the primitives each store provides (as `chancery/store/accounts.py` does for
accounts): `_sql_rows`, `_sql_write` (statements with `?` placeholders in one transaction; the
rows any of them return, as `RETURNING` gives them), `_BODY_PARAM` and `_body_value` (how a JSON
body is passed: SQLite keeps orjson's bytes, PostgreSQL casts text to jsonb).

Entity bases: an entity's authority record and name keys as they were before any merge or split
touched it, kept so that undoing one can rebuild the records from what the authority gave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from chancery.store import schema as ddl
from chancery.store.accounts import Statement
from chancery.store.base import (
    JUDGMENT_COLUMNS,
    AnnotationData,
    EntityBase,
    EntityData,
    JudgmentData,
    ListData,
    ListItem,
    annotation_order,
)

CHUNK = 500  # ids per IN (...) list
_LIST_SELECT = (
    "SELECT l.id, l.name, l.owner, l.shared_group, l.created_at, count(i.doc_id) "
    "FROM lists l LEFT JOIN list_items i ON i.list_id = l.id"
)
_LIST_KEYS = ("id", "name", "owner", "shared_group", "created_at", "count")
_ITEM_KEYS = ("doc_id", "position", "added_by", "added_at")


def _decoded(body: Any) -> Any:
    return body if isinstance(body, dict | list) else orjson.loads(body)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _marks(values: Sequence[Any]) -> str:
    """Placeholders of an IN (...) list (NULL for none: matches nothing)."""
    return ",".join("?" * len(values)) or "NULL"


def _list_of(row: tuple[Any, ...]) -> ListData:
    return dict(zip(_LIST_KEYS, row, strict=True))


class WorkspaceStore:
    """Mixed into both stores: workspace queries, written once."""

    def _sql_rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _sql_write(self, statements: list[Statement]) -> list[tuple[Any, ...]]:
        """Run `statements` in one transaction; the rows they return."""
        raise NotImplementedError

    _BODY_PARAM = "?"  # the placeholder of a JSON body column

    def _body_value(self, body: Any) -> Any:
        return orjson.dumps(body)

    # -- workspace: annotations --
    def put_annotations(self, annotations: list[AnnotationData]) -> None:
        """Insert or replace annotations by id (creating one, editing it, re-anchoring many)."""
        query = (
            f"INSERT INTO annotations (id, doc_id, creator, shared_with, body) VALUES (?, ?, ?, ?, {self._BODY_PARAM}) "
            "ON CONFLICT (id) DO UPDATE SET doc_id = excluded.doc_id, creator = excluded.creator, "
            "shared_with = excluded.shared_with, body = excluded.body"
        )
        rows = [
            (a["id"], a["doc_id"], a["creator"], a.get("shared_with"), self._body_value(a))
            for a in annotations
        ]
        if rows:
            self._sql_write([(query, row) for row in rows])

    def delete_annotation(self, annotation_id: str) -> bool:
        """Remove one annotation; False when there was none with this id."""
        return bool(
            self._sql_write([("DELETE FROM annotations WHERE id = ? RETURNING id", (annotation_id,))])
        )

    def annotations(
        self,
        doc_ids: Iterable[str] | None = None,
        creator: str | None = None,
        groups: Iterable[str] = (),
        everyone: bool = False,
    ) -> list[AnnotationData]:
        """Annotations (on `doc_ids`, else on every document) by `creator` or shared with one of
        `groups`; every author's when `everyone`. Ordered by document, then creation."""
        shared = list(groups)
        who = "1 = 1" if everyone else f"(creator = ? OR shared_with IN ({_marks(shared)}))"
        params: list[Any] = [] if everyone else [creator, *shared]
        ids = None if doc_ids is None else list(dict.fromkeys(doc_ids))
        found: list[AnnotationData] = []
        for first in range(0, 1 if ids is None else len(ids), CHUNK):
            where, chunk = who, []
            if ids is not None:
                chunk = ids[first : first + CHUNK]
                where += f" AND doc_id IN ({_marks(chunk)})"
            rows = self._sql_rows(f"SELECT body FROM annotations WHERE {where}", [*params, *chunk])
            found += [_decoded(r[0]) for r in rows]
        return sorted(found, key=annotation_order)

    # -- workspace: lists --
    def create_list(self, name: str, owner: str, shared_group: str | None) -> ListData:
        """A new empty list (a list of that name and owner already there raises the driver's
        integrity error)."""
        query = "INSERT INTO lists (name, owner, shared_group, created_at) VALUES (?, ?, ?, ?) RETURNING id"
        rows = self._sql_write([(query, (name, owner, shared_group, _now()))])
        found = self.get_list(int(rows[0][0]))
        assert found is not None
        return found

    def get_list(self, list_id: int) -> ListData | None:
        rows = self._sql_rows(_LIST_SELECT + " WHERE l.id = ? GROUP BY l.id", (list_id,))
        return _list_of(rows[0]) if rows else None

    def lists_of(self, owner: str | None, groups: Iterable[str], every: bool = False) -> list[ListData]:
        """The lists `owner` owns or that are shared with one of `groups` (all when `every`), by name."""
        groups = list(groups)
        where = "1 = 1" if every else f"(l.owner = ? OR l.shared_group IN ({_marks(groups)}))"
        params = [] if every else [owner, *groups]
        rows = self._sql_rows(
            f"{_LIST_SELECT} WHERE {where} GROUP BY l.id ORDER BY l.name, l.owner, l.id", params
        )
        return [_list_of(r) for r in rows]

    def add_list_items(self, list_id: int, doc_ids: Iterable[str], added_by: str | None) -> int:
        """Append the ids not on the list yet, in the order given; returns how many were added."""
        now = _now()
        append = (
            "INSERT INTO list_items (list_id, doc_id, position, added_by, added_at) "
            "SELECT ?, ?, coalesce(max(position), 0) + 1, ?, ? FROM list_items WHERE list_id = ? "
            "ON CONFLICT (list_id, doc_id) DO NOTHING RETURNING doc_id"
        )
        # the list's row locked first: one adder at a time numbers the positions
        statements: list[Statement] = [("UPDATE lists SET name = name WHERE id = ?", (list_id,))]
        statements += [(append, (list_id, d, added_by, now, list_id)) for d in dict.fromkeys(doc_ids)]
        return len(self._sql_write(statements))

    def remove_list_items(self, list_id: int, doc_ids: Iterable[str]) -> int:
        query = "DELETE FROM list_items WHERE list_id = ? AND doc_id = ? RETURNING doc_id"
        return len(self._sql_write([(query, (list_id, d)) for d in dict.fromkeys(doc_ids)]))

    def list_items(self, list_id: int) -> list[ListItem]:
        """The list's items in their order (positions ascending)."""
        rows = self._sql_rows(
            "SELECT doc_id, position, added_by, added_at FROM list_items WHERE list_id = ? ORDER BY position",
            (list_id,),
        )
        return [dict(zip(_ITEM_KEYS, r, strict=True)) for r in rows]

    def delete_list(self, list_id: int) -> None:
        self._sql_write(
            [
                ("DELETE FROM list_items WHERE list_id = ?", (list_id,)),
                ("DELETE FROM lists WHERE id = ?", (list_id,)),
            ]
        )

    # -- workspace: review -- (entity judgments)
    def rewrite_entities(
        self, remove: Sequence[str], entities: Sequence[EntityData], names: Sequence[tuple[str, str]]
    ) -> None:
        """In one transaction: drop the records and name rows of `remove`, then store these."""
        self._sql_write(self._rewrite_statements(remove, entities, names))

    def add_entity_judgment(
        self,
        judgment: JudgmentData,
        remove: Sequence[str] = (),
        entities: Sequence[EntityData] = (),
        names: Sequence[tuple[str, str]] = (),
    ) -> int:
        """Store a judgment (and `rewrite_entities` what it changes) in one transaction; its id."""
        insert = (
            f"INSERT INTO entity_judgments ({', '.join(JUDGMENT_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(JUDGMENT_COLUMNS))}) RETURNING id"
        )
        statements = self._rewrite_statements(remove, entities, names)
        rows = self._sql_write([*statements, (insert, [judgment.get(c) for c in JUDGMENT_COLUMNS])])
        return int(rows[-1][0])

    def entity_judgments(self) -> list[JudgmentData]:
        """Every judgment (the `entity_judgments` columns plus `id`), oldest first."""
        rows = self._sql_rows(f"SELECT id, {', '.join(JUDGMENT_COLUMNS)} FROM entity_judgments ORDER BY id")
        return [dict(zip(("id", *JUDGMENT_COLUMNS), row, strict=True)) for row in rows]

    def _rewrite_statements(
        self, remove: Sequence[str], entities: Sequence[EntityData], names: Sequence[tuple[str, str]]
    ) -> list[Statement]:
        upsert = (
            f"INSERT INTO entities (id, type, name, body) VALUES (?, ?, ?, {self._BODY_PARAM}) "
            "ON CONFLICT (id) DO UPDATE SET type = excluded.type, name = excluded.name, body = excluded.body"
        )
        statements: list[Statement] = []
        for entity_id in dict.fromkeys(remove):
            statements += [
                ("DELETE FROM entities WHERE id = ?", (entity_id,)),
                ("DELETE FROM entity_names WHERE entity_id = ?", (entity_id,)),
            ]
        last = {e["id"]: e for e in entities}  # one record per id, the last given winning
        statements += [(upsert, (e["id"], e["type"], e["name"], self._body_value(e))) for e in last.values()]
        statements += [
            ("INSERT INTO entity_names (norm, entity_id) VALUES (?, ?) ON CONFLICT DO NOTHING", tuple(n))
            for n in dict.fromkeys(tuple(n) for n in names)
        ]
        if statements:  # in the same transaction: no reader sees the change without the new version
            statements.append((ddl.BUMP_ENTITIES_VERSION, ()))
        return statements

    def entities_version(self) -> int:
        """A number raised by every committed write to entity records or their names (0 before any)."""
        rows = self._sql_rows("SELECT value FROM feed_state WHERE name = ?", (ddl.ENTITIES_VERSION,))
        return int(rows[0][0]) if rows else 0

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
