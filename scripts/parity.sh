#!/usr/bin/env bash
# The full-size network against PyTorch on the bundled sample plate and hint, at each S given
# (default 512 1024): writes an official-layout .pth of the generated weights, keys the sample
# with `corridorkey infer --dump-tensors`, runs the reference harness on the very same network
# input, and prints the per-stage table that docs/PARITY.md holds.
#   bash scripts/parity.sh [S ...]          (needs scripts/setup-reference.sh once)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-512 1024}")
[ $# -gt 0 ] || sizes=(512 1024)
PY=.venv-ref/bin/python
[ -x "$PY" ] || { echo "run scripts/setup-reference.sh first" >&2; exit 1; }
cmake --build build --target corridorkey_cli >/dev/null
work=out/parity
mkdir -p "$work"
ckpt="$work/fullsize_generated.pth"
[ -f "$ckpt" ] || (cd tools/reference && "../../$PY" make_checkpoint.py "../../$ckpt")
for s in "${sizes[@]}"; do
  bar=1e-4; [ "$s" -le 512 ] || bar=5e-4
  build/tools/corridorkey infer --image samples/plate.png --hint samples/hint.png --checkpoint "$ckpt" \
    --img-size "$s" --output-dir "$work/s$s" --dump-tensors "$work/engine_s$s.safetensors"
  (cd tools/reference && "../../$PY" dump_reference.py --checkpoint "../../$ckpt" --img-size "$s" \
    --input "../../$work/engine_s$s.safetensors" --out "../../$work/reference_s$s.safetensors")
  echo "### S = $s (bars: alpha_final and fg_final max abs <= $bar)"
  (cd tools/reference && "../../$PY" compare_stages.py "../../$work/engine_s$s.safetensors" \
    "../../$work/reference_s$s.safetensors" --bar alpha_final=$bar --bar fg_final=$bar)
done
