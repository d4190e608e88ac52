"""The store interface that SQLite and PostgreSQL implement alike.

Documents are stored as their export dicts (`Document.to_dict()`), with a few columns pulled
out for filtering. Every change to documents is also written to the change feed (`changes`: a
sequence number, the id, upsert or delete) in the same transaction, so every search index can
catch up from the last number it applied; stored ids also wait in `pending_links` until linked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypedDict

import orjson

from chancery.store.accounts import AuditRow, UserRow

DocumentData = dict[str, Any]  # a document's export dict (`Document.to_dict()`), as stored
CollectionData = dict[str, Any]  # `Collection.to_dict()`
EntityData = dict[str, Any]  # `Entity.to_dict()`
JudgmentData = dict[str, Any]  # a row of `entity_judgments` (`chancery.enrich.judgments.Judgment.row`)
JUDGMENT_COLUMNS = (
    "kind", "subject", "target", "doc_id", "start_offset", "end_offset", "surface", "names", "viewer", "at", "note",
    "undoes",
)  # fmt: skip
LinkTriple = tuple[str, str, str | None]  # (dst_id, kind, text) of one outgoing link
AnnotationData = dict[str, Any]  # `Annotation.to_dict()` (chancery/workspace/annotations.py)
ListData = dict[str, Any]  # {id, name, owner, shared_group, created_at, count}
ListItem = dict[str, Any]  # {doc_id, position, added_by, added_at}


class EntityBase(TypedDict):
    """An entity as the authority gave it, before any judgment (chancery/store/workspace.py)."""

    record: dict[str, Any]
    names: list[str]  # the normalised names of the name index that led to it


class Serialized(NamedTuple):
    """A document ready to store: the columns pulled out of its dict and its JSON body.

    `replace_file` takes these as well as dicts, so ingest workers can serialise documents
    in parallel and the writing process only inserts rows.
    """

    id: str
    collection_id: str | None
    title: str | None
    doc_type: str | None
    when: str | None
    not_before: str | None
    not_after: str | None
    order: int | None
    body: bytes  # orjson.dumps(doc)


def serialize(doc: DocumentData) -> Serialized:
    """`doc` (an export dict) as a `Serialized` row."""
    date = doc.get("date") or {}
    return Serialized(
        doc["id"],
        (doc.get("collection") or {}).get("id"),
        doc.get("title"),
        doc.get("doc_type"),
        date.get("when"),
        date.get("not_before"),
        date.get("not_after"),
        doc.get("order"),
        orjson.dumps(doc),
    )


def as_serialized(documents: list[DocumentData] | list[Serialized]) -> list[Serialized]:
    return [d if isinstance(d, Serialized) else serialize(d) for d in documents]


def document_row(doc: Serialized, path: str, body: Any) -> tuple[Any, ...]:
    """The columns both stores write for a document of file `path`, then its `body`."""
    return (
        doc.id,
        doc.collection_id,
        path,
        doc.title,
        doc.doc_type,
        doc.when,
        doc.not_before,
        doc.not_after,
        doc.order,
        body,
    )


@dataclass
class FileRecord:
    """A source file already ingested: its path, content hash and what it yielded."""

    path: str
    sha256: str
    format: str
    n_documents: int
    ingested_at: str


@dataclass
class ReplaceResult:
    added: int
    replaced: int
    removed: int


def annotation_order(annotation: AnnotationData) -> tuple[str, str, str]:
    """Annotations are listed by document, then creation time, then id."""
    return (annotation["doc_id"], annotation.get("created") or "", annotation["id"])


class Link(TypedDict):
    """A link between two stored documents (a resolved reference or a reply)."""

    src: str
    dst: str
    kind: str
    text: str | None


def link_of(src: str, dst: str, kind: str, text: str | None) -> Link:
    return Link(src=src, dst=dst, kind=kind, text=text)


class Store(Protocol):
    """What every storage backend provides. All methods are synchronous.

    Bodies go in and come out as export dicts (`Document.to_dict()` and its kin): the stored JSON
    is the export contract, and the bulk paths (indexing, linking, export) read it without
    building models. `chancery.Archive` turns what it hands to interfaces into models.
    """

    url: str

    # files and documents
    def file_record(self, path: str) -> FileRecord | None: ...
    def files_with_sha(self, sha256: str) -> list[FileRecord]:
        """Ingested files with exactly this content (to spot the same file in two places)."""
        ...

    def replace_file(
        self,
        path: str,
        sha256: str,
        format: str,
        collections: list[CollectionData],
        documents: list[DocumentData] | list[Serialized],
    ) -> ReplaceResult:
        """In one transaction: store these documents (dicts or `Serialized`) as the whole yield of `path`."""
        ...

    def update_documents(self, documents: list[DocumentData]) -> None:
        """Rewrite already-stored documents (after enrichment); queues them for indexing."""
        ...

    def document(self, doc_id: str) -> DocumentData | None: ...
    def documents(self, doc_ids: Iterable[str]) -> list[DocumentData]:
        """The stored documents among `doc_ids`, in the order given (unknown ids left out)."""
        ...

    def iter_documents(self, collection_id: str | None = None) -> Iterator[DocumentData]:
        """Every document (or a collection's), by collection, reading order, id."""
        ...

    def document_ids(self) -> list[str]: ...
    def document_paths(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """The source file path of each stored document among `doc_ids` (no bodies read)."""
        ...

    def document_order(self) -> list[tuple[str, str | None]]:
        """(id, collection id) of every document, in iter_documents order (no bodies read)."""
        ...

    def count_documents(self) -> int: ...

    # collections
    def collection(self, collection_id: str) -> CollectionData | None: ...
    def collections(self) -> list[CollectionData]:
        """Every collection, by id, each with its `document_count`."""
        ...

    # change feed (numbered in commit order) and linking still to do
    def last_change(self) -> int:
        """The number of the latest change (0 when none)."""
        ...

    def changes_since(self, seq: int, limit: int | None = None) -> list[tuple[int, str, str]]:
        """(seq, doc id, "upsert" | "delete") of the changes after `seq`, in order."""
        ...

    def feed_horizon(self) -> int:
        """Changes before this number may have been compacted away (0: the feed is whole)."""
        ...

    def compact_changes(self, horizon: int) -> int:
        """Below `horizon` (capped at the latest change) keep only each document's latest change,
        and no deletions; record the horizon; returns how many changes were removed."""
        ...

    def pending_links(self) -> list[str]:
        """Ids stored but not linked yet (an ingest that stopped before linking leaves some)."""
        ...

    def clear_pending_links(self, doc_ids: Iterable[str]) -> None: ...

    # authority entities
    def put_entities(self, entities: list[EntityData], names: list[tuple[str, str]]) -> None: ...
    def entity(self, entity_id: str) -> EntityData | None: ...
    def entities_by_name(self, norm_name: str) -> list[EntityData]: ...
    def iter_entities(self, type: str | None = None) -> Iterator[EntityData]: ...
    def count_entities(self) -> int: ...
    def entities_version(self) -> int:
        """A number raised by every committed write to entity records or their names (0 before
        any): what a cache built from the records is keyed on (one row read, no count)."""
        ...

    # links between documents (resolved references, replies)
    def put_links(self, src_id: str, links: list[LinkTriple]) -> None:
        """Replace the outgoing links of `src_id` with (dst_id, kind, text) triples."""
        ...

    def put_links_many(self, batch: list[tuple[str, list[LinkTriple]]]) -> None:
        """`put_links` for many sources in one transaction."""
        ...

    def links_from(self, doc_id: str) -> list[Link]: ...
    def links_to(self, doc_id: str) -> list[Link]: ...

    def backup(self, target: str) -> None:
        """A consistent copy of the whole store at `target` (SQLite; PostgreSQL: use pg_dump)."""
        ...

    # -- workspace: annotations --
    def put_annotations(self, annotations: list[AnnotationData]) -> None:
        """Insert or replace annotations by id (creating one, editing it, re-anchoring many)."""
        ...

    def delete_annotation(self, annotation_id: str) -> bool:
        """Remove one annotation; False when there was none with this id."""
        ...

    def annotations(
        self,
        doc_ids: Iterable[str] | None = None,
        creator: str | None = None,
        groups: Iterable[str] = (),
        everyone: bool = False,
    ) -> list[AnnotationData]:
        """Annotations (on `doc_ids`, else on every document) by `creator` or shared with one of
        `groups`; every author's when `everyone`. Ordered by document, then creation."""
        ...

    # -- workspace: review -- (entity judgments; chancery/workspace/review.py)
    def rewrite_entities(
        self, remove: Sequence[str], entities: Sequence[EntityData], names: Sequence[tuple[str, str]]
    ) -> None:
        """In one transaction: drop the records and name rows of `remove`, then store these."""
        ...

    def add_entity_judgment(
        self,
        judgment: JudgmentData,
        remove: Sequence[str] = (),
        entities: Sequence[EntityData] = (),
        names: Sequence[tuple[str, str]] = (),
    ) -> int:
        """Store a judgment (and `rewrite_entities` what it changes) in one transaction; its id."""
        ...

    def entity_judgments(self) -> list[JudgmentData]:
        """Every judgment (the `entity_judgments` columns plus `id`), oldest first."""
        ...

    # entity bases (chancery/store/workspace.py, shared by both stores)
    def entity_bases(self, ids: Iterable[str]) -> dict[str, EntityBase]: ...
    def keep_entity_bases(self, ids: Iterable[str]) -> None: ...
    def renew_entity_bases(self, records: Sequence[EntityData], names: Iterable[tuple[str, str]]) -> None: ...

    def stats(self) -> dict[str, Any]: ...
    def close(self) -> None: ...

    # -- workspace: lists --
    def create_list(self, name: str, owner: str, shared_group: str | None) -> ListData:
        """A new empty list (a list of that name and owner already there raises the driver's
        integrity error)."""
        ...

    def get_list(self, list_id: int) -> ListData | None: ...
    def lists_of(self, owner: str | None, groups: Iterable[str], every: bool = False) -> list[ListData]:
        """The lists `owner` owns or that are shared with one of `groups` (all when `every`), by name."""
        ...

    def add_list_items(self, list_id: int, doc_ids: Iterable[str], added_by: str | None) -> int:
        """Append the ids not on the list yet, in the order given; returns how many were added."""
        ...

    def remove_list_items(self, list_id: int, doc_ids: Iterable[str]) -> int: ...
    def list_items(self, list_id: int) -> list[ListItem]:
        """The list's items in their order (positions ascending)."""
        ...

    def delete_list(self, list_id: int) -> None: ...

    # -- end workspace: lists --

    # -- workspace: accounts -- (chancery/store/accounts.py, shared by both stores)
    def put_user(self, name: str, role: str, password_hash: str | None) -> None: ...
    def user(self, name: str) -> UserRow | None: ...
    def add_group_member(self, group: str, user: str) -> None: ...
    def put_api_token(self, token_hash: str, user: str) -> None: ...
    def api_token_user(self, token_hash: str) -> str | None: ...
    def put_session(self, token_hash: str, user: str, expires_at: str) -> None: ...
    def session_user(self, token_hash: str, at: str) -> str | None: ...
    def delete_session(self, token_hash: str) -> None: ...
    def audit(
        self,
        actor: str | None,
        action: str,
        target: str | None,
        ip: str | None = None,
        detail: str | None = None,
    ) -> None: ...
    def audit_rows(self, after: int = 0, limit: int = 1000) -> list[AuditRow]: ...
    def count_audit(self, action: str, target: str, ip: str, since: str) -> int: ...
    def last_audit_at(self, action: str, target: str, ip: str) -> str | None: ...
    def set_collection_access(self, collection_id: str, visibility: str, group: str | None) -> None: ...
    def private_collections(self) -> dict[str, str | None]: ...
    def collections_of_sha(self, sha256: str) -> set[str | None]: ...
