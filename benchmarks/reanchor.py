"""How well notes on passages survive re-ingest of an edited file, through the product.

One FRUS volume is ingested (`chancery ingest`) and exported (`chancery export`); the texts of its
first documents of 1,500+ characters become .txt files, ingested into a second archive. A note is
put on one passage of each (`Archive.annotations.add`, what `chancery note add --quote` calls);
each file then gets one edit, the kinds taking turns:

- insert: a paragraph inserted before the passage (the note must move with it);
- inner: one word inside the passage replaced (the note must follow the edited passage);
- rewrap: a space inside the passage becomes a line break;
- duplicate: the passage's words copied into a new paragraph earlier in the text (the note must
  stay on the original, told apart by its context);
- delete: the passage removed (the note must be flagged orphaned, not moved elsewhere).

The files are ingested again (`chancery ingest`) and `chancery notes --json` is scored per kind.
Nothing here is tuned (CONTEXT and SIMILAR in chancery/workspace/anchoring.py were set a priori):
run once on a tune and once on a held-out volume (benchmarks/splits.py).

    python benchmarks/reanchor.py frus1952-54Guat        # tune side
    python benchmarks/reanchor.py frus1917-72PubDip      # held-out side
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = Path(os.environ.get("CHANCERY_CORPUS", ROOT.parent / "shared" / "corpus"))
KINDS = ("insert", "inner", "rewrap", "duplicate", "delete")


def chancery(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CHANCERY_SHIPPED_AUTHORITY": "0"}
    done = subprocess.run([sys.executable, "-m", "chancery", *args], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout


def passage_of(text: str, rng: random.Random) -> tuple[int, int] | None:
    """A unique passage of about 6-10 whole words, away from the text's ends."""
    words = [m.span() for m in re.finditer(r"\S+", text)]
    if len(words) < 60:
        return None
    for _ in range(20):
        first = rng.randrange(15, len(words) - 25)
        start, end = words[first][0], words[first + rng.randrange(5, 10)][1]
        if text.count(text[start:end]) == 1 and "\n" not in text[start:end]:
            return start, end
    return None


def edit(text: str, start: int, end: int, kind: str) -> tuple[str, str | None]:
    """The edited text and the passage the note should now be on (None: orphaned)."""
    quote = text[start:end]
    if kind == "insert":
        return text[:start] + "A paragraph added in the new edition of this file. " + text[start:], quote
    if kind == "inner":
        words = quote.split(" ")
        words[len(words) // 2] = "EDITED"
        edited = " ".join(words)
        return text[:start] + edited + text[end:], edited
    if kind == "rewrap":
        at = quote.index(" ", len(quote) // 2)
        return text[: start + at] + "\n" + text[start + at + 1 :], quote
    if kind == "duplicate":
        cut = text.rfind("\n", 0, max(0, start - 200)) + 1
        return text[:cut] + f"Quoted elsewhere: {quote}.\n" + text[cut:], quote
    return text[:start] + text[end:], None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("volume", help="a FRUS volume name (benchmarks/splits.py)")
    parser.add_argument("--documents", type=int, default=60)
    args = parser.parse_args()
    from chancery.archive import Archive
    from chancery.workspace.viewer import Viewer

    with tempfile.TemporaryDirectory(prefix="reanchor-") as tmp:
        work = Path(tmp)
        source = CORPUS / "frus" / "volumes" / f"{args.volume}.xml.gz"
        chancery("ingest", str(source), "--db", str(work / "volume.db"))
        texts = []
        for line in chancery("export", "--db", str(work / "volume.db")).splitlines():
            doc = json.loads(line)
            if len(doc.get("text") or "") >= 1500:
                texts.append(doc["text"])
            if len(texts) == args.documents:
                break
        files = work / "files"
        files.mkdir()
        for i, text in enumerate(texts):
            (files / f"doc{i:03}.txt").write_text(text)
        db = str(work / "notes.db")
        chancery("ingest", str(files), "--db", db)

        expected: dict[str, tuple[str, str | None]] = {}  # note id -> (kind, passage now)
        edits: dict[Path, str] = {}
        with Archive.open(db) as archive:
            for i, doc in enumerate(sorted(archive.documents(), key=lambda d: d.source.path)):
                rng = random.Random(i)
                found = passage_of(doc.text, rng)
                if found is None:
                    continue
                kind = KINDS[i % len(KINDS)]
                note = archive.annotations.add(
                    Viewer.local(), doc.id, "note", kind, start=found[0], end=found[1]
                )
                path = Path(doc.source.path)
                edited, now = edit(path.read_text(), *_in_file(path.read_text(), doc.text, found), kind)
                edits[path] = edited
                expected[note.id] = (kind, now)
        for path, edited in edits.items():
            path.write_text(edited)
        chancery("ingest", str(files), "--db", db)

        right, total = Counter[str](), Counter[str]()
        with Archive.open(db) as archive:
            texts_now = {d.id: d.text for d in archive.documents()}
        for note in json.loads(chancery("notes", "--json", "--db", db)):
            kind, now = expected[note["id"]]
            total[kind] += 1
            text = texts_now[note["doc_id"]]
            if now is None:
                right[kind] += note["orphaned"]
                if os.environ.get("REANCHOR_DEBUG") and not note["orphaned"]:  # what it was moved to
                    print("moved:", note["doc_id"], repr(text[note["start"] - 60 : note["end"] + 60]))
            elif not note["orphaned"]:
                got = " ".join(text[note["start"] : note["end"]].split())
                here = kind != "duplicate" or note["start"] > text.index("Quoted elsewhere: ")
                right[kind] += got == " ".join(now.split()) and here
    print(f"{args.volume}: notes kept on the right passage (or flagged when deleted), by edit")
    for kind in KINDS:
        print(f"  {kind:10} {right[kind]:3}/{total[kind]:<3}")
    print(f"  {'all':10} {sum(right.values()):3}/{sum(total.values())}")


def _in_file(file_text: str, doc_text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The passage's offsets in the file (the stored text may differ from the file's at its head)."""
    quote = doc_text[span[0] : span[1]]
    at = file_text.find(quote, max(0, span[0] - 500))
    if at < 0 or file_text.count(quote) != 1:
        at = file_text.index(quote)
    return at, at + len(quote)


if __name__ == "__main__":
    main()
