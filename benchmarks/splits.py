"""Tuning and held-out splits of every gold set, fixed before the rules they score.

A third of each gold set is held out: rules, word lists and weights are written against the
`tune` side only, and the `heldout` side is scored once, at the end, and reported beside it.
Membership is a hash of the item's name, so it never depends on what a rule does, and the
three FRUS volumes that search quality was already tuned on stay on the tune side.

    python benchmarks/splits.py            # print both sides of every set
    python benchmarks/splits.py --json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CHANCERY_CORPUS", ROOT.parent / "shared" / "corpus"))

# Already used to choose rules or weights before the split existed: never held out.
ALREADY_TUNED = {
    "frus1958-60v05",
    "frus1958-60v12",
    "frus1955-57v25",
    "volume-9-1946-january-june",
    "volume-7-1944",
}


def is_heldout(name: str) -> bool:
    """True for about a third of all names: the first byte of sha256(name) modulo 3 is 0."""
    if name in ALREADY_TUNED:
        return False
    return hashlib.sha256(name.encode()).digest()[0] % 3 == 0


def _names(folder: Path, suffix: str) -> list[str]:
    return sorted(p.name[: -len(suffix)] for p in folder.glob(f"*{suffix}"))


def frus_volumes() -> list[str]:
    return _names(CORPUS / "frus" / "volumes", ".xml.gz")


def dfat_volumes() -> list[str]:
    return _names(CORPUS / "dfat", ".tar.gz")


def cables() -> list[str]:
    """cfpf-ner files of every split (train, dev, unittest) as `split/NAME`."""
    root = CORPUS / "cfpf-ner"
    return sorted(f"{d.name}/{p.stem}" for d in root.iterdir() if d.is_dir() for p in d.glob("*.txt"))


def split(names: list[str], side: str) -> list[str]:
    """The `tune` or `heldout` side of `names`."""
    if side not in ("tune", "heldout"):
        raise ValueError(f"side must be tune or heldout, not {side!r}")
    want = side == "heldout"
    return [n for n in names if is_heldout(n.rsplit("/", 1)[-1]) == want]


SETS = {"frus": frus_volumes, "dfat": dfat_volumes, "cables": cables}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = {k: {s: split(f(), s) for s in ("tune", "heldout")} for k, f in SETS.items()}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for k, sides in out.items():
        for s, names in sides.items():
            print(f"{k}\t{s}\t{len(names)}\t{' '.join(names)}")


if __name__ == "__main__":
    main()
