"""A view of the search index without some collections: every query run through it excludes them.

`ScopedIndex(index, hidden).searcher()` answers `search`, `aggregate` and `num_docs` as the real
searcher would if the hidden collections' documents were not indexed, so hits, totals, facets,
histograms, related documents and timelines all leave them out without each knowing why.
"""

from __future__ import annotations

from typing import Any

import tantivy

from chancery.search.index import SearchIndex
from chancery.search.schema import COLLECTION


def without(schema: tantivy.Schema, query: tantivy.Query, hidden: frozenset[str]) -> tantivy.Query:
    """`query` minus the documents of the `hidden` collections."""
    if not hidden:
        return query
    excluded = tantivy.Query.term_set_query(schema, COLLECTION, sorted(hidden))
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.MustNot, excluded)])


class ScopedSearcher:
    """A tantivy searcher whose queries never match documents of the hidden collections."""

    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema, hidden: frozenset[str]) -> None:
        self.raw = searcher  # for tantivy calls that need the real thing (snippets: no matching)
        self.schema = schema
        self.hidden = hidden
        self._num_docs: int | None = None

    def search(self, query: tantivy.Query, *args: Any, **kwargs: Any) -> tantivy.SearchResult:
        return self.raw.search(without(self.schema, query, self.hidden), *args, **kwargs)

    def aggregate(self, query: tantivy.Query, *args: Any, **kwargs: Any) -> Any:
        return self.raw.aggregate(without(self.schema, query, self.hidden), *args, **kwargs)

    @property
    def num_docs(self) -> int:
        if self._num_docs is None:
            result = self.search(tantivy.Query.all_query(), limit=1, count=True)
            self._num_docs = int(result.count)  # type: ignore[attr-defined]
        return self._num_docs

    def __getattr__(self, name: str) -> Any:  # doc, doc_freq, ...: reading, not matching
        return getattr(self.raw, name)


class ScopedIndex:
    """`index` as seen without the `hidden` collections (see the module docstring)."""

    def __init__(self, index: SearchIndex, hidden: frozenset[str]) -> None:
        self.index = index
        self.hidden = hidden

    def searcher(self) -> ScopedSearcher:
        return ScopedSearcher(self.index.searcher(), self.index.schema, self.hidden)

    def cache_key(self, searcher: ScopedSearcher) -> Any:
        """Compiled queries do not depend on the scope (it is applied when they run)."""
        return self.index.cache_key(raw_searcher(searcher))

    def count(self) -> int:
        return self.searcher().num_docs

    def __getattr__(self, name: str) -> Any:  # schema, cache_key, path, ...
        return getattr(self.index, name)


def raw_searcher(searcher: Any) -> tantivy.Searcher:
    """The tantivy searcher behind a scoped one (tantivy's own functions take only the real type)."""
    return searcher.raw if isinstance(searcher, ScopedSearcher) else searcher
