#!/usr/bin/env bash
# The main job on bundled data: builds the `corridorkey` tool and keys the bundled sample
# plate (samples/plate.png, 960x540) with its alpha hint through the network at S = 512,
# writing out/demo/alpha.png and out/demo/foreground.png.
#
# The bundled weights (tests/fixtures/checkpoints/tiny_official.pth) are a small network with
# generated, untrained weights in the official checkpoint layout: the run exercises the whole
# engine, but the matte it produces means nothing. For real mattes pass the official weights:
#   CHECKPOINT=/path/to/CorridorKey_v1.0.pth bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target corridorkey_cli
build/tools/corridorkey infer --image samples/plate.png --hint samples/hint.png \
  --checkpoint "${CHECKPOINT:-tests/fixtures/checkpoints/tiny_official.pth}" \
  --img-size "${IMG_SIZE:-512}" --output-dir out/demo
