"""The fallback text reader and bad input handling."""

from __future__ import annotations

from pathlib import Path

import pytest

from chancery.errors import SourceError
from chancery.sources import dfat, frus_text, text, wilson
from chancery.sources.files import SourceItem

FIXTURES = Path(__file__).parent / "fixtures" / "text"


def _item(name: str, data: bytes) -> SourceItem:
    return SourceItem(path=f"in/{name}", data=data, name=name)


def test_markdown_fixture() -> None:
    path = FIXTURES / "memo.md"
    item = SourceItem(path=str(path), data=path.read_bytes(), name=path.name)
    assert text.sniff(item) == 1
    [doc] = text.read(item)
    assert doc.id == "text/memo"
    assert doc.title == "Memorandum on the Trieste Question"
    assert doc.dateline == "London, 5 July 1945"
    assert "[1]" not in doc.text and "See the previous" not in doc.text
    first, second = doc.footnotes
    assert first.n == "1" and doc.text[: first.offset].endswith("remains unchanged.")
    assert second.text == "Proposed by the Foreign Office."
    assert doc.text[: second.offset].endswith("next week")


def test_sniff_fallback_and_unknown() -> None:
    assert text.sniff(_item("notes", b"Hello")) == 1
    assert text.sniff(_item("data.xml", b"<a/>")) == 0
    assert text.sniff(_item("bin.txt", b"ab\x00cd")) == 0
    for item in (_item("data.csv", b"a,b\n1,2\n"), _item("bin.txt", b"ab\x00cd"), _item("x.json", b"[1]")):
        assert all(reader.sniff(item) == 0 for reader in (text, frus_text, wilson, dfat)), item.name


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"\n \n", "empty file"),
        (b"\x00\x01\x02", "binary"),
        (b"ok\n\xff\xfe", "not valid UTF-8"),
    ],
)
def test_bad_input_names_file(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message) as info:
        text.read(_item("bad.txt", data))
    assert info.value.path == "in/bad.txt"


def test_non_utf8_names_line() -> None:
    with pytest.raises(SourceError) as info:
        text.read(_item("bad.txt", b"line one\nline two \xe9t\xe9\n"))
    assert info.value.line == 2


CABLE = (
    "1. FOLLOWING A MEETING WITH MININTERIOR CASTRO, RELATIVES OF POLITICAL PRISONERS AGREED TO GRANT "
    "THE MINISTER 24 HOURS.\n\n2. THE COMMISSION FOR PEACE AND JUSTICE APPEALED TO PRESIDENT BANZER "
    "FOR A NATIONWIDE AMNESTY.\n\n3. EMBASSY WILL REPORT FURTHER DEVELOPMENTS.\n\nSTEDMAN\n"
)


def test_teletype_body_keeps_its_first_paragraph() -> None:
    [doc] = text.read(_item("1973LAPAZ03608.txt", CABLE.encode()))
    assert doc.title is None and doc.text == CABLE.strip()  # paragraph 1 is text, where names are found
    header = "\nSUBJECT: POLITICAL PRISONERS\nREF: LA PAZ 3512\n\n"
    [doc] = text.read(_item("1973LAPAZ03608.txt", (header + CABLE).encode()))
    assert doc.title == "POLITICAL PRISONERS" and doc.text.startswith("SUBJECT: POLITICAL PRISONERS\nREF:")
    [doc] = text.read(_item("memo.txt", b"Prisoners in La Paz\n\n" + CABLE.title().encode()))
    assert doc.title == "Prisoners in La Paz"  # mixed case: the first line is the title as before
