"""Named lists on real SQLite and PostgreSQL stores: order, duplicates, who sees and changes them,
documents that leave the archive (issue 14, item 4)."""

# ruff: noqa: F811  (the store fixtures are imported from test_store_contract and named as arguments)
from __future__ import annotations

from typing import Any

import pytest
from test_store_contract import coll, doc, open_backend, pg_admin, pg_schema, store  # noqa: F401

from chancery.errors import ChanceryError, NotAllowed, NotFound
from chancery.workspace import lists
from chancery.workspace.viewer import Viewer

ANNA = Viewer("anna", "researcher", frozenset({"history"}))
BEN = Viewer("ben", "researcher", frozenset({"history"}))
CARL = Viewer("carl", "researcher")
READER = Viewer("rita", "reader", frozenset({"history"}))


def _filled(store: Any) -> Any:
    store.replace_file("f1", "sha1", "test", [coll("c1")], [doc(i, order=n) for n, i in enumerate("abcde")])
    return store


def test_items_keep_their_order_and_are_not_doubled(store: Any) -> None:
    _filled(store)
    made = lists.create(store, ANNA, "  Soong   talks ")
    assert made["name"] == "Soong talks" and made["owner"] == "anna" and made["count"] == 0
    assert lists.add(store, ANNA, "Soong talks", ["c", "a", "c"]) == 2
    assert lists.add(store, ANNA, made["id"], ["a", "e", "b"]) == 2
    data = lists.contents(store, ANNA, "Soong talks")
    assert [i["doc_id"] for i in data["items"]] == ["c", "a", "e", "b"]
    assert [i["position"] for i in data["items"]] == [1, 2, 3, 4]
    assert data["count"] == 4 and data["items"][0]["title"] == "Document c"
    assert all(i["added_by"] == "anna" and i["added_at"].endswith("+00:00") for i in data["items"])
    lists.create(store, ANNA, "other")
    assert [(d["name"], d["has"]) for d in lists.holding(store, ANNA, "e")] == [
        ("Soong talks", True),
        ("other", False),
    ]
    assert lists.remove(store, ANNA, "Soong talks", ["a"]) == 1
    assert [d["id"] for d in lists.documents(store, ANNA, made["id"])] == ["c", "e", "b"]


def test_unknown_documents_and_names_are_refused(store: Any) -> None:
    _filled(store)
    lists.create(store, ANNA, "one")
    with pytest.raises(NotFound, match="nope"):
        lists.add(store, ANNA, "one", ["a", "nope"])
    assert lists.contents(store, ANNA, "one")["items"] == []  # nothing half-added
    with pytest.raises(NotFound):
        lists.find(store, ANNA, "two")
    with pytest.raises(ChanceryError, match="already"):
        lists.create(store, ANNA, "one")
    with pytest.raises(ChanceryError):
        lists.create(store, ANNA, "123")  # a bare number would read as an id
    with pytest.raises(ChanceryError):
        lists.create(store, ANNA, "   ")


def test_private_unless_shared_with_a_group(store: Any) -> None:
    _filled(store)
    mine = lists.create(store, ANNA, "mine")
    shared = lists.create(store, ANNA, "shared", group="history")
    lists.add(store, ANNA, "shared", ["a"])
    assert [d["name"] for d in lists.visible(store, ANNA)] == ["mine", "shared"]
    assert [d["name"] for d in lists.visible(store, BEN)] == ["shared"]
    assert lists.visible(store, CARL) == [] and lists.visible(store, Viewer.anonymous()) == []
    assert {d["name"] for d in lists.visible(store, Viewer.local())} == {"mine", "shared"}  # admin
    with pytest.raises(NotFound):
        lists.find(store, CARL, shared["id"])
    with pytest.raises(NotFound):
        lists.find(store, BEN, mine["id"])
    assert lists.add(store, BEN, shared["id"], ["b"]) == 1  # a group researcher adds to it
    with pytest.raises(NotAllowed):
        lists.delete(store, BEN, shared["id"])  # only the owner deletes it
    assert lists.contents(store, READER, shared["id"])["count"] == 2  # a reader in the group reads it
    with pytest.raises(NotAllowed):
        lists.add(store, READER, shared["id"], ["c"])
    with pytest.raises(NotAllowed):
        lists.create(store, READER, "mine too")
    with pytest.raises(NotAllowed):
        lists.create(store, CARL, "theirs", group="history")  # not in that group
    # the same name for two owners: each finds their own first
    lists.create(store, BEN, "shared")
    assert lists.find(store, BEN, "shared")["owner"] == "ben"
    lists.delete(store, ANNA, shared["id"])
    assert [d["name"] for d in lists.visible(store, ANNA)] == ["mine"]


def test_documents_gone_from_the_archive_show_as_missing(store: Any) -> None:
    _filled(store)
    lists.create(store, ANNA, "kept")
    lists.add(store, ANNA, "kept", ["a", "b"])
    store.replace_file("f1", "sha2", "test", [coll("c1")], [doc("b"), doc("z")])  # a re-ingest drops a
    items = lists.contents(store, ANNA, "kept")["items"]
    assert [(i["doc_id"], i.get("missing", False)) for i in items] == [("a", True), ("b", False)]
    assert [d["id"] for d in lists.documents(store, ANNA, "kept")] == ["b"]


def test_lists_survive_reopening(open_backend: Any) -> None:
    for kind in ("sqlite", "postgres"):
        first = _filled(open_backend(kind))
        lists.create(first, ANNA, "durable")
        lists.add(first, ANNA, "durable", ["d", "a"])
        again = open_backend(kind)
        assert [i["doc_id"] for i in lists.contents(again, ANNA, "durable")["items"]] == ["d", "a"]
