"""Named lists of documents: owned by one user, optionally shared with a group, in the order
their documents were added. A list is named by its id or, for its owner, by its name."""

from __future__ import annotations

from typing import Any

from chancery.errors import ChanceryError, NotAllowed, NotFound
from chancery.store import Store
from chancery.store.base import ListData
from chancery.workspace.viewer import Viewer

MAX_NAME = 200


def can_see(viewer: Viewer, data: ListData) -> bool:
    return viewer.is_admin or data["owner"] == viewer.name or data.get("shared_group") in viewer.groups


def can_change(viewer: Viewer, data: ListData) -> bool:
    """The owner and admins change a list; researchers of its group add to it too."""
    return viewer.can_write and can_see(viewer, data)


def visible(store: Store, viewer: Viewer) -> list[ListData]:
    """The lists `viewer` may see, by name: their own, shared with their groups (admins: all)."""
    if viewer.name is None:
        return []
    return store.lists_of(viewer.name, sorted(viewer.groups), every=viewer.is_admin)


def create(store: Store, viewer: Viewer, name: str, group: str | None = None) -> ListData:
    """A new empty list owned by `viewer`, shared with `group` (one of theirs) when given."""
    name = " ".join(name.split())
    if not viewer.can_write or viewer.name is None:
        raise NotAllowed("only researchers and admins keep lists")
    if not name or len(name) > MAX_NAME or name.isdigit():
        raise ChanceryError(f"a list name is 1–{MAX_NAME} characters and not a bare number: {name!r}")
    if group and group not in viewer.groups and not viewer.is_admin:
        raise NotAllowed(f"{viewer.name} is not in group {group!r}")
    if any(d["owner"] == viewer.name and d["name"] == name for d in visible(store, viewer)):
        raise ChanceryError(f"you already have a list named {name!r}")
    return store.create_list(name, viewer.name, group or None)


def find(store: Store, viewer: Viewer, ref: str | int) -> ListData:
    """The list `ref` names (an id, else a name: the viewer's own list first)."""
    text = str(ref).strip()
    if text.isdigit():
        found = store.get_list(int(text))
        if found is not None and can_see(viewer, found):
            return found
        raise NotFound(f"no list with id {text}")
    named = [d for d in visible(store, viewer) if d["name"] == " ".join(text.split())]
    named.sort(key=lambda d: d["owner"] != viewer.name)
    if not named:
        raise NotFound(f"no list named {text!r}")
    return named[0]


def find_or_create(store: Store, viewer: Viewer, name: str) -> ListData:
    try:
        return find(store, viewer, name)
    except NotFound:
        return create(store, viewer, name)


def add(store: Store, viewer: Viewer, ref: str | int, doc_ids: list[str]) -> int:
    """Append documents (ids in the archive) to the list; returns how many were new to it."""
    data = find(store, viewer, ref)
    if not can_change(viewer, data):
        raise NotAllowed(f"you may not change the list {data['name']!r}")
    known = {d["id"] for d in store.documents(dict.fromkeys(doc_ids))}
    missing = [d for d in doc_ids if d not in known]
    if missing:
        raise NotFound(
            f"no document with id {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    return store.add_list_items(int(data["id"]), doc_ids, viewer.name)


def remove(store: Store, viewer: Viewer, ref: str | int, doc_ids: list[str]) -> int:
    data = find(store, viewer, ref)
    if not can_change(viewer, data):
        raise NotAllowed(f"you may not change the list {data['name']!r}")
    return store.remove_list_items(int(data["id"]), doc_ids)


def delete(store: Store, viewer: Viewer, ref: str | int) -> None:
    data = find(store, viewer, ref)
    if not (viewer.is_admin or (viewer.can_write and data["owner"] == viewer.name)):
        raise NotAllowed(f"only its owner deletes the list {data['name']!r}")
    store.delete_list(int(data["id"]))


def contents(
    store: Store, viewer: Viewer, ref: str | int, hidden: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The list with its items in order, each item with its document's summary (`missing` when
    the document has left the archive, or is in a collection in `hidden`, which the viewer may not see)."""
    data = find(store, viewer, ref)
    items = store.list_items(int(data["id"]))
    docs = {d["id"]: d for d in _visible(store.documents([i["doc_id"] for i in items]), hidden)}
    out = []
    for item in items:
        doc = docs.get(item["doc_id"])
        summary = (
            {k: doc.get(k) for k in ("title", "date", "doc_type", "collection")} if doc else {"missing": True}
        )
        out.append({**item, **summary})
    return {**data, "items": out}


def holding(store: Store, viewer: Viewer, doc_id: str) -> list[ListData]:
    """The viewer's visible lists, each with `has`: whether `doc_id` is on it (no bodies read)."""
    return [
        {**data, "has": any(i["doc_id"] == doc_id for i in store.list_items(int(data["id"])))}
        for data in visible(store, viewer)
    ]


def documents(
    store: Store, viewer: Viewer, ref: str | int, hidden: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The export dicts of the list's documents still in the archive (and not in a `hidden`
    collection), in list order."""
    data = find(store, viewer, ref)
    return _visible(store.documents([i["doc_id"] for i in store.list_items(int(data["id"]))]), hidden)


def _visible(docs: list[dict[str, Any]], hidden: frozenset[str]) -> list[dict[str, Any]]:
    return [d for d in docs if (d.get("collection") or {}).get("id") not in hidden] if hidden else docs
