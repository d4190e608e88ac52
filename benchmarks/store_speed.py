"""Time `replace_file` on SQLite and PostgreSQL with generated, realistic documents.

    python benchmarks/store_speed.py [--docs 10000] [--files 1] [--pg postgresql://postgres@127.0.0.1/test]

Each document carries ~2 KB of text plus footnotes, mentions and parties, shaped like
`Document.to_dict()`. Reported per backend: first ingest (all added), the same again (all
replaced, unchanged), again with every text changed, and reading every document back. PostgreSQL runs in a throwaway schema.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from chancery.store.postgres import PostgresStore
from chancery.store.sqlite import SQLiteStore

WORDS = (
    "ambassador telegram secretary soviet government minister embassy treaty negotiations moscow "
    "chungking manchuria railway port agreement president conference stalin soong harriman "
    "department instructions reply memorandum conversation understanding outer mongolia dairen"
).split()


def make_documents(n: int, collection_id: str, seed: int = 1) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    docs = []
    for i in range(n):
        text = " ".join(rnd.choice(WORDS) for _ in range(300))[:2000]
        day = f"1945-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        docs.append(
            {
                "id": f"{collection_id}-d{i}",
                "collection": {"id": collection_id, "title": "Benchmark volume"},
                "source": {
                    "format": "bench",
                    "path": f"bench/{collection_id}.xml",
                    "url": None,
                    "sha256": None,
                },
                "title": f"The Ambassador in the Soviet Union to the Secretary of State, no. {i}",
                "doc_type": rnd.choice(["telegram", "memorandum", "letter"]),
                "date": {
                    "when": day,
                    "not_before": day,
                    "not_after": day,
                    "precision": "day",
                    "basis": "dateline",
                },
                "place": "Moscow",
                "senders": [{"name": "Harriman", "role": "ambassador", "entity_id": None}],
                "recipients": [{"name": "Byrnes", "role": "secretary", "entity_id": None}],
                "markings": {"classification": "SECRET", "precedence": None, "handling": []},
                "archive_file": None,
                "message_numbers": [str(1000 + i)],
                "citation": None,
                "summary": None,
                "credits": None,
                "original_language": None,
                "text": text,
                "pages": [{"n": str(i), "offset": 0}],
                "footnotes": [{"n": "1", "text": "Not printed.", "offset": 120}],
                "references": [{"text": "my 1234", "kind": "message", "target_id": None, "target": None}],
                "mentions": [
                    {
                        "type": "person",
                        "text": "Stalin",
                        "start": 10,
                        "end": 16,
                        "entity_id": None,
                        "entity_name": None,
                    }
                ],
                "n": str(i),
                "order": i,
                "chapter": "Sino-Soviet negotiations",
                "dateline": f"Moscow, {day}",
                "warnings": [],
            }
        )
    return docs


def timed(label: str, fn: Any) -> Any:
    start = time.perf_counter()
    result = fn()
    print(f"  {label:<28} {time.perf_counter() - start:7.2f} s")
    return result


def run(store: Any, docs: list[dict[str, Any]], files: int) -> None:
    per_file = -(-len(docs) // files)
    chunks = [docs[i : i + per_file] for i in range(0, len(docs), per_file)]
    coll = [{"id": "bench", "title": "Benchmark volume", "archive": "bench"}]

    def ingest() -> None:
        for n, chunk in enumerate(chunks):
            store.replace_file(f"bench/{n}.xml", "sha", "bench", coll, chunk)

    timed(f"replace_file (add) x{len(chunks)}", ingest)
    timed(f"replace_file (same) x{len(chunks)}", ingest)
    for d in docs:
        d["text"] = d["text"][::-1]
    timed(f"replace_file (changed) x{len(chunks)}", ingest)
    timed("iter_documents", lambda: sum(1 for _ in store.iter_documents()))
    assert store.count_documents() == len(docs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=1, help="spread the documents over this many files")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    docs = make_documents(args.docs, "bench")
    print(f"{args.docs} documents, {len(docs[0]['text'])} chars of text each, {args.files} file(s)")

    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        store = SQLiteStore(Path(tmp) / "bench.db")
        run(store, docs, args.files)
        store.close()

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    print(f"PostgreSQL (schema {schema})")
    pg = PostgresStore(f"{args.pg}{'&' if '?' in args.pg else '?'}schema={schema}")
    try:
        run(pg, docs, args.files)
    finally:
        pg.conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        pg.close()


if __name__ == "__main__":
    main()
