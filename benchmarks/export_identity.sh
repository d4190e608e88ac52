#!/usr/bin/env bash
# Export the whole shared corpus (FRUS, DFAT, Wilson, seeds; authority files loaded) with two source
# trees and compare the JSON Lines byte for byte. Usage: export_identity.sh OLD_TREE NEW_TREE [OUT_DIR]
# (a tree is a checkout, e.g. `git worktree add --detach /tmp/old REV`). Each side takes ~8 min quiet.
set -euo pipefail
old=$(cd "$1" && pwd); new=$(cd "$2" && pwd); out=${3:-$(mktemp -d)}
corpus=${CHANCERY_CORPUS:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus}
seeds=$(cd "$(dirname "$0")/.." && pwd)/examples/seeds
run() {  # TREE NAME
    local db="$out/$2.db"
    rm -rf "$db" "$db".*
    export PYTHONPATH=$1 CHANCERY_SHIPPED_AUTHORITY=0
    python -m chancery ingest "$corpus"/frus/volumes "$corpus"/dfat/volume-*.tar.gz \
        "$corpus"/wilson/wilson_archive.sample.csv "$seeds" --db "$db" > "$out/$2.ingest.log" 2>&1 || true
    python -m chancery authority load "$corpus"/authority/*.tar.gz --db "$db" > "$out/$2.authority.log" 2>&1
    python -m chancery export --db "$db" > "$out/$2.jsonl"
}
run "$old" old
run "$new" new
wc -l "$out/old.jsonl" "$out/new.jsonl"
cmp "$out/old.jsonl" "$out/new.jsonl" && echo "identical: $(sha256sum < "$out/new.jsonl" | cut -c1-16)"
