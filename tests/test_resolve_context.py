"""Resolution in context (issue 10 item 3): a small real Resolver, real `find_mentions` and
`entity_step`; each rule resolves what it should and leaves the ambiguous unresolved."""

from __future__ import annotations

from typing import Any

from chancery.enrich import Context
from chancery.enrich.entities import Resolver, entity_step, find_mentions
from chancery.model import Collection, Document, Party, Source


def person(pid: str, name: str, **more: Any) -> dict[str, Any]:
    return {"id": f"person:{pid}", "type": "person", "name": name, "variants": [], "sources": [], **more}


def office(role: str, start: str, end: str, country: str | None = None) -> dict[str, Any]:
    return {"role": role, "start": start, "end": end, "country": country}


def vols(*names: str) -> list[str]:
    return [f"https://history.state.gov/historicaldocuments/{v}/persons#p_X" for v in names]


ENTITIES = [
    person("lbj", "Johnson, Lyndon B.", offices=[office("president", "1963-11-22", "1969-01-20")]),
    person(
        "alexis",
        "Johnson, U. Alexis",
        offices=[office("ambassador-e-p", "1966-10-03", "1969-10-15", "Japan")],
    ),
    person("mac", "Bundy, McGeorge", sources=vols("frus1964-68v01")),
    person("william-bundy", "Bundy, William P.", sources=vols("frus1964-68v02")),
    person("hassan-ii", "Hassan II", description="King, Morocco"),
    person("hassan-bin-talal", "Hassan bin Talal", variants=["Hassan"], description="Crown Prince of Jordan"),
    person(
        "arbenz", "Árbenz Guzmán, Jacobo", description="President of Guatemala March 15, 1951-June 27, 1954"
    ),
    person("ike", "Eisenhower, Dwight D.", offices=[office("president", "1953-01-20", "1961-01-20")]),
    person(
        "william-porter",
        "Porter, William J.",
        offices=[office("ambassador-e-p", "1967-08-23", "1971-08-18", "Korea")],
    ),
    person(
        "dwight-porter",
        "Porter, Dwight J.",
        offices=[office("ambassador-e-p", "1965-06-22", "1970-09-12", "Lebanon")],
    ),
    person("lincoln", "Lincoln, George A."),
    person("greene", "Greene, Fred", variants=["Pacific"]),
    person(
        "nhu",
        "Ngo Dinh Nhu",
        description="Brother of President Diem of Viet-Nam",
        sources=vols("frus1961-63v03"),
    ),
    person("rhee", "Rhee, Syngman", sources=vols(*[f"frus1958-60v{n:02d}" for n in range(1, 13)])),
    person("francesca", "Rhee, Francesca", sources=vols("frus1958-60v18")),
    {"id": "place:korea", "type": "place", "name": "Korea", "variants": [], "sources": []},
]


def linked(text: str, date: str, known: tuple[str, ...] = ()) -> dict[str, str | None]:
    return {m["text"]: m["entity_id"] for m in find_mentions(Resolver(ENTITIES), text, date, known=known)}


def test_a_surname_is_the_person_named_in_full_in_the_document():
    assert linked("Johnson would not agree.", "1967-05-01")["Johnson"] is None  # two Johnsons in 1967
    found = linked("U. Alexis Johnson called. Johnson would not agree.", "1967-05-01")
    assert found["Johnson"] == "person:alexis"


def test_senders_and_recipients_name_the_people_of_the_body():
    doc = Document(
        id="d1",
        collection=Collection(id="text"),
        source=Source(format="text", path="x"),
        title="Memorandum to President Johnson",
        text="Johnson asked for the figures.",
        recipients=[Party("President Johnson", role="President")],
    )
    doc.date.when = "1967-05-01"
    out = entity_step(doc, Context(resolver=Resolver(ENTITIES)))
    assert out.recipients[0].entity_id == "person:lbj"
    assert [m.entity_id for m in out.mentions] == ["person:lbj"]


def test_a_given_name_narrows_a_surname():
    found = linked("Don Hornig and Mac Bundy agreed.", "1965-09-01")
    assert found["Bundy"] == "person:mac" and "Don Hornig" not in found  # no Hornig listed
    assert linked("Bundy agreed.", "1965-09-01")["Bundy"] is None
    assert linked("Zed Bundy agreed.", "1965-09-01")["Zed Bundy"] is None  # nobody of that initial


def test_a_king_is_the_monarch_of_that_name():
    assert linked("a message from King Hassan arrived", "1970-01-07")["Hassan"] == "person:hassan-ii"
    assert linked("Hassan arrived in Rabat.", "1970-01-07")["Hassan"] is None  # two of that name


def test_hispanic_first_surname_and_unknown_presidents():
    found = linked("President Arbenz and Jacobo Arbenz are one man.", "1954-04-21")
    assert found["Arbenz"] == "person:arbenz" and found["Jacobo Arbenz"] == "person:arbenz"
    found = linked("as long as President Gomez remains in power.", "1954-04-21")
    assert found["President"] is None  # not Eisenhower: another country's President
    assert linked("The President agreed.", "1954-04-21")["President"] == "person:ike"


def test_an_ambassador_by_the_country_the_document_names():
    assert linked("Ambassador Porter called.", "1967-09-01")["Porter"] is None  # two ambassadors
    assert linked("In Korea, Ambassador Porter called.", "1967-09-01")["Porter"] == "person:william-porter"


def test_cryptonyms_and_english_variants_are_not_people():
    found = linked("Pending action, LINCOLN's officers and the Pacific coast.", "1954-02-19")
    assert "LINCOLN" not in found and "Pacific" not in found
    assert "LINCOLN" in linked("Sincerely,\nLINCOLN", "1954-02-19")  # a signature is a name


def test_vietnamese_named_by_the_last_given_name():
    assert linked("Nhu saw the Ambassador in Viet-Nam.", "1963-08-01")["Nhu"] == "person:nhu"


def test_the_one_far_more_identified_in_volumes_of_those_years():
    assert linked("Rhee spoke.", "1960-04-23")["Rhee"] == "person:rhee"  # 12 volumes against 1
    assert linked("Rhee spoke.", "1975-04-23")["Rhee"] is None  # no volume of those years
