"""Search: the query language, the tantivy index, ranking, facets, related documents and semantic search."""
