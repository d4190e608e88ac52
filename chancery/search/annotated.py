"""The annotation clauses of a query (`tag:NAME`, `note:WORDS`, `starred:true`, each may be
negated with `-`): taken out of the query text, since annotations are per viewer and not in the
shared index. Each clause narrows the whole query (they combine with AND, wherever they stand);
the caller resolves them to document ids and the engine keeps (`within`) or drops (`without`)
those ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tantivy

from chancery.errors import QueryError
from chancery.search.schema import ANNOTATION_QUERIES, ID, STARRED

_CLAUSE = re.compile(
    r'"[^"]*"?|(?<![^\s(])(?P<neg>-?)(?P<field>' + "|".join(ANNOTATION_QUERIES) + r")"
    r':(?P<value>"[^"]*"?|[^\s()"]+)',
    re.IGNORECASE,
)
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


@dataclass(frozen=True)
class Clause:
    """One annotation clause: documents whose visible annotations match (or, negated, do not)."""

    field: str
    value: str
    negated: bool = False


def split_clauses(query: str) -> tuple[str, list[Clause]]:
    """The query without its annotation clauses, and those clauses in order."""
    clauses: list[Clause] = []
    kept: list[str] = []
    cursor = 0
    for match in _CLAUSE.finditer(query):
        if not match.group("field"):
            continue  # a phrase: its words are searched as typed
        field, value = match.group("field").lower(), match.group("value").strip('"').strip()
        negated = bool(match.group("neg"))
        if field == STARRED:
            if value.lower() not in _TRUE + _FALSE:
                raise QueryError("starred: takes true or false", match.start("value"), query)
            negated ^= value.lower() in _FALSE
            value = "true"
        if not value:
            raise QueryError(f"{field}: needs a value", match.start("value"), query)
        clauses.append(Clause(field, value, negated))
        kept.append(query[cursor : match.start()])
        cursor = match.end()
    kept.append(query[cursor:])
    return " ".join("".join(kept).split()), clauses


def restrict(
    compiled: tantivy.Query, schema: tantivy.Schema, within: list[str] | None, without: list[str]
) -> tantivy.Query:
    """`compiled` keeping only the documents in `within` (None: all) and none in `without`."""
    clauses = [(tantivy.Occur.Must, compiled)]
    if within is not None:
        ids = tantivy.Query.term_set_query(schema, ID, within) if within else tantivy.Query.empty_query()
        clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(ids, 0.0)))
    if without:
        clauses.append((tantivy.Occur.MustNot, tantivy.Query.term_set_query(schema, ID, without)))
    return compiled if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)
