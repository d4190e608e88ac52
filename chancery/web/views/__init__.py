"""One module per kind of page; each exposes `api` (JSON, under /api) and `pages` (HTML)."""
