"""Reference extraction, one case per kind, on the seed phrases and DFAT/FRUS forms."""

from __future__ import annotations

from chancery.enrich.references import document_numbers, extract, message_hints, reference_step
from chancery.model import Collection, Document, Footnote, Reference, Source


def _kinds(text: str, in_footnote: bool = False) -> list[tuple[str, str | None]]:
    return [(r.kind, r.target) for r in extract(text, in_footnote)]


def test_numbered_messages() -> None:
    assert ("message", "msg:307") in _kinds("Reference White House Message No. 307 June 29.")
    assert _kinds("See telegram 1234 from Moscow.") == [("message", "msg:1234")]
    assert _kinds("Deptel 45 and Embtel 123") == [("message", "msg:45"), ("message", "msg:123")]
    assert _kinds("as stated in my 250") == [("message", "msg:250")]
    assert _kinds("Your D.1190 and your No. 398.") == [("message", "msg:D1190"), ("message", "msg:398")]
    hints = message_hints("your 456 of June 3")
    assert hints and hints.number == "456" and hints.month_day == (6, 3) and hints.by == "recipient"
    hints = message_hints("telegram 307 to Moscow of June 29")
    assert hints and (hints.place, hints.direction, hints.month_day) == ("Moscow", "to", (6, 29))


def test_numbers_that_are_not_messages() -> None:
    assert _kinds("reduced by 90 000 in 12 months; my 25 per cent") == []
    assert _kinds("Proceedings and Documents of the United Nations Monetary Conference") == []


def test_relative_reference_keeps_the_phrase() -> None:
    refs = extract("Subsequent to the dispatch of my wire of last night63 I delivered")
    assert [(r.kind, r.text, r.target) for r in refs] == [
        ("relative", "my wire of last night", "rel:last night")
    ]


def test_document_cross_references() -> None:
    assert _kinds("See Document 12.") == [("document", "#d12")]
    assert _kinds("Documents 233-4") == [("document", "#d233"), ("document", "#d234")]
    other = "See Documents on Australian Foreign Policy 1937-49, vol. VI, Documents 233-4."
    assert _kinds(other, True) == [("document", "dfat-v06#d233"), ("document", "dfat-v06#d234")]
    assert document_numbers("303, 321 and 322") == [303, 321, 322]


def test_footnote_citations() -> None:
    assert _kinds("Supra.", True) == [("footnote", "supra")]
    assert _kinds("Infra.", True) == [("footnote", "infra")]
    assert _kinds("Supra.") == []  # only a footnote's opening word


def test_replies() -> None:
    assert ("reply", None) in _kinds('This reply stated: "I have received your message."')
    assert ("reply", "msg:45") in _kinds("In reply to your telegram 45 of May 3 we agree.")
    assert ("reply", "msg:307") in _kinds("Reference White House Message No. 307 June 29.")
    assert ("reply", "msg:123") in _kinds("Your 123 received.")


def test_step_reads_footnotes_keeps_tei_refs_and_is_idempotent() -> None:
    doc = Document(
        id="frus1945v07/d9",
        collection=Collection(id="frus1945v07"),
        source=Source(format="frus-tei", path="x"),
        text="See Document 12 and my wire of last night.",
        footnotes=[
            Footnote(n="1", text="Supra.", offset=3),
            Footnote(n="2", text="This reply stated: ok", offset=9),
        ],
        references=[Reference(text="Document 12", kind="tei-ref", target="frus1945v07#d12")],
    )
    once = reference_step(doc, None)
    twice = reference_step(once, None)
    assert sorted(r.kind for r in once.references) == ["footnote", "relative", "reply", "tei-ref"]
    assert twice is once  # nothing new the second time: the same document back
    assert [r.kind for r in doc.references] == ["tei-ref"]  # the input is left as it was


def test_document_number_inside_an_editors_ref_to_another_volume_is_not_this_volumes() -> None:
    cited = "Foreign Relations, 1952-1954, volume IV, pages 1369-1371 (Document 3)"
    doc = Document(
        id="frus1952-54Guat/d9",
        collection=Collection(id="frus1952-54Guat"),
        source=Source(format="frus-tei", path="x"),
        text="See Document 5.",
        footnotes=[Footnote(n="1", text=f"Printed in {cited}.", offset=3)],
        references=[Reference(text=cited, kind="tei-ref", target="frus1952-54v04#d3")],
    )
    found = reference_step(doc, None).references
    assert [(r.kind, r.target) for r in found] == [("tei-ref", "frus1952-54v04#d3"), ("document", "#d5")]
    doc.text = "See Document 3."  # the same phrase outside the editors' ref is this volume's d3
    assert ("document", "#d3") in [(r.kind, r.target) for r in reference_step(doc, None).references]


def test_windowed_extraction_equals_full_scan(corpus) -> None:
    """The trigger windows are only a speed-up: same references as scanning whole texts."""
    import glob

    from chancery.enrich import references

    texts = [
        open(f, encoding="utf-8").read()
        for f in sorted(glob.glob(str(corpus / "dfat" / "volume-7-1944" / "*.md")))
    ]
    fast = [[(r.kind, r.target, r.text) for r in references.extract(t)] for t in texts]
    original = references._windowed
    try:
        references._windowed = lambda pattern, trigger, text, lower, before=0, after=0: pattern.finditer(text)
        full = [[(r.kind, r.target, r.text) for r in references.extract(t)] for t in texts]
    finally:
        references._windowed = original
    assert sum(map(len, full)) > 500
    assert fast == full
