"""Phrases through the word-pair fields: the pairs agree with en_stem, and a phrase query finds
exactly the documents where its words are adjacent (the same as tantivy's positional phrase)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import tantivy
from tantivy import Occur, Query

from chancery.search.engine import compile_query, search
from chancery.search.index import (
    COMMON_TERMS,
    MAX_TOKEN_BYTES,
    SCHEMA_VERSION,
    TEXT_ANALYZER,
    SearchIndex,
    index_fields,
    pair_terms,
    stems,
    word_pairs,
)

LONG = "x" * 45  # dropped by en_stem's remove_long(40): a gap in the positions
TRICKY = [
    "The Soviet Government's reply — “unacceptable”, said Mr. Molotov (1945).",
    "Négociations à Genève: Zürich, naïve café; İstanbul and ẞtraße, ΑΘΗΝΑ, Москва, 東京 talks.",
    "state-department, U.S.A., e-mail; 3rd/4th of July; don't won't it's",
    f"the {LONG} state department {'é' * 19} of {'é' * 20} the",  # 38 bytes kept, 40 dropped
    "negotiations negotiating negotiated GOVERNMENTS Governmental agreeing agreed",
    "मंत्रालय की बैठक and the ministry",  # combining vowel signs are alphanumeric in Rust
    "",
    "one",
]


def test_stems_agree_with_the_text_analyzer() -> None:
    for text in TRICKY:
        terms = stems(text)
        assert [t for t in terms if t is not None] == TEXT_ANALYZER.analyze(text), text


def test_long_tokens_leave_a_gap_and_no_pair_spans_it() -> None:
    assert len("é" * 20) * 2 == MAX_TOKEN_BYTES
    terms = stems(TRICKY[3])
    assert terms == ["the", None, "state", "depart", "é" * 19, "of", None, "the"]
    pairs = word_pairs(TRICKY[3]).split()
    assert pairs == ["state_depart"]  # the_state and of_the would span a dropped token
    assert "the_state" not in pairs


def test_pairs_are_adjacent_common_terms_once_each() -> None:
    text = "The Secretary of State, the Secretary of State; of the Zhukov of the"
    pairs = word_pairs(text).split()
    assert pairs == ["the_secretari", "secretari_of", "of_state", "state_the", "state_of", "of_the"]
    assert "zhukov" not in COMMON_TERMS  # pairs with a rarer word are not indexed
    assert word_pairs("State.  Department") == "state_depart"  # punctuation does not separate
    assert pair_terms(["of", "the", "zhukov", "of"]) == ["of_the"]


def reference_pairs(text: str) -> set[str]:
    """Adjacent common terms by position, straight from the analyzer's tokens (no chunk cache)."""
    terms = stems(text)
    return {
        f"{a}_{b}" for a, b in zip(terms, terms[1:], strict=False) if a in COMMON_TERMS and b in COMMON_TERMS
    }


def test_word_pairs_follow_the_token_positions() -> None:
    rng = random.Random(11)
    pieces = [
        "the",
        "State",
        "Department's",
        "of",
        "U.S.-Soviet",
        "government",
        "—",
        "(",
        "1945",
        LONG,
        "é" * 20,
    ]
    seps = [" ", "  ", "\t", "\n", "\xa0", "", "-", ". ", " — ", "\u2028"]
    texts = TRICKY + ["".join(rng.choice(pieces) + rng.choice(seps) for _ in range(20)) for _ in range(300)]
    for text in texts:
        pairs = word_pairs(text).split()
        assert len(pairs) == len(set(pairs)) and set(pairs) == reference_pairs(text), text


def test_index_fields_is_a_pure_function_of_the_document() -> None:
    doc = {"id": "x1", "title": "Soviet Government note", "text": "The Soviet Government agreed."}
    first = index_fields(doc)
    assert first == index_fields(dict(doc))
    assert first["title_pairs"] == "soviet_govern govern_note"
    assert first["text_pairs"] == "the_soviet soviet_govern govern_agre"


def make_doc(doc_id: str, text: str, title: str = "") -> dict[str, Any]:
    return {"id": doc_id, "title": title, "text": text, "collection": {"id": "c"}, "date": {}}


ADJACENCY = [
    make_doc("adjacent", "The Soviet Government agreed to the terms."),
    make_doc("apart", "The Government of the Soviet Union agreed."),
    make_doc("reversed", "Government Soviet"),
    make_doc("hyphen", "Soviet-Government relations"),
    make_doc("period", "the Soviet. Government in Moscow"),
    make_doc("inflected", "several Soviet Governments"),
    make_doc("gap", f"the Soviet {LONG} Government"),
    make_doc("title", "nothing here", title="Soviet Government note"),
    make_doc("other", "Zhukov talks in Moscow"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    index = SearchIndex(Path(tmp_path_factory.mktemp("phrases")) / "index")
    index.apply(ADJACENCY, [])
    return index


def found(index: SearchIndex, query: str, **options: Any) -> set[str]:
    return {hit.id for hit in search(index, query, limit=1000, **options).hits}


def positional(index: SearchIndex, text: str, fields: tuple[str, ...] = ("title", "text")) -> set[str]:
    """The documents tantivy's own phrase query finds in `fields` (the reference)."""
    tokens = TEXT_ANALYZER.analyze(text)
    query = Query.boolean_query(
        [(Occur.Should, Query.phrase_query(index.schema, field, tokens)) for field in fields]
    )
    searcher = index.searcher()
    return {searcher.doc(address)["id"][0] for _, address in searcher.search(query, limit=1000).hits}


def test_two_words_find_exactly_the_adjacent_documents(index: SearchIndex) -> None:
    expected = {"adjacent", "hyphen", "period", "inflected", "title"}
    assert found(index, '"soviet government"') == expected == positional(index, "soviet government")
    assert found(index, "soviet government") >= expected | {"apart", "reversed"}  # words only
    assert found(index, '"government soviet"') == {"reversed"}
    _, compiler, _ = compile_query(index, '"soviet government"')
    assert not compiler.has_phrase  # a term on the pair field, not a positional phrase


def test_title_field_negation_and_longer_phrases(index: SearchIndex) -> None:
    assert found(index, 'title:"soviet government"') == {"title"}
    assert found(index, 'soviet -"soviet government"') == {"apart", "reversed", "gap"}
    assert found(index, '"the soviet government agreed"') == {"adjacent"}
    expected = {"adjacent", "period"}  # "the Soviet. Government": punctuation does not separate
    assert found(index, '"the soviet government"') == expected == positional(index, "the soviet government")
    # a rarer word: no pair, the positional phrase query answers alone
    assert found(index, '"zhukov talks"') == {"other"}
    _, compiler, _ = compile_query(index, '"zhukov talks"')
    assert compiler.has_phrase


def test_phrases_are_highlighted(index: SearchIndex) -> None:
    result = search(index, '"soviet government"', limit=100)
    snippet = next(hit.snippet for hit in result.hits if hit.id == "adjacent")
    assert "<mark>Soviet</mark> <mark>Government</mark>" in snippet
    assert result.total == 5 and not result.total_approximate


def test_random_phrases_match_the_positional_phrase_query(tmp_path: Path) -> None:
    rng = random.Random(5)
    words = ["the", "of", "State", "states", "Department", "government", "Soviet", "Zhukov", LONG]
    seps = [" ", " ", " ", ", ", ". ", "-", " — "]
    docs = []
    for i in range(300):
        tokens = [rng.choice(words) for _ in range(rng.randint(2, 12))]
        text = "".join(t + rng.choice(seps) for t in tokens)
        docs.append(make_doc(f"r{i}", text, title=rng.choice(["", "State Department", "the Soviet"])))
    index = SearchIndex(tmp_path / "index")
    index.apply(docs, [])
    checked = 0
    for a in words[:-1]:
        for b in words[:-1]:
            phrase = f"{a} {b}"
            assert found(index, f'"{phrase}"') == positional(index, phrase), phrase
            checked += bool(positional(index, phrase))
    for _ in range(40):
        phrase = " ".join(rng.choice(words[:-1]) for _ in range(rng.randint(3, 4)))
        assert found(index, f'"{phrase}"') == positional(index, phrase), phrase
    assert checked > 40  # most pairs occur somewhere: the comparison is not vacuous


def test_common_phrases_are_estimated_like_words(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    docs = [
        make_doc(f"s{i}", "the state department" if i % 2 else "state of the department") for i in range(4000)
    ]
    index.apply(docs, [])
    exact = search(index, '"the state"')
    approx = search(index, '"the state"', exact_limit=100, sample_target=600)
    assert exact.total == 2000 and not exact.total_approximate
    assert approx.total_approximate and approx.facets_approximate
    assert 1600 <= approx.total <= 2400
    assert [h.id for h in approx.hits] == [h.id for h in exact.hits]


def test_an_index_of_the_previous_schema_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "index"
    SearchIndex(path).apply([make_doc("a", "the state")], [])
    (path / "chancery-schema-version").write_text(str(int(SCHEMA_VERSION) - 1))
    reopened = SearchIndex(path)
    assert reopened.created and reopened.count() == 0
    assert isinstance(reopened.schema, tantivy.Schema)
