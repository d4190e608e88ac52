"""People in FRUS text (issue 10): common-word surnames after a title, military ranks, a title
over an ordinary word, signatures under messages from an office. The texts are sentences of the
shared corpus's FRUS volumes (named at each test); the records are those of the shipped
authority, trimmed to the fields the rules read (names in the inverted form of its sources)."""

from __future__ import annotations

from typing import Any

from chancery.enrich import Context
from chancery.enrich.entities import Resolver, entity_step, find_mentions
from chancery.model import Collection, Document, Party, Source


def person(pid: str, name: str, description: str = "", **more: Any) -> dict[str, Any]:
    return {
        "id": f"person:{pid}",
        "type": "person",
        "name": name,
        "description": description,
        "variants": [],
        "sources": [],
        **more,
    }


def office(role: str, start: str, end: str, country: str | None = None) -> dict[str, Any]:
    return {"role": role, "start": start, "end": end, "country": country}


def vols(*names: str) -> list[str]:
    return [f"https://history.state.gov/historicaldocuments/{v}/persons#p_X" for v in names]


ENTITIES = [
    person(
        "brown-winthrop-gilman",
        "Brown, Winthrop G.",
        "Director, Office of International Materials Policy, Department of State",
        birth="1907",
        death="1987",
        offices=[
            office("ambassador-e-p", "1960-07-25", "1962-06-28", "Laos"),
            office("ambassador-e-p", "1964-08-14", "1967-06-10", "Korea"),
        ],
    ),
    person(
        "harold-brown",
        "Brown, Harold",
        "Secretary of Defense",
        birth="1927",
        sources=vols("frus1964-68v29p1"),
    ),
    person(
        "eedson-l-m-burns",
        "Burns, Eedson L.M.",
        "Canadian military officer; Director, United Nations Truce Supervision Organization in Palestine",
        sources=vols("frus1955-57v14", "frus1955-57v15"),
    ),
    person(
        "burns-arthur-frank",
        "Burns, Arthur F.",
        "Chairman, Council of Economic Advisers, 1953–1954.",
        birth="1904",
        death="1987",
        sources=vols("frus1952-54v02p1", "frus1955-57v09"),
    ),
    person(
        "robert-w-burns",
        "Burns, Robert W.",
        "Commander of United States Forces in Japan, 1958–1961",
        sources=vols("frus1958-60v18"),
    ),
    person(
        "harry-d-felt",
        "Felt, Harry D.",
        "Vice Chief of Naval Operations after August 1956",
        sources=vols("frus1955-57v12", "frus1958-60v18"),
    ),
    person(
        "ball-george-wildman",
        "Ball, George W.",
        "Under Secretary of State",
        birth="1909",
        death="1994",
        offices=[office("under-secretary", "1961-12-04", "1966-09-30")],
    ),
    person("joseph-h-ball", "Ball, Joseph H.", "Senator from Minnesota", sources=vols("frus1961-63v03")),
    person(
        "rusk-david-dean",
        "Rusk, Dean",
        "Secretary of State",
        offices=[office("secretary", "1961-01-21", "1969-01-20")],
    ),
    person(
        "william-edward-cole",
        "Cole, William Edward, Jr.",
        "Consul at Accra until February 5, 1954; thereafter Consul General at Jerusalem.",
        sources=vols("frus1955-57v14"),
    ),
    person(
        "w-sterling-cole",
        "Cole, W. Sterling",
        "(R–New York), Chairman of the Joint Committee on Atomic Energy",
        sources=vols("frus1955-57v14"),
    ),
    person(
        "cole-charles-woolsey",
        "Cole, Charles W.",
        "Ambassador to Chile until September 27, 1964",
        offices=[office("ambassador-e-p", "1961-10-21", "1964-09-27", "Chile")],
    ),
]


ENTITIES += [
    person(
        "alexander-frederick-douglas-home",
        "Alexander Frederick Douglas-Home",
        "British Secretary of State for Commonwealth Relations after April 1955",
        variants=["Douglas-Home, Alexander Frederick", "Home, Lord", "Home, Sir Alec Douglas"],
        sources=vols(*[f"frus1958-60v{n:02d}" for n in range(1, 21)]),  # named in 20 volumes
    ),
    person(
        "tran-le-quang",
        "Tran Le Quang",
        "Vietnamese Minister of Rural Affairs until November 4, 1963",
        sources=vols("frus1961-63v02", "frus1961-63v03"),
    ),
]


ENTITIES += [
    person(
        "hirohito",
        "Hirohito",
        "Emperor, Japan. Visited U.S. 2 times, 1971–1975",
        variants=["Emperor Hirohito", "Japan, The Emperor of"],
    ),
]

ENTITIES += [
    person(
        "taylor-maxwell-davenport",
        "Maxwell D. Taylor",
        "Non-career appointee. Ambassador Extraordinary and Plenipotentiary (vietnam-south-1975).",
        variants=["Taylor, Maxwell Davenport", "Taylor, General Maxwell D."],
        sources=vols("frus1958-60v18"),
    ),
    person(
        "fred-e-taylor",
        "Fred E. Taylor",
        "Office of the Special Assistant for Fisheries and Wildlife to the Under Secretary of State.",
        variants=["Taylor, Fred E."],
        sources=vols("frus1951v05", "frus1958-60v02"),
    ),
    person(
        "nguyen-ngoc-tho",
        "Nguyen Ngoc Tho",
        "Minister of National Economy to December 1956; thereafter Vice President of the Republic of Vietnam",
        variants=["Tho"],
        sources=vols("frus1961-63v03"),
    ),
    person(
        "tran-van-tho",
        "Tran Van Tho",
        "Director General of Information, Republic of Vietnam",
        sources=vols("frus1961-63v01"),
    ),
    person(
        "ngo-dinh-nhu",
        "Ngo Dinh Nhu",
        "Secretary-General of the Personalist Labor Revolutionary Party of Vietnam; brother and adviser to Ngo Dinh Diem",
        variants=["Nhu"],
        sources=vols("frus1961-63v03"),
    ),
    person(
        "tran-le-xuan",
        "Tran Le Xuan",
        "see Tran Le Xuan",
        variants=[
            "Ngo Dinh Nhu, Madame",
            "Nhu, Madame",
            "Tran Le Xuan (Madame Ngo Dinh Nhu)",
            "Ngo Dinh Nhu",
        ],
    ),
]

ENTITIES += [
    person(
        "donald-f-hornig",
        "Donald F. Hornig",
        "Member, Ad Hoc Committee on Space; Chairman, Ad Hoc Mercury Panel, 1961",
        variants=["Hornig, Donald F."],
        sources=vols("frus1961-63v25", "frus1964-68v34"),
    ),
]

ENTITIES += [
    person(
        "rostow-walt-whitman",
        "Walt Whitman Rostow",
        "Deputy Special Assistant to the President for National Security Affairs until December 4, 1961",
        variants=["Rostow, Walt Whitman", "Rostow, Walt W."],
        offices=[office("counselor", "1961-12-04", "1966-03-31")],
    ),
    person(
        "rostow-eugene-victor-debs",
        "Eugene Victor Rostow",
        "Non-career appointee. Under Secretary of State for Political Affairs",
        variants=["Rostow, Eugene Victor Debs", "Eugene V. Rostow"],
        offices=[office("under-secretary-for-political-affairs", "1966-10-14", "1969-01-20")],
    ),
    person(
        "lewis-w-walt",
        "Lewis W. Walt",
        "Commander of the U.S. III Marine Amphibious Force and I Corps Senior Adviser",
        variants=["Walt, Lewis W.", "Walt, Lieutenant General Lewis W."],
        sources=vols("frus1964-68v04", "frus1964-68v05"),
    ),
]

ENTITIES += [
    person(
        "trinh-minh-the",
        "Trinh Minh The",
        "Cao Dai General in Vietnamese National Army from February 1955; killed in Saigon fighting, May 1955",
        variants=["The"],
        sources=vols("frus1955-57v01"),
    ),
]

ENTITIES += [
    person(
        "macarthur-douglas",
        "Douglas MacArthur 2d",
        "Foreign Service Officer. Counselor; Career Ambassador",
        birth="1909",
        death="1997",
        variants=["MacArthur, Douglas, II"],
        sources=vols(*[f"frus1964-68v{n:02d}" for n in range(1, 21)]),
    ),
    person(
        "conrad-charles-magill",
        "Charles M. Conrad",
        "Non-career appointee. Secretary of State ad interim.",
        birth="1804",
        death="1878",
        variants=["Conrad, Charles Magill"],
    ),
    person(
        "vu-van-thai",
        "Vu Van Thai",
        "Director General of the Budget and Foreign Aid, Republic of Vietnam",
        variants=["Thai"],
        sources=vols("frus1958-60v01", "frus1961-63v03"),
    ),
]

ENTITIES += [
    person(
        "murtala-mohammed",
        "Murtala Mohammed",
        "Nigerian Commander of 2nd Division, adviser and rival to Yakubu Gowon",
        variants=["Mohammed, Murtala", "Mohammed, General Murtala"],
        sources=vols("frus1969-76ve05p1", "frus1969-76ve05p2"),
    ),
    person(
        "ivor-richard",
        "Ivor Richard",
        "British Permanent Representative to the United Nations from 1974",
        variants=["Richard, Ivor"],
        sources=vols("frus1969-76v28", "frus1969-76ve05p2"),
    ),
    person(
        "mohamed-masmoudi",
        "Mohamed Masmoudi",
        "Mohamed, Foreign Minister of Tunisia",
        variants=["Masmoudi, Mohamed", "Masmoudi"],
        sources=vols("frus1969-76v05"),
    ),
    person(
        "pedersen-richard-foote",
        "Richard F. Pedersen",
        "Senior Adviser, Political Affairs Section, U.S. Mission to the United Nations",
        variants=["Pedersen, Richard Foote", "Pedersen, Richard F."],
        sources=vols("frus1961-63v25", "frus1969-76ve05p2"),
    ),
    person(
        "service-robert-edward",
        "Robert Edward Service",
        "Foreign Service Officer. Ambassador Extraordinary and Plenipotentiary (Paraguay).",
        birth="1937",
        variants=["Service, Robert Edward"],
    ),
]


def linked(text: str, date: str) -> dict[str, str | None]:
    return {m["text"]: m["entity_id"] for m in find_mentions(Resolver(ENTITIES), text, date)}


def test_a_common_word_surname_names_someone_after_a_title():
    # frus1964-68v29p1 d20 (tagged Brown, Winthrop G. by the editors)
    text = (
        "On August 31, 1964, Korean Foreign Minister Yi Tong-won presented to Ambassador Brown an "
        "aide-memoire proposing a Foreign Ministers' conference."
    )
    assert linked(text, "1964-12-31")["Brown"] == "person:brown-winthrop-gilman"
    # without a title it stays an ordinary word, not a mention
    assert "Brown" not in linked("Brown paper covered the files of 1964.", "1964-12-31")
    # ... unless the document names him with a title too (frus1964-68v29p1)
    text = (
        "Ambassador Brown suggested that the Republic of Korea would support efforts. In telegram 585 "
        "from Seoul, December 30, Brown reported that Kim Tong-cho believed it."
    )
    found = find_mentions(Resolver(ENTITIES), text, "1964-12-31")
    assert [m["entity_id"] for m in found if m["text"] == "Brown"] == ["person:brown-winthrop-gilman"] * 2


def test_an_english_word_names_a_person_only_after_a_title_or_his_full_name():
    # frus1958-60v18 d249: "Home" is Douglas-Home's surname, and a word
    text = (
        "DP also called for public hearings on measure, repeated demand rejected earlier by Assembly "
        "that bill be considered by National Defense and Home Affairs Committees as well as "
        "Legislation-Justice Committee."
    )
    assert linked(text, "1960-01-05").get("Home") is None
    found = linked("Alexander Douglas-Home arrived, and the talks with Home went well.", "1960-01-05")
    assert found["Home"] == "person:alexander-frederick-douglas-home"


def test_a_surname_followed_by_an_unlisted_name_is_part_of_it():
    # frus1961-63v03 d53: a province, not Tran Le Quang
    text = (
        "In addition two pilot projects (in Binh Duong and Quang Ngai) using existing military and "
        "paramilitary forces especially trained this work by National Police and USOM PSD are "
        "expected provide essential practical experience."
    )
    assert "Quang" not in linked(text, "1962-05-01")
    assert linked("Quang said the Army was ready.", "1962-05-01")["Quang"] == "person:tran-le-quang"


def test_no_name_begins_with_the():
    # frus1958-60v18 d113: "the Japan area" is not "Japan, The Emperor of"
    text = "building up forces to be deployed in the defense of the Japan area"
    assert not any(v for v in linked(text, "1959-01-01").values())
    assert linked("Emperor Hirohito received him.", "1959-01-01")["Hirohito"] == "person:hirohito"


def test_a_rank_in_a_recorded_name_makes_an_officer():
    # frus1958-60v18 d216: Maxwell D. Taylor's description is his later embassy, one of his names
    # is "Taylor, General Maxwell D."
    text = (
        "General Taylor said that this is a difficult problem, that he believed we must maintain "
        "our present position until the political situation is clarified."
    )
    assert linked(text, "1958-06-01")["Taylor"] == "person:taylor-maxwell-davenport"


def test_a_post_before_a_surname_is_read_in_the_descriptions():
    # frus1961-63v03 d43: two of the name fit 1963; one is recorded as Vice President
    text = (
        "the Embassy reported that important Vietnamese officials, including Vice President Tho, "
        "feared that the report was based upon the premise"
    )
    assert linked(text, "1963-03-08")["Tho"] == "person:nguyen-ngoc-tho"
    assert linked("officials, including Tho, feared", "1963-03-08")["Tho"] is None


def test_a_wife_is_named_by_her_husbands_name():
    # frus1961-63v03 d19
    text = (
        "especially Brother Nhu and his wife. We should weigh the political consequences of the "
        "activities of Madame Nhu and the other members of the family; Ngo Dinh Nhu agreed."
    )
    found = linked(text, "1962-01-01")
    assert found["Madame Nhu"] == "person:tran-le-xuan"
    assert found["Ngo Dinh Nhu"] == "person:ngo-dinh-nhu" and found["Nhu"] == "person:ngo-dinh-nhu"


def test_a_footnote_number_glued_to_a_name_is_not_part_of_it():
    # frus1964-68v34 d14: the signature of a memorandum, with its footnote number
    found = linked("Donald F. Hornig4", "1964-09-01")
    assert found == {"Donald F. Hornig": "person:donald-f-hornig"}
    assert "SECTO" not in str(linked("SECTO12 and Paris1", "1964-09-01"))  # codes stay whole


def test_a_title_ending_a_sentence_makes_no_name_of_the_next_word():
    # frus1955-57v14: "The" is Trinh Minh The's name too
    text = (
        "the letter of May 4, sent by Prime Minister Sharett to the Secretary. The letter could be summarized"
    )
    assert "The" not in linked(text, "1955-05-10")
    assert linked("a talk with General The in Tay Ninh", "1955-03-01")["The"] == "person:trinh-minh-the"


def test_given_names_and_initials_before_a_surname_must_fit():
    # frus1964-68v34 d9: a list of members, "Donald M. MacArthur, Defense" (not Douglas)
    text = "Robert R. Bowie, State\nDonald M. MacArthur, Defense\nSamuel M. Nabrit, AEC"
    assert linked(text, "1964-03-01")["Donald M. MacArthur"] is None
    assert linked("talks with Ambassador MacArthur", "1964-03-01")["MacArthur"] == "person:macarthur-douglas"
    # d35: "C. Conrad" the astronaut, not the Secretary ad interim of 1852
    text = "to congratulate you, the Cosmonauts G. Cooper and C. Conrad and also the scientists"
    assert linked(text, "1965-08-30")["C. Conrad"] is None


def test_a_nationality_word_is_not_a_vietnamese_given_name():
    # frus1961-63v03 d231
    text = "At the same time persuade the Vietnamese or Thai Governments to provide modest support."
    assert linked(text, "1963-01-01").get("Thai") is None


def test_a_word_before_another_name_is_a_given_name():
    # frus1969-76ve05p2 d148 and d17: lists of participants
    text = (
        "PARTICIPANTS:\n\nTunisian Foreign Minister Mohammed Masmoudi\n\nAmbassador Abdelaziz Lasrarm, "
        "Director of International Cooperation in the Tunisian\n\nForeign Ministry\n\n"
        "Mr. Alec G. Toumayan, Interpreter, State Department\n\nRichard C. Pedersen, Counselor"
    )
    found = linked(text, "1973-10-01")
    assert "Mohammed" not in found and "Richard" not in found
    assert found["Masmoudi"] == "person:mohamed-masmoudi"
    assert found["Pedersen"] == "person:pedersen-richard-foote"


def test_a_post_is_read_only_after_a_title_of_a_person():
    # frus1955-57v14 d120: "Foreign" is a title word, "Service" an English word
    text = "Mr. Raymond A. Hare, Director-General of the Foreign Service\n\nMr. Francis H. Russell"
    assert linked(text, "1955-06-01").get("Service") is None


def test_a_military_rank_keeps_the_officers_of_the_name():
    # frus1955-57v14 d72: the UNTSO chief, not the economist (both identified in 1955 volumes)
    text = "277. Reference: mytel 270. Met with General Burns today."
    assert linked(text, "1955-04-11")["Burns"] == "person:eedson-l-m-burns"
    assert linked("Met with Burns today.", "1955-04-11")["Burns"] is None  # no rank: two fit


def test_a_title_makes_a_surname_a_name_where_the_word_is_also_used():
    # frus1958-60v18 d110: "Admiral Felt" beside "he felt that" in the same document
    text = (
        "CINCPAC exclusive for Admiral Felt. Viewing the duration of treaty itself but after "
        "reflection he felt that a more generalized statement would do."
    )
    assert linked(text, "1958-10-04")["Felt"] == "person:harry-d-felt"


def telegram(title: str, sender: str, text: str, when: str) -> Document:
    doc = Document(
        id="d1",
        collection=Collection(id="text"),
        source=Source(format="text", path="x"),
        title=title,
        text=text,
        senders=[Party(sender, role=sender)],
    )
    doc.date.when = when
    return doc


def signature(doc: Document) -> tuple[str, str | None]:
    last = max(doc.mentions, key=lambda m: m.start)
    return last.text, last.entity_id


def test_the_signature_under_a_department_telegram_is_the_acting_secretary():
    # frus1961-63v03 d84: "Ball" signing for the Department while Rusk is Secretary
    doc = telegram(
        "84. Telegram From the Department of State to the Embassy in Vietnam",
        "Department of State",
        "Request reply Tuesday COB Washington time.\n\nBall",
        "1963-04-08",
    )
    out = entity_step(doc, Context(resolver=Resolver(ENTITIES)))
    assert signature(out) == ("Ball", "person:ball-george-wildman")


def test_the_signature_under_an_embassy_telegram_is_its_ambassador():
    # frus1964-68v29p1 d29: "Brown", a common word, under a telegram from the Embassy in Korea
    doc = telegram(
        "29. Telegram From the Embassy in Korea to the Department of State",
        "Embassy in Korea",
        "But this battle is by no means yet won. I therefore renew recommendation para 2 Embtel 553.\n\nBrown",
        "1964-12-21",
    )
    out = entity_step(doc, Context(resolver=Resolver(ENTITIES)))
    assert signature(out) == ("Brown", "person:brown-winthrop-gilman")


def test_the_signature_under_a_consulate_telegram_is_the_one_posted_there():
    # frus1955-57v14 d72: "Cole" from the Consulate General at Jerusalem
    text = "Burns expects to see Dayan later today about possibility establishing joint patrols Gaza area.\n\nCole"
    doc = telegram(
        "72. Telegram From the Consulate General at Jerusalem to the Department of State",
        "Consulate General at Jerusalem",
        text,
        "1955-04-11",
    )
    out = entity_step(doc, Context(resolver=Resolver(ENTITIES)))
    assert signature(out) == ("Cole", "person:william-edward-cole")
    # from a person (not an office) the signature is not guessed
    doc.senders = [Party("Brown, Harold", role="Brown, Harold", entity_id="person:harold-brown")]
    out = entity_step(doc, Context(resolver=Resolver(ENTITIES)))
    assert all(m.entity_id != "person:william-edward-cole" for m in out.mentions)


def test_a_forename_signature_names_the_sender():
    # frus1964-68v29p1 d114: "Memorandum From the President's Special Assistant (Rostow) to
    # President Johnson", signed "Walt": Walt W. Rostow, not Eugene (Under Secretary then) nor
    # General Walt
    doc = telegram(
        "114. Memorandum From the President's Special Assistant (Rostow) to President Johnson",
        "Rostow",
        "Embassy prediction that Pak will be re-elected by a majority stands unchanged.\n\nWalt",
        "1967-04-21",
    )
    doc.senders = [Party("Rostow", role="President's Special Assistant")]
    out = entity_step(doc, Context(resolver=Resolver(ENTITIES)))
    assert out.senders[0].entity_id == "person:rostow-walt-whitman"
    assert signature(out) == ("Walt", "person:rostow-walt-whitman")
    # d202: an attachment after the signature
    doc.text = "This item is on the lunch agenda today.\n\nWalt\n\nAttachment\n\nDepartment of Defense Paper"
    out = entity_step(doc, Context(resolver=Resolver(ENTITIES)))
    walt = [m.entity_id for m in out.mentions if m.text == "Walt"]
    assert walt == ["person:rostow-walt-whitman"] and out.senders[0].entity_id == "person:rostow-walt-whitman"
