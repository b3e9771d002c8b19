#!/usr/bin/env bash
# Builds the Python package as a wheel (pip wheel .), installs it into a fresh virtual
# environment with pytest, and runs python/tests against it. scripts/test.sh runs this after
# the C++ tests; CK_CLI points the tests at the tool of the same tree for the comparison.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=build-python/venv
WHEELS=build-python/wheels
rm -rf "$VENV" "$WHEELS"
/usr/bin/python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" wheel -q . -w "$WHEELS" --no-deps
"$VENV/bin/pip" install -q "$WHEELS"/corridorkey-*.whl pytest
ls -l "$WHEELS"/corridorkey-*.whl
cd build-python  # not the source tree: the tests import the installed package
CK_CLI=${CK_CLI:-$PWD/../build/tools/corridorkey} "$PWD/venv/bin/python" -m pytest -q ../python/tests
