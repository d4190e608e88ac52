"""Reader for *Principal Officers and Chiefs of Mission* (`pocom.tar.gz`) and the Presidents list.

POCOM gives people (`people/x/<id>.xml`), principal positions of the Department with who held
them when (`positions-principals/`), and chiefs of mission by country or organisation
(`missions-countries/`, `missions-orgs/`). The Presidents' terms come from the travels data
(`hsg-travels-visits.tar.gz`, `travels/presidents/presidents.xml`): POCOM has no President.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree


@dataclass
class PocomPerson:
    id: str
    surname: str
    forename: str = ""
    altnames: list[str] = field(default_factory=list)
    birth: str | None = None
    death: str | None = None
    offices: list[dict[str, Any]] = field(default_factory=list)
    source: str = "pocom"  # provenance prefix: "pocom:<id>", or "presidents:<id>" from the travels data

    @property
    def name(self) -> str:
        return f"{self.forename} {self.surname}".strip()


def _text(node: etree._Element | None) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def territory_name(territory_id: str) -> str:
    """ "united-kingdom" -> "United Kingdom"; drops the end-year suffix of historical states."""
    words = [w for w in territory_id.split("-") if not w.isdigit()]
    return " ".join(w if w in {"of", "and"} else w.capitalize() for w in words)


def _office(
    node: etree._Element, role_titles: dict[str, str], title: str | None, country: str | None
) -> dict:
    role = _text(node.find("role-title-id"))
    start = _text(node.find("started/date")) or _text(node.find("appointed/date")) or None
    note = _text(node.find("note"))
    if role == "secretary-ad-interim" and "Acting Secretary" in note:
        title = "Acting Secretary of State"
    return {
        "role": role,
        "title": title or role_titles.get(role) or role,
        "country": country,
        "start": start,
        "end": _text(node.find("ended/date")) or None,
        "note": note or None,
    }


def load_pocom(path: str | Path, warnings: list[str]) -> list[PocomPerson]:
    """People with their offices; offices naming an unknown person become warnings."""
    people: dict[str, PocomPerson] = {}
    role_titles: dict[str, str] = {}
    positions: list[etree._Element] = []
    missions: list[tuple[str, etree._Element]] = []
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            handle = tar.extractfile(member)
            try:
                root = etree.fromstring(handle.read() if handle else b"")
            except etree.XMLSyntaxError as exc:
                warnings.append(f"pocom: {member.name}: {exc}")
                continue
            if root.tag == "person":
                person = _person(root, member.name, warnings)
                if person and person.id in people:
                    warnings.append(
                        f"pocom: duplicate person id {person.id} in {member.name}; kept the first"
                    )
                elif person:
                    people[person.id] = person
            elif root.tag == "role" or root.tag == "principal-position":
                role_titles[_text(root.find("id"))] = _text(root.find("names/singular"))
                if root.tag == "principal-position":
                    positions.append(root)
            elif root.tag in ("country-mission", "org-mission"):
                missions.append((member.name, root))
    for root in positions:
        for node in root.iterfind("principals/principal"):
            _attach(people, node, _office(node, role_titles, None, None), warnings)
    for _member, root in missions:
        if root.tag == "country-mission":
            country = territory_name(_text(root.find("territory-id")))
            for node in root.iterfind("chiefs/chief"):
                _attach(people, node, _office(node, role_titles, None, country), warnings)
        else:
            title = _text(root.find("names/singular"))
            for node in root.iterfind("chiefs/chief"):
                _attach(people, node, _office(node, role_titles, title, None), warnings)
    return list(people.values())


def _person(root: etree._Element, member: str, warnings: list[str]) -> PocomPerson | None:
    pid = _text(root.find("id"))
    surname = _text(root.find("persName/surname"))
    if not pid or not surname:
        warnings.append(f"pocom: {member}: person without id or surname")
        return None
    return PocomPerson(
        id=pid,
        surname=surname,
        forename=_text(root.find("persName/forename")),
        altnames=[_text(a) for a in root.iterfind("persName/altname") if _text(a)],
        birth=_text(root.find("birth")) or None,
        death=_text(root.find("death")) or None,
    )


def _attach(people: dict[str, PocomPerson], node: etree._Element, office: dict, warnings: list[str]) -> None:
    person = people.get(_text(node.find("person-id")))
    if person is None:
        warnings.append(
            f"pocom: office {_text(node.find('id'))} names unknown person {_text(node.find('person-id'))!r}"
        )
        return
    person.offices.append(office)


def load_presidents(path: str | Path, warnings: list[str]) -> list[PocomPerson]:
    """Presidents of the United States with their terms, from the travels archive."""
    out: list[PocomPerson] = []
    with tarfile.open(path) as tar:
        for member in tar:
            if not (member.isfile() and member.name.endswith("presidents/presidents.xml")):
                continue
            handle = tar.extractfile(member)
            root = etree.fromstring(handle.read() if handle else b"")
            for node in root.iterfind("president"):
                pid, name = _text(node.find("id")), _text(node.find("name"))
                if not pid or not name:
                    warnings.append(f"presidents: entry without id or name in {member.name}")
                    continue
                office = {
                    "role": "president",
                    "title": "President of the United States",
                    "country": None,
                    "start": _text(node.find("took-office-date")) or None,
                    "end": _text(node.find("left-office-date")) or None,
                }
                words = name.split()
                out.append(
                    PocomPerson(
                        id=pid,
                        surname=words[-1],
                        forename=" ".join(words[:-1]),
                        altnames=[name],
                        birth=_text(node.find("birth-year")) or None,
                        death=_text(node.find("death-year")) or None,
                        offices=[office],
                        source="presidents",
                    )
                )
    return out
