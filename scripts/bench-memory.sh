#!/usr/bin/env bash
# Peak resident memory and network time of one frame at S = 512, 1024 and 2048, fp32 and
# bf16 (where the CPU has AVX512-BF16): whole-frame inference, the refiner in bands under a
# memory budget (exact), and tiled inference (an approximation), beside PyTorch eager's
# peak on the same weights. Writes a markdown table to out/memory/table.md and each run's
# log beside it; docs/BENCHMARKS.md ("Memory") quotes it.
#
#   bash scripts/bench-memory.sh [sizes...]        (default: 512 1024 2048)
#
# Needs the build (scripts/test.sh), the official-layout checkpoint of generated weights
# (scripts/parity.sh makes it) and, for PyTorch, .venv-torch (bench/peers/requirements-torch.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-512 1024 2048}")
read -r -a SIZES <<< "${SIZES[*]}"
CLI=build/tools/corridorkey
CKPT=out/parity/fullsize_generated.pth
OUT=out/memory
mkdir -p "$OUT"
[ -f "$CKPT" ] || { echo "no $CKPT: run scripts/parity.sh first" >&2; exit 1; }

# Budgets (MiB, what the engine may hold) that put each size's refiner in bands.
declare -A BUDGET=([512]=340 [1024]=600 [2048]=1200)
# Tiles: half the frame's side, overlap 64.
precisions=(fp32)
if grep -q avx512_bf16 /proc/cpuinfo; then precisions+=(bf16); fi

row() {  # size precision mode flags...
  local s=$1 p=$2 mode=$3; shift 3
  local log="$OUT/s${s}_${p}_${mode}.log" dir="$OUT/s${s}_${p}_${mode}"
  if ! /usr/bin/time -f "peak_kb %M" "$CLI" infer --image samples/plate.png --hint samples/hint.png \
      --checkpoint "$CKPT" --img-size "$s" --threads 2 --precision "$p" --output-dir "$dir" "$@" > "$log" 2>&1; then
    echo "| $s | $p | $mode | failed: $(grep -m1 'corridorkey' "$log") | | |" | tee -a "$OUT/table.md"
    return
  fi
  local kb net plan
  kb=$(sed -n 's/^peak_kb //p' "$log")
  net=$(sed -n 's/.*network \([0-9.]*\) s.*/\1/p' "$log")
  plan=$(sed -n 's/^corridorkey: memory plan at S=[0-9]*: \([^;]*\);.*/\1/p' "$log")
  echo "| $s | $p | $mode | ${plan:-whole maps} | $((kb / 1024)) | $net |" | tee -a "$OUT/table.md"
}

echo "| S | precision | inference | plan | peak resident (MB) | network (s) |" > "$OUT/table.md"
echo "|---|---|---|---|---|---|" >> "$OUT/table.md"
for s in "${SIZES[@]}"; do
  for p in "${precisions[@]}"; do
    row "$s" "$p" whole
    row "$s" "$p" bands --max-memory "${BUDGET[$s]}"
    row "$s" "$p" tiled --tile $((s / 2)) --tile-overlap 64
  done
done

# How far tiled inference is from the whole frame on the sample (infer's alpha.png).
for s in "${SIZES[@]}"; do
  .venv-ref/bin/python - "$OUT/s${s}_fp32_whole/alpha.png" "$OUT/s${s}_fp32_tiled/alpha.png" "$OUT/s${s}_fp32_bands/alpha.png" "$s" <<'PY' | tee -a "$OUT/table.md"
import sys
import numpy as np
from PIL import Image
def read(path):
    im = Image.open(path)
    return np.asarray(im, dtype=np.float64) / (65535.0 if im.mode.startswith("I") else 255.0)
whole, tiled, bands = (read(p) for p in sys.argv[1:4])
d = np.abs(tiled - whole)
print(f"\nS = {sys.argv[4]}: tiled against whole, alpha: max {d.max():.4f}, mean {d.mean():.5f}, "
      f"pixels off by more than 0.01: {(d > 0.01).mean() * 100:.2f} %; bands against whole: max {np.abs(bands - whole).max():.2e}")
PY
done

if [ -x .venv-torch/bin/python ]; then
  for s in "${SIZES[@]}"; do
    (cd tools/reference && ../../.venv-torch/bin/python bench_torch.py --img-size "$s" --runs 1 --warmup 0 --threads 2 \
      --checkpoint "../../$CKPT" 2>/dev/null) | tee -a "$OUT/table.md"
  done
fi
