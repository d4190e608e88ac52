"""Authority records: people, places and organisations, loaded from the corpus's authority files.

`build_authority(paths, collections)` reads whatever it recognises among `paths`
(`hsg-people.tar.gz`, `pocom.tar.gz`, `hsg-travels-visits.tar.gz`, `cities-master.xml`, a
`cfpf-ner/ontology` directory or `.onto` file) plus the FRUS persons lists of stored
collections, and returns merged entity dicts (`Entity.to_dict()` shape) and the
(normalised name, entity id) rows of the name index. Bad input becomes warnings.
Chancery ships the public-domain files (`chancery.authority.shipped`); with `cache_dir` the
parsed and merged files are kept as a pickle keyed by their hash, so a rebuild takes a second.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chancery.authority.cache import authority_key, load_cached, save_cached
from chancery.authority.frus_persons import frus_persons
from chancery.authority.hsg_people import load_hsg_people
from chancery.authority.merge import PersonMerger
from chancery.authority.names import normalize
from chancery.authority.places import Gazetteer, add_hand_lists, add_territories, load_cities, load_ontology
from chancery.authority.pocom import load_pocom, load_presidents


@dataclass
class AuthorityData:
    entities: list[dict[str, Any]] = field(default_factory=list)
    names: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)  # (kept id, folded duplicate id)


@dataclass
class _FileAuthority:
    """Everything built from the files alone: what the cache keeps."""

    people: PersonMerger
    gazetteer: Gazetteer
    counts: dict[str, int]
    warnings: list[str]
    merged: list[tuple[str, str]]


def build_authority(
    paths: list[str | Path],
    collections: list[dict[str, Any]] | None = None,
    cache_dir: str | Path | None = None,
) -> AuthorityData:
    """Load, merge and index every authority source among `paths`.

    `cache_dir`: where to keep (and look for) the files' parsed form, keyed by the hash of the
    files and of this package's code; the stored collections' persons lists are merged afresh.
    """
    if cache_dir is None:
        return _finish(_load_files(paths), collections)
    key = authority_key(paths)
    base = load_cached(cache_dir, key)
    if not isinstance(base, _FileAuthority):
        base = _load_files(paths)
        save_cached(cache_dir, key, base)  # before _finish, which adds the persons lists to it
    return _finish(base, collections)


def _load_files(paths: list[str | Path]) -> _FileAuthority:
    enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small records and no cycles to collect: ~20% faster
    try:
        return _parse_and_merge(paths)
    finally:
        if enabled:
            gc.enable()


def _parse_and_merge(paths: list[str | Path]) -> _FileAuthority:
    warnings: list[str] = []
    counts: dict[str, int] = {}
    people = PersonMerger(warnings)
    gaz = Gazetteer()
    add_hand_lists(gaz)
    pocom, presidents = [], []
    for raw in paths:
        path = Path(raw)
        name = path.name
        if not path.exists():
            warnings.append(f"{path}: no such file")
        elif "hsg-people" in name:
            hsg = load_hsg_people(path, warnings)
            people.add_hsg(hsg)
            counts["hsg_people"] = len(hsg)
        elif "pocom" in name:
            pocom = load_pocom(path, warnings)
            counts["pocom_people"] = len(pocom)
        elif "travels" in name:
            presidents = load_presidents(path, warnings)
            counts["presidents"] = len(presidents)
        elif name.endswith(".xml") and "cities" in name:
            counts["cities"] = load_cities(path, gaz, warnings)
        elif path.is_dir() and any(path.glob("*.onto")) or name.endswith(".onto"):
            counts["ontology_entries"] = load_ontology(path, gaz, warnings)
        else:
            warnings.append(f"{path}: not a known authority file; skipped")
    people.add_pocom(pocom)
    people.add_pocom(presidents)
    merged = people.merge_duplicates()
    counts["people_merged"] = len(merged)
    add_territories({o["country"] for p in pocom for o in p.offices if o.get("country")}, gaz)
    return _FileAuthority(people, gaz, counts, warnings, merged)


def _finish(base: _FileAuthority, collections: list[dict[str, Any]] | None) -> AuthorityData:
    """Merge the stored FRUS persons lists into the file authority and build the name index."""
    result = AuthorityData(counts=dict(base.counts), warnings=list(base.warnings), merged=list(base.merged))
    people = base.people
    people.warnings = result.warnings
    frus = frus_persons(collections or [], result.warnings)
    result.counts["frus_persons"] = len(frus)
    result.counts["frus_persons_new"] = people.add_frus(frus)
    places = base.gazetteer.entities()
    result.entities = list(people.entities.values()) + places
    names = set(people.name_rows())
    for entity in places:
        names.update((normalize(n), entity["id"]) for n in [entity["name"], *entity["variants"]])
    result.names = sorted(names)
    result.counts["people"] = len(people.entities)
    result.counts["places"] = sum(1 for e in places if e["type"] == "place")
    result.counts["organizations"] = sum(1 for e in places if e["type"] == "organization")
    return result
