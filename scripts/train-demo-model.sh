#!/usr/bin/env bash
# Trains the bundled demo model, models/corridorkey_demo.safetensors, from nothing: synthetic
# green-screen plates with ground truth (`corridorkey synth`), automatic hints for them
# (`corridorkey hint`) beside the user-like hints synth draws, GreenFormer at a small
# configuration trained with PyTorch (tools/reference/train_demo.py), then `corridorkey
# convert`. Deterministic for a seed up to thread scheduling. models/README.md gives the
# figures of the committed model. Environment: STEPS (900), SEED (0), SHOTS (600).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-900} SEED=${SEED:-0} SHOTS=${SHOTS:-600}
DATA=build/demo-training
if [ ! -x .venv-torch/bin/python ] || ! .venv-torch/bin/python -c "import torch, timm, cv2" 2>/dev/null; then
  /usr/bin/python3 -m venv .venv-torch
  .venv-torch/bin/pip install -q -r tools/reference/requirements-train.txt
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target corridorkey_cli
rm -rf "$DATA"
build/tools/corridorkey synth "$DATA" --shots "$SHOTS" --frames 2 --screen green --width 192 --height 192 \
  --seed 100000 >/dev/null
for clip in "$DATA"/*/; do
  build/tools/corridorkey hint --input "$clip/Input" --output-dir "$clip/AutoHint" >/dev/null
done
start=$(date +%s)
(cd tools/reference && ../../.venv-torch/bin/python train_demo.py "../../$DATA" ../../build/corridorkey_demo.pth \
  --steps "$STEPS" --seed "$SEED")
echo "trained in $(( $(date +%s) - start )) s"
build/tools/corridorkey convert build/corridorkey_demo.pth models/corridorkey_demo.safetensors
ls -l models/corridorkey_demo.safetensors
