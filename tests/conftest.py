"""Shared test fixtures: the real corpus (required, never skipped) and seed records."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CHANCERY_CORPUS", ROOT.parent / "shared" / "corpus"))
SEEDS = ROOT / "examples" / "seeds"


def corpus_path(*parts: str) -> Path:
    """A path in the shared corpus; fails the test loudly when the corpus is missing."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"shared corpus file missing: {path} (set CHANCERY_CORPUS)", pytrace=False)
    return path


@pytest.fixture
def corpus() -> Path:
    return corpus_path()


@pytest.fixture
def seeds() -> Path:
    return SEEDS
