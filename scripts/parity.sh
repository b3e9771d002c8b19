#!/usr/bin/env bash
# The full-size network against PyTorch on the bundled sample plate and hint, at each S given
# (default 512 1024): writes an official-layout .pth of the generated weights, keys the sample
# with `corridorkey infer --dump-tensors`, runs the reference harness on the very same network
# input, and prints the per-stage table that docs/PARITY.md holds.
#   bash scripts/parity.sh [S ...] [--precision bf16] [--bands ROWS]    (needs scripts/setup-reference.sh once)
# --bands runs the refiner in bands of ROWS rows (--refiner-band-rows): its full-resolution
# intermediates are never whole, so the table has the encoder's, decoders' and final stages.
# bf16 is compared with the same fp32 PyTorch reference, against the bf16 bar (5e-3); its
# table is printed whether or not the bar holds.
set -euo pipefail
cd "$(dirname "$0")/.."
precision=fp32
bands=()
sizes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --precision) precision="$2"; shift 2 ;;
    --bands) bands=(--refiner-band-rows "$2"); shift 2 ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(512 1024)
PY=.venv-ref/bin/python
[ -x "$PY" ] || { echo "run scripts/setup-reference.sh first" >&2; exit 1; }
cmake --build build --target corridorkey_cli >/dev/null
work=out/parity
mkdir -p "$work"
ckpt="$work/fullsize_generated.pth"
[ -f "$ckpt" ] || (cd tools/reference && "../../$PY" make_checkpoint.py "../../$ckpt")
for s in "${sizes[@]}"; do
  bar=1e-4; [ "$s" -le 512 ] || bar=5e-4
  [ "$precision" = fp32 ] || bar=5e-3
  tag="s$s"; [ "$precision" = fp32 ] || tag="s${s}_$precision"
  [ ${#bands[@]} -eq 0 ] || tag="${tag}_bands${bands[1]}"
  build/tools/corridorkey infer --image samples/plate.png --hint samples/hint.png --checkpoint "$ckpt" \
    --img-size "$s" --precision "$precision" --output-dir "$work/$tag" --dump-tensors "$work/engine_$tag.safetensors" \
    "${bands[@]}"
  (cd tools/reference && "../../$PY" dump_reference.py --checkpoint "../../$ckpt" --img-size "$s" \
    --input "../../$work/engine_$tag.safetensors" --out "../../$work/reference_$tag.safetensors")
  echo "### S = $s, $precision (bars: alpha_final and fg_final max abs <= $bar)"
  status=0
  (cd tools/reference && "../../$PY" compare_stages.py "../../$work/engine_$tag.safetensors" \
    "../../$work/reference_$tag.safetensors" --bar alpha_final=$bar --bar fg_final=$bar) || status=$?
  [ "$status" -eq 0 ] || [ "$precision" != fp32 ] || exit "$status"
done
