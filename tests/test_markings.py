"""Markings and message numbers: seeds, DFAT and FRUS layouts, references that are not ours."""

from __future__ import annotations

from conftest import SEEDS

from chancery.enrich import Context
from chancery.enrich.markings import find_markings, find_message_numbers, markings_step
from chancery.model import Collection, Document, Markings, Source

SEED_000 = (SEEDS / "000_e45dc6676497ee2e.txt").read_text()
SEED_001 = (SEEDS / "001_5cfb9ea65f8fb897.txt").read_text()


def test_seed_001_navy_paraphrase_top_secret_personal():
    m = find_markings(SEED_001)
    assert m.classification == "TOP SECRET"
    assert "PERSONAL" in m.handling
    assert m.paraphrase is True
    assert m.channel == "navy"
    # "Reference White House Message No. 307 June 29." is another message
    assert "307" not in find_message_numbers(SEED_001)


def test_seed_001_transcript_only():
    body = SEED_001[SEED_001.index("PARAPHRASE OF NAVY CABLE") :]
    m = find_markings(body)
    assert (m.classification, m.paraphrase, m.channel) == ("TOP SECRET", True, "navy")
    assert m.handling == ["PERSONAL"]  # "FOR THE PRESIDENT AND ..." is an address, not a caveat
    assert find_message_numbers(body) == []


def test_seed_000_paraphrase():
    m = find_markings(SEED_000)
    assert m.paraphrase is True
    assert m.classification is None and m.handling == []  # "personally", "personal conversations"
    assert find_message_numbers(SEED_000) == []  # "160900." is a date-time group


def test_dfat_layouts():
    text = "Cablegram 123 LONDON, 5 July 1945, 7 p.m.\n\nMOST IMMEDIATE TOP SECRET PERSONAL FOR THE MINISTER\n\nYour D.1190."
    m = find_markings(text)
    assert m.classification == "TOP SECRET"
    assert m.handling == ["MOST IMMEDIATE", "PERSONAL"]
    assert find_message_numbers(text) == ["123"]
    text = "Cablegram 39 WELLINGTON, 1 March 1944, 10.50 p.m.\n\nIMMEDIATE PERSONAL TO EVATT FROM FRASER SECRET\n\nThanks."
    m = find_markings(text)
    assert (m.classification, m.handling) == ("SECRET", ["IMMEDIATE", "PERSONAL"])
    text = "Cablegram 18 LONDON, 16 May 1944\n\nIMMEDIATE MOST SECRET AND PERSONAL\n\nAddressed to Mr. Forde."
    assert find_markings(text).classification == "MOST SECRET"
    assert find_message_numbers("Cablegram D783 LONDON, 26 May 1944\n\nSECRET") == ["D783"]
    assert find_message_numbers("Cablegram 161A LONDON, 27 November 1944") == ["161A"]
    assert find_message_numbers("Cablegram 110 [1] WASHINGTON, 1 July 1944") == ["110"]


def test_mixed_case_marking_lines():
    m = find_markings("Secret.\nF.N.33.\nNew Delhi, 1st April, 1949.\nMy dear premier,")
    assert m.classification == "SECRET"
    m = find_markings("Top Secret\nEyes Only\n\nThe personal view of the Secretary is private.")
    assert (m.classification, m.handling) == ("TOP SECRET", ["EYES ONLY"])
    m = find_markings("Secret; Priority; Nodis\n\nText.")
    assert (m.classification, m.handling) == ("SECRET", ["PRIORITY", "NODIS"])
    m = find_markings("Limited Official Use\n\nWe sent this via army channel.")
    assert (m.classification, m.channel) == ("LIMITED OFFICIAL USE", "army")
    assert find_markings("[Paraphrase]\n\nText").paraphrase is True
    assert find_markings("FOR THE PRESIDENT ONLY\n\nNIACT\nText").handling == [
        "FOR THE PRESIDENT ONLY",
        "NIACT",
    ]
    assert find_markings("Our backchannel to Moscow").channel == "backchannel"


def test_titles_and_prose_are_not_markings():
    m = find_markings(
        "SECRET TREATY NEGOTIATIONS IN PARIS\n\nThe secret talks were personal and confidential."
    )
    assert m == Markings()
    assert find_markings("") == Markings()
    assert find_markings("\x00\ufffd ???") == Markings()


def test_message_numbers():
    assert find_message_numbers(
        "250. Pignon–Bao Dai talks continue.\n\nSent Department, repeated Saigon 9."
    ) == ["250"]
    assert find_message_numbers("1. The Australian Government regards it as essential.") == []
    assert find_message_numbers("Telegram No. 45\n\nSECRET\n\nText") == ["45"]
    assert find_message_numbers("SECRET\nNo. 307\n\nText") == ["307"]
    assert find_message_numbers("Your telegram No. 45 of June 3.\n\nText") == []
    assert find_message_numbers("Reference White House Message No. 307 June 29.") == []
    assert find_message_numbers("Secret\nIndefinite Duration\nNo. 2 of 40 copies\nText") == []
    assert find_message_numbers("My telegram No. 96 17th April (British-Japanese Civilian Exchange).") == []


def _doc(text: str, **kw) -> Document:
    return Document(id="d", collection=Collection(id="c"), source=Source("text", "x"), text=text, **kw)


def test_step_fills_only_empty_fields():
    d = markings_step(_doc(SEED_001), Context())
    assert d.markings == Markings("TOP SECRET", ["PERSONAL"], True, "navy")
    given = Markings(classification="restricted", handling=["EYES ONLY"], paraphrase=False, channel=None)
    d = markings_step(_doc(SEED_001, markings=given, message_numbers=["999"]), Context())
    assert d.markings.classification == "restricted"
    assert d.markings.handling == ["EYES ONLY"]
    assert d.markings.paraphrase is True and d.markings.channel == "navy"
    assert d.message_numbers == ["999"]
    d = markings_step(
        _doc("Cablegram 2 CANBERRA, 2 January 1944\n\nSECRET\n\nYour D.1190 and your No. 398."), Context()
    )
    assert d.message_numbers == ["2"] and d.markings.classification == "SECRET"
    empty = _doc("")
    assert markings_step(empty, Context()) is empty
