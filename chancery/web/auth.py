"""Who the current request acts for. Without accounts (local use) that is always the archive's
one local user; `chancery serve --auth` (issue 14, accounts) replaces this with sessions and tokens."""

from __future__ import annotations

from fastapi import Request

from chancery.workspace.viewer import Viewer


def current_viewer(request: Request) -> Viewer:
    """The viewer of `request`: the local user (no login) until accounts are turned on."""
    return Viewer.local()
