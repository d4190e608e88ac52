"""The query language parser: each construct, and each error with the position it names."""

from __future__ import annotations

import pytest
import tantivy

from chancery.errors import QueryError
from chancery.search.query import And, DateRange, Flag, Not, Or, Phrase, Term, parse
from chancery.search.schema import (
    DATE_QUERIES,
    FACETS,
    FIELDS,
    QUERY_FIELDS,
    Kind,
    build_schema,
    canonical,
    facet_filter,
)


def test_words_are_anded() -> None:
    assert parse("soong stalin") == And((Term("soong", position=0), Term("stalin", position=6)))


def test_phrase_and_explicit_operators() -> None:
    node = parse('"long telegram" AND kennan OR NOT moscow')
    assert node == Or(
        (
            And((Phrase("long telegram", position=0), Term("kennan", position=20))),
            Not(Term("moscow", position=34), position=30),
        )
    )


def test_minus_excludes_but_hyphenated_words_stay_whole() -> None:
    assert parse("chiang -kai-shek") == And((Term("chiang"), Not(Term("kai-shek", position=8), position=7)))
    assert parse("kai-shek") == Term("kai-shek")


def test_grouping_and_precedence() -> None:
    node = parse("(harriman OR kennan) moscow")
    assert node == And(
        (Or((Term("harriman", position=1), Term("kennan", position=13))), Term("moscow", position=21))
    )


def test_prefix() -> None:
    assert parse("negotiat*") == Term("negotiat", prefix=True)


def test_fields() -> None:
    assert parse("from:harriman") == Term("harriman", "from", position=5)
    assert parse('person:"chiang kai-shek"') == Phrase("chiang kai-shek", "person", position=7)
    assert parse('classification:"top secret"') == Phrase("top secret", "classification", position=15)
    assert parse("collection:frus1949v07p1") == Term("frus1949v07p1", "collection", position=11)
    assert parse("paraphrase:true") == Flag("paraphrase", True, position=0)
    assert parse("TYPE:telegram") == Term("telegram", "type", position=5)
    assert parse("from:(harriman OR kennan)") == Or(
        (Term("harriman", "from", position=6), Term("kennan", "from", position=18))
    )


def test_entity_id_value_keeps_colons() -> None:
    assert parse("person:person:hsg:harriman-w-averell") == Term(
        "person:hsg:harriman-w-averell", "person", position=7
    )


def test_dates() -> None:
    assert parse("date:1945-06..1945-07-15") == DateRange("1945-06-01", "1945-07-15", 5)
    assert parse("date:1945") == DateRange("1945-01-01", "1945-12-31", 5)
    assert parse("date:1944-02") == DateRange("1944-02-01", "1944-02-29", 5)
    assert parse("date:..1945-03") == DateRange(None, "1945-03-31", 5)
    assert parse("before:1946") == DateRange(None, "1945-12-31", 7)
    assert parse("after:1944-12") == DateRange("1945-01-01", None, 6)


@pytest.mark.parametrize(
    ("query", "position", "words"),
    [
        ("", None, "empty query"),
        ("   ", None, "empty query"),
        ('soong "stalin', 6, "unbalanced quote"),
        ("(soong stalin", 0, "never closed"),
        ("soong stalin)", 12, "without '('"),
        ("soong AND", 9, "ends where a word"),
        ("OR soong", 0, "needs a word on each side"),
        ("soong OR OR stalin", 9, "needs a word on each side"),
        ("soong NOT", 9, "ends where a word"),
        ("colour:red", 0, "unknown field colour:"),
        ("from: harriman", 5, "missing value"),
        ("date:1945-13", 5, "no such day or month"),
        ("date:1945-02-30", 5, "no such day or month"),
        ("date:June", 5, "bad date"),
        ("date:1945..1944", 5, "ends before it begins"),
        ("date:1945..19x", 11, "bad date"),
        ("before:1945..1946", 7, "one date"),
        ("paraphrase:maybe", 11, "true or false"),
        ("-soong", 0, "only exclude"),
        ("NOT soong NOT stalin", 0, "only exclude"),
        ("()", 0, "empty parentheses"),
        ('""', 0, "empty phrase"),
        ("st*lin", 2, "only at the end"),
        ("s*", 0, "two letters"),
        ("from:(to:truman)", 6, "inside a from: group"),
    ],
)
def test_errors_name_the_position(query: str, position: int | None, words: str) -> None:
    with pytest.raises(QueryError) as info:
        parse(query)
    assert info.value.position == position
    assert words in str(info.value)
    if position is not None:
        assert f"position {position + 1}" in str(info.value)


def test_the_schema_declares_each_query_field_once() -> None:
    names = [name for f in FIELDS for name in f.query] + list(DATE_QUERIES)
    assert len(names) == len(set(names))  # no name or alias reaches two fields
    assert len(QUERY_FIELDS) + len(DATE_QUERIES) == len(names)
    for facet in FACETS:  # every facet's links narrow by a field the language knows
        assert canonical(facet_filter(facet)) == facet_filter(facet)
    assert (
        canonical("sender") == "from" and canonical("organisation") == "org" and canonical("colour") is None
    )
    assert isinstance(parse("org:un organization:un organisation:un"), And)
    schema = build_schema()
    for f in FIELDS:  # every declared, indexed field is in the tantivy schema (ValueError otherwise)
        if f.kind is not Kind.BYTES:
            tantivy.Query.term_query(schema, f.name, 1 if f.kind is Kind.INTEGER else "x")
