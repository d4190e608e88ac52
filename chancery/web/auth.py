"""Who the current request is for. Minimal until accounts land (f1 replaces this file): every
request is the local user, as in local use without --auth."""

from __future__ import annotations

from fastapi import Request

from chancery.workspace.viewer import Viewer


def current_viewer(request: Request) -> Viewer:
    return Viewer.local()
