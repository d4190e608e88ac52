#!/usr/bin/env bash
# Set up Chancery and run it on the bundled examples: ingest into ./chancery.db, then serve the web UI.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e .
chancery ingest examples/seeds --db chancery.db || true   # exit 1 only names files that failed
chancery stats --db chancery.db
echo "Open http://127.0.0.1:8000/ (Ctrl-C to stop)"
exec chancery serve --db chancery.db --host 127.0.0.1 --port "${PORT:-8000}"
