"""Who may see which collection: the one rule behind "private means private everywhere".

A collection is public unless `chancery collection visibility ID private [--group G]` made it
private; a private collection is seen by admins and by members of its group, by nobody else.
"""

from __future__ import annotations

from chancery.store import Store
from chancery.workspace.viewer import Viewer

VISIBILITIES = ("public", "private")


def hidden_collections(store: Store, viewer: Viewer) -> frozenset[str]:
    """The ids of the collections `viewer` may not see (empty for admins and local use)."""
    if viewer.is_admin:
        return frozenset()
    return frozenset(
        cid
        for cid, group in store.private_collections().items()
        if group is None or group not in viewer.groups
    )


def set_visibility(
    store: Store, viewer: Viewer, collection_id: str, visibility: str, group: str | None
) -> None:
    """Make a collection public or private (to admins and `group`); admins only; audited."""
    if not viewer.is_admin:
        raise PermissionError("only an admin changes who sees a collection")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be public or private, not {visibility!r}")
    if visibility == "public" and group:
        raise ValueError("a public collection has no group")
    store.set_collection_access(collection_id, visibility, group if visibility == "private" else None)
    store.audit(viewer.name, "visibility", collection_id, detail=f"{visibility} {group or ''}".strip())
