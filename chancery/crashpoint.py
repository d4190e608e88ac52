"""A test hook: $CHANCERY_CRASH_AT=stage:n kills this process (SIGKILL) the nth time it reaches `stage`."""

from __future__ import annotations

import os
import signal
from collections import Counter

from chancery.settings import Settings

_AT = Settings.from_env().crash_at
_STAGE, _, _N = _AT.partition(":")
_seen: Counter[str] = Counter()


def crash_point(stage: str) -> None:
    """Die here, as `kill -9` would, when $CHANCERY_CRASH_AT names this stage and count."""
    if _STAGE != stage:
        return
    _seen[stage] += 1
    if _seen[stage] == int(_N or 1):
        os.kill(os.getpid(), signal.SIGKILL)
