#!/usr/bin/env bash
# Refresh the README's screenshots (docs/screenshots/*.png) from the browser tests, on purpose:
# the tests themselves write only to temporary directories.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHANCERY_SCREENSHOTS="$PWD/docs/screenshots"
exec bash scripts/test.sh --no-checks tests/test_web_browser.py "$@"
