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


def authority_paths() -> list[Path]:
    """The authority files the entity tests and benchmarks build their resolver from."""
    return [
        corpus_path("authority", "hsg-people.tar.gz"),
        corpus_path("authority", "pocom.tar.gz"),
        corpus_path("authority", "hsg-travels-visits.tar.gz"),
        corpus_path("frus", "dates-project", "cities-master.xml"),
        corpus_path("cfpf-ner", "ontology"),
    ]


@pytest.fixture(scope="session")
def resolver():
    """One gazetteer resolver over the real authority files, shared by the entity tests."""
    from chancery.authority import build_authority
    from chancery.enrich.entities import Resolver

    return Resolver(build_authority(authority_paths()).entities)
