"""Merge the person sources into one entity per person.

hsg people are the backbone. A POCOM person joins the hsg record that cites its
`departmenthistory/people/<pocom-id>` page, else the one with the same name and birth year.
A President joins the POCOM or hsg record with his name and birth year. A FRUS persons-list entry
joins the hsg record that cites its persons-list URL, else the only person with exactly its name.
Ids are `person:<slug>`: the POCOM id where there is one, else the slug of the preferred name
(with the hsg id appended when two people share a name).
"""

from __future__ import annotations

from typing import Any

from chancery.authority.duplicates import given_compatible, name_key, person_key, same_person
from chancery.authority.frus_persons import FrusPerson, key_from_url
from chancery.authority.hsg_people import HsgPerson
from chancery.authority.names import direct_order, name_suffix, normalize, person_variants, slug
from chancery.authority.pocom import PocomPerson

DEPT_PEOPLE = "https://history.state.gov/departmenthistory/people/"


def _entity(ent_id: str, name: str) -> dict[str, Any]:
    return {
        "id": ent_id,
        "type": "person",
        "name": name,
        "variants": [],
        "description": None,
        "birth": None,
        "death": None,
        "sources": [],
        "offices": [],
        "name_sources": {},  # spelling -> the records and persons-list URLs it was found in
        "merged_from": [],  # ids of duplicate entities folded into this one (see dedupe.py)
    }


def _add_names(entity: dict[str, Any], names: list[str], sources: list[str] | dict[str, list[str]]) -> None:
    """Add spellings with their provenance: one source list for all, or one per spelling."""
    for name in names:
        if not name:
            continue
        if name != entity["name"] and name not in entity["variants"]:
            entity["variants"].append(name)
        found = entity["name_sources"].setdefault(name, [])
        for src in sources.get(name, []) if isinstance(sources, dict) else sources:
            if src not in found:
                found.append(src)


def _name_keys(names: list[str]) -> set[str]:
    keys: set[str] = set()
    for name in names:
        variants, _ = person_variants(name)
        keys.update(normalize(v) for v in variants)
    return keys


class PersonMerger:
    """Accumulates person entities and the indexes used to merge further sources into them."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self.entities: dict[str, dict[str, Any]] = {}
        self.by_pocom: dict[str, str] = {}
        self.by_source: dict[str, str] = {}  # "frus1945v07#p_SVT1" -> entity id
        self.by_name: dict[str, set[str]] = {}

    def _index(self, ent_id: str, names: list[str]) -> None:
        for key in _name_keys(names):
            self.by_name.setdefault(key, set()).add(ent_id)

    def _new_id(self, base: str, suffix: str) -> str:
        ent_id = f"person:{base}"
        return ent_id if ent_id not in self.entities else f"{ent_id}-{suffix}"

    def _match_name(self, names: list[str], birth: str | None) -> str | None:
        found: set[str] = set()
        for key in _name_keys(names):
            found |= self.by_name.get(key, set())
        if birth:
            found = {e for e in found if self.entities[e]["birth"] in (None, birth)}
            dated = {e for e in found if self.entities[e]["birth"] == birth}
            found = dated or found
        return next(iter(found)) if len(found) == 1 else None

    def add_hsg(self, people: list[HsgPerson]) -> None:
        for person in sorted(people, key=lambda p: p.id):
            pocom_id = next(
                (
                    u[len(DEPT_PEOPLE) :]
                    for u in person.sources
                    if u.startswith(DEPT_PEOPLE) and "/" not in u[len(DEPT_PEOPLE) :]
                ),
                None,
            )
            name = direct_order(person.preferred)
            suffix = name_suffix(person.preferred)  # ids predate the suffix in display names: keep them
            plain = name[: -len(suffix)] if suffix and name.endswith(suffix) else name
            ent_id = self._new_id(pocom_id or slug(plain), person.id)
            entity = self.entities.setdefault(ent_id, _entity(ent_id, name))
            record = f"hsg-people:{person.id}"
            _add_names(
                entity,
                [name, *person.names],
                {n: [record, *person.name_sources.get(n, [])] for n in [name, *person.names]},
            )
            entity["birth"], entity["death"] = person.birth, person.death
            entity["description"] = person.remarks[0][0] if person.remarks else None
            entity["sources"] = [f"hsg-people:{person.id}", *person.sources]
            entity["remarks"] = [
                [text, [k for k in map(key_from_url, urls) if k]] for text, urls in person.remarks
            ]
            if pocom_id:
                self.by_pocom[pocom_id] = ent_id
            for url in person.sources:
                key = key_from_url(url)
                if key:
                    self.by_source.setdefault(key, ent_id)
            self._index(ent_id, person.names)

    def add_pocom(self, people: list[PocomPerson]) -> None:
        for person in people:
            names = [f"{person.surname}, {person.forename}", *person.altnames]
            record = f"{person.source}:{person.id}"
            ent_id = self.by_pocom.get(person.id) or self._match_name(names, person.birth)
            if ent_id is None:
                ent_id = self._new_id(person.id, "pocom")
                self.entities[ent_id] = _entity(
                    ent_id, person.altnames[0] if person.altnames else person.name
                )
                self._index(ent_id, names)
            entity = self.entities[ent_id]
            self.by_pocom[person.id] = ent_id
            if person.altnames and entity["name"] != person.altnames[0]:
                _add_names(entity, [entity["name"]], [])
                entity["name"] = person.altnames[0]  # POCOM's display form: "W. Averell Harriman"
            _add_names(entity, [entity["name"], *names], [record])
            entity["birth"] = entity["birth"] or person.birth
            entity["death"] = entity["death"] or person.death
            entity["offices"].extend(dict(o, source=record) for o in person.offices)
            entity["sources"].append(record)
            self._index(ent_id, names)

    def add_frus(self, persons: list[FrusPerson]) -> int:
        """Join persons-list entries; returns how many became new entities."""
        new = 0
        for entry in persons:
            key = f"{entry.volume}#{entry.id}"
            ent_id = self.by_source.get(key) or self._match_name([entry.name], None)
            if ent_id is None:
                ent_id = self._new_id(slug(f"{entry.volume} {entry.id}"), "frus")
                self.entities[ent_id] = _entity(ent_id, direct_order(entry.name))
                self.entities[ent_id]["description"] = entry.description
                _add_names(self.entities[ent_id], [self.entities[ent_id]["name"]], [entry.url])
                new += 1
            entity = self.entities[ent_id]
            _add_names(entity, [entry.name], [entry.url])
            if entry.url not in entity["sources"]:
                entity["sources"].append(entry.url)
            self.by_source[key] = ent_id
            self._index(ent_id, [entry.name])
        return new

    def merge_duplicates(self) -> list[tuple[str, str]]:
        """Fold records of one person into one entity (`duplicates.same_person`).

        The kept entity is the one with a POCOM record, else a birth year, else the most
        sources; it lists the folded ids in `merged_from` and takes their names (with their
        provenance), sources, offices and remarks. Returns (kept id, folded id) pairs.
        """
        groups: dict[tuple[str, frozenset[str]], list[tuple[str, tuple[str, ...]]]] = {}
        for ent_id, entity in self.entities.items():
            names = name_key(entity)
            if names is not None:
                groups.setdefault((names[0], names[2]), []).append((ent_id, names[1]))
        merged: list[tuple[str, str]] = []
        for group in groups.values():
            paired = {
                ent_id
                for ent_id, given in group
                for other, other_given in group
                if other != ent_id and given_compatible(given, other_given)
            }
            members = [(i, k) for i in sorted(paired) if (k := person_key(self.entities[i])) is not None]
            if len(members) < 2:
                continue
            members.sort(key=lambda m: (not m[1].pocom, not m[1].birth, -len(m[1].years), m[0]))
            clusters: list[list[tuple[str, Any]]] = []
            for member in members:
                home = next((c for c in clusters if all(same_person(member[1], k) for _, k in c)), None)
                if home is None:
                    clusters.append([member])
                else:
                    home.append(member)
            for cluster in clusters:
                for folded, _ in cluster[1:]:
                    self._fold(cluster[0][0], folded)
                    merged.append((cluster[0][0], folded))
        moved = {folded: kept for kept, folded in merged}
        for index in (self.by_pocom, self.by_source):
            for key, value in index.items():
                if value in moved:
                    index[key] = moved[value]
        for ids in self.by_name.values():
            if not ids.isdisjoint(moved):
                ids.difference_update(found := ids & moved.keys())
                ids.update(moved[f] for f in found)
        return merged

    def _fold(self, kept_id: str, folded_id: str) -> None:
        kept, folded = self.entities[kept_id], self.entities.pop(folded_id)
        _add_names(kept, [folded["name"], *folded["variants"]], folded["name_sources"])
        kept["sources"].extend(s for s in folded["sources"] if s not in kept["sources"])
        kept["offices"].extend(folded["offices"])
        kept.setdefault("remarks", []).extend(folded.get("remarks", []))
        kept["birth"] = kept["birth"] or folded["birth"]
        kept["death"] = kept["death"] or folded["death"]
        kept["description"] = kept["description"] or folded["description"]
        kept["merged_from"].extend([folded_id, *folded["merged_from"]])

    def name_rows(self) -> list[tuple[str, str]]:
        return sorted({(key, e) for key, ids in self.by_name.items() for e in ids})
