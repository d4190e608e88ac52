"""FRUS persons lists: the editors' identification of people in each volume.

The FRUS TEI reader stores them on each `Collection.persons` as
`[{"id": "p_XYZ", "name": "Soong, T. V.", "description": "..."}]`; `Archive.load_authority`
passes the stored collections here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PERSONS_URL = "https://history.state.gov/historicaldocuments/{volume}/persons#{pid}"


@dataclass
class FrusPerson:
    volume: str
    id: str
    name: str
    description: str | None = None

    @property
    def url(self) -> str:
        return PERSONS_URL.format(volume=self.volume, pid=self.id)


def persons_key(volume: str, pid: str) -> str:
    """The key shared by TEI mentions ("frus1945v07#p_SVT1") and persons-list URLs."""
    return f"{volume}#{pid.lstrip('#')}"


def key_from_url(url: str) -> str | None:
    """ "…/historicaldocuments/frus1945v07/persons#p_SVT1" -> "frus1945v07#p_SVT1"."""
    if "/historicaldocuments/" not in url or "/persons#" not in url:
        return None
    volume, _, pid = url.split("/historicaldocuments/", 1)[1].partition("/persons#")
    return persons_key(volume, pid) if volume and pid else None


def frus_persons(collections: list[dict[str, Any]], warnings: list[str]) -> list[FrusPerson]:
    """Persons-list entries of every stored FRUS collection; entries without id or name warn."""
    out: list[FrusPerson] = []
    for coll in collections:
        seen: set[str] = set()
        for entry in coll.get("persons") or []:
            pid, name = (entry.get("id") or "").strip(), (entry.get("name") or "").strip()
            if not pid or not name:
                warnings.append(f"frus persons: {coll.get('id')}: entry without id or name: {entry!r:.80}")
                continue
            if pid in seen:
                warnings.append(f"frus persons: {coll.get('id')}: duplicate id {pid}; kept the first")
                continue
            seen.add(pid)
            out.append(FrusPerson(coll["id"], pid, name, entry.get("description")))
    return out


def unheld_volumes(collections: list[dict[str, Any]], people: list[dict[str, Any]]) -> set[str]:
    """Ids of the collections with a persons-list entry that no person record holds yet: none
    lists the entry's URL as a source of its spelling (what merging the list, `add_frus`, records)."""
    held = {
        (url, name)
        for person in people
        for name, urls in (person.get("name_sources") or {}).items()
        for url in urls
        if "/persons#" in url
    }
    return {p.volume for p in frus_persons(collections, []) if (p.url, p.name) not in held}
