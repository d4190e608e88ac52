"""Reader for the Office of the Historian people file (`hsg-people.tar.gz`, one XML per person).

Each record has a preferred name, the spellings found in FRUS persons lists (with the
persons-list URLs they came from), titles, birth/death years and role remarks.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree


@dataclass
class HsgPerson:
    id: str
    preferred: str
    names: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    birth: str | None = None
    death: str | None = None
    remarks: list[tuple[str, list[str]]] = field(default_factory=list)  # (text, source URLs)
    sources: list[str] = field(default_factory=list)
    # where each spelling was found: persons-list URLs for FRUS spellings, [] for the record's own
    name_sources: dict[str, list[str]] = field(default_factory=dict)


def _text(node: etree._Element | None) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def parse_person(data: bytes, member: str) -> HsgPerson:
    """One person record; raises ValueError when it has no id or no name."""
    root = etree.fromstring(data)
    pid = _text(root.find("id"))
    preferred = _text(root.find("names/preferred/name"))
    names = [_text(n) for n in root.iterfind("names/alternates/name")]
    sources: list[str] = []
    name_sources: dict[str, list[str]] = {}
    for original in root.iterfind("names/originals/original"):
        name = _text(original.find("name"))
        urls = [u for u in (_text(u) for u in original.iterfind("source-url")) if u]
        names.append(name)
        sources.extend(urls)
        if name:
            found = name_sources.setdefault(name, [])
            found.extend(u for u in dict.fromkeys(urls) if u not in found)
    if not preferred and names:
        preferred = names[0]
    if not pid or not preferred:
        raise ValueError(f"{member}: person record without id or name")
    remarks = [
        (_text(r.find("p")), [_text(u) for u in r.iterfind("source-url")])
        for r in root.iterfind("remarks/remark")
    ]
    return HsgPerson(
        id=pid,
        preferred=preferred,
        names=[n for n in dict.fromkeys([preferred, *names]) if n],
        titles=[
            t for t in (_text(t.find("name")) for t in root.iterfind("names/titles-from-name/title")) if t
        ],
        birth=_text(root.find("birth-year")) or None,
        death=_text(root.find("death-year")) or None,
        remarks=[r for r in remarks if r[0]],
        sources=list(dict.fromkeys(u for u in sources if u)),
        name_sources=name_sources,
    )


def load_hsg_people(path: str | Path, warnings: list[str]) -> list[HsgPerson]:
    """Every person in the archive; bad or duplicate records become warnings."""
    people: dict[str, HsgPerson] = {}
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            handle = tar.extractfile(member)
            try:
                person = parse_person(handle.read() if handle else b"", member.name)
            except (ValueError, etree.XMLSyntaxError) as exc:
                warnings.append(f"hsg-people: {member.name}: {exc}")
                continue
            if person.id in people:
                warnings.append(
                    f"hsg-people: duplicate person id {person.id} in {member.name}; kept the first"
                )
                continue
            people[person.id] = person
    return list(people.values())
