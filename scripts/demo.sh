#!/usr/bin/env bash
# The main job on bundled data: builds the `corridorkey` tool and converts the bundled
# official-layout checkpoint (a small network with generated, untrained weights) to the
# engine's safetensors under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target corridorkey_cli
mkdir -p out
build/tools/corridorkey convert tests/fixtures/checkpoints/tiny_official.pth out/tiny.safetensors
