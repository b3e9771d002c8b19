#!/usr/bin/env bash
# The main job on bundled data: builds the `corridorkey` tool and keys the bundled sample
# plate (samples/plate.png, 960x540) at S = 512 with an automatic hint (made from the plate)
# and, unless other weights are named or downloaded, the bundled demo model
# (models/corridorkey_demo.safetensors: a small network trained on synthetic green-screen
# plates, which keys simple plates like this one; not the official weights). Writes
# out/demo/Matte/plate.exr, FG/plate.exr, Processed/plate.exr and Comp/plate.png.
# With the official weights: CHECKPOINT=/path/to/CorridorKey_v1.0.pth bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target corridorkey_cli
build/tools/corridorkey process --image samples/plate.png ${CHECKPOINT:+--checkpoint "$CHECKPOINT"} \
  --img-size "${IMG_SIZE:-512}" --output-dir out/demo
