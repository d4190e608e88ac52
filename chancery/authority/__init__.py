"""Authority records: people, places and organisations, loaded from the corpus's authority files.

`build_authority(paths, collections)` reads whatever it recognises among `paths`
(`hsg-people.tar.gz`, `pocom.tar.gz`, `hsg-travels-visits.tar.gz`, `cities-master.xml`, a
`cfpf-ner/ontology` directory or `.onto` file) plus the FRUS persons lists of stored
collections, and returns merged entity dicts (`Entity.to_dict()` shape) and the
(normalised name, entity id) rows of the name index. Bad input becomes warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def build_authority(
    paths: list[str | Path], collections: list[dict[str, Any]] | None = None
) -> AuthorityData:
    """Load, merge and index every authority source among `paths`."""
    result = AuthorityData()
    warnings, counts = result.warnings, result.counts
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
    add_territories({o["country"] for p in pocom for o in p.offices if o.get("country")}, gaz)
    frus = frus_persons(collections or [], warnings)
    counts["frus_persons"] = len(frus)
    counts["frus_persons_new"] = people.add_frus(frus)
    places = gaz.entities()
    result.entities = list(people.entities.values()) + places
    names = set(people.name_rows())
    for entity in places:
        names.update((normalize(n), entity["id"]) for n in [entity["name"], *entity["variants"]])
    result.names = sorted(names)
    counts["people"] = len(people.entities)
    counts["places"] = sum(1 for e in places if e["type"] == "place")
    counts["organizations"] = sum(1 for e in places if e["type"] == "organization")
    return result
