#!/usr/bin/env bash
# The whole frame pipeline against the reference on a 1920x1080 plate keyed at S = 512 with
# the full-size network (generated weights in the official .pth layout): `corridorkey process`
# writes float EXRs and the Comp PNG, the reference pipeline keys the same frame, and
# ck_pipeline_compare prints the table that docs/PARITY.md holds.
#   bash scripts/pipeline_parity.sh            (needs scripts/setup-reference.sh once)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv-ref/bin/python
[ -x "$PY" ] || { echo "run scripts/setup-reference.sh first" >&2; exit 1; }
cmake --build build --target corridorkey_cli ck_pipeline_compare >/dev/null
work=out/pipeline
mkdir -p "$work"
ckpt=out/parity/fullsize_generated.pth
[ -f "$ckpt" ] || { mkdir -p out/parity; (cd tools/reference && "../../$PY" make_checkpoint.py "../../$ckpt"); }
ref() { (cd tools/reference && "../../$PY" reference_frame.py "$@"); }
ref --make-sample 1920x1080 --plate "../../$work/frame1080.png" --hint "../../$work/frame1080_hint.png"
build/tools/corridorkey process --image "$work/frame1080.png" --hint "$work/frame1080_hint.png" \
  --checkpoint "$ckpt" --img-size 512 --exr-float --output-dir "$work/engine"
ref --checkpoint "../../$ckpt" --plate "../../$work/frame1080.png" --hint "../../$work/frame1080_hint.png" \
  --img-size 512 --out "../../$work/reference.safetensors"
build/tools/ck_pipeline_compare --reference "$work/reference.safetensors" --outputs "$work/engine" --name frame1080
