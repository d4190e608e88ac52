#!/usr/bin/env bash
# Set up Chancery and run it on the bundled examples: ingest into ./chancery.db, then serve the web UI.
# When the shared corpus sits beside the checkout (../shared/corpus), a few real volumes and the
# authority files go in too, so people and places resolve to entity pages.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e .
DB="${CHANCERY_DB:-chancery.db}"
chancery ingest examples/seeds --db "$DB"
CORPUS="${CHANCERY_CORPUS:-../shared/corpus}"
if [ -d "$CORPUS" ]; then
    chancery ingest "$CORPUS/frus/volumes/frus1949v07p1.xml.gz" "$CORPUS/dfat/volume-7-1944.tar.gz" \
        "$CORPUS/wilson/wilson_archive.sample.csv" --db "$DB"
    chancery authority load "$CORPUS"/authority/*.tar.gz --db "$DB"
fi
chancery stats --db "$DB"
echo "Open http://127.0.0.1:${PORT:-8000}/ (Ctrl-C to stop)"
exec chancery serve --db "$DB" --host 127.0.0.1 --port "${PORT:-8000}"
