#!/usr/bin/env bash
# Installs the system dependencies, builds the engine and its tests (Release), runs every
# test that does not need a GPU or the `slow` label, then builds and tests the Python package. Extra arguments go to ctest, e.g.
#   scripts/test.sh -L parity      scripts/test.sh -R OpCrossCheck
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" -LE 'slow|gpu' "$@"
# The Python package: built as a wheel, installed into a fresh virtual environment, tested.
CK_CLI="$PWD/$BUILD_DIR/tools/corridorkey" bash scripts/python-test.sh
