"""Who the current request is for. A stand-in until accounts land (issue 14, f1): without
`--auth` every request is the archive's one local user."""

from __future__ import annotations

from fastapi import Request

from chancery.workspace.viewer import Viewer


def current_viewer(request: Request) -> Viewer:
    """The viewer of this request (local use: `Viewer.local()`)."""
    return Viewer.local()
