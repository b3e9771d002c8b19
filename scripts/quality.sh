#!/usr/bin/env bash
# Measures keys on held-out synthetic shots (seeds apart from the demo model's training
# seeds): the automatic hint read as an alpha, the classical colour-difference key alone, and
# the demo model keying with automatic hints, on green plates and on their blue twins (keyed
# through the green network with green and blue swapped). Prints the Markdown table of
# docs/QUALITY.md. Environment: SHOTS (12), FRAMES (3), SIZE (384), IMG_SIZE (the network's
# S, 384), CHECKPOINT (models/corridorkey_demo.safetensors).
set -euo pipefail
cd "$(dirname "$0")/.."
SHOTS=${SHOTS:-12} FRAMES=${FRAMES:-3} SIZE=${SIZE:-384} IMG_SIZE=${IMG_SIZE:-384}
CHECKPOINT=${CHECKPOINT:-models/corridorkey_demo.safetensors}
CK=build/tools/corridorkey
DATA=build/quality
rm -rf "$DATA"
$CK synth "$DATA" --shots "$SHOTS" --frames "$FRAMES" --screen both --width "$SIZE" --height "$SIZE" --seed 900000 \
  --no-hint >/dev/null
for clip in "$DATA"/*/; do
  $CK hint --input "$clip/Input" --output-dir "$clip/AutoHint" --key >/dev/null
  mkdir -p "$clip/AutoKey"
  for key in "$clip"/AutoHint/*.key.png; do mv "$key" "$clip/AutoKey/$(basename "${key%.key.png}").png"; done
done
# Keyed as a user would: clips without AlphaHint/, so `process` makes the hints itself.
$CK process "$DATA" --checkpoint "$CHECKPOINT" --img-size "$IMG_SIZE" --no-progress >"$DATA/process.log" 2>&1 ||
  { cat "$DATA/process.log"; exit 1; }
row() {  # row LABEL SCREEN EVAL-OPTIONS...
  local label=$1 screen=$2
  shift 2
  $CK eval "$DATA"/"$screen"_* --json "$@" | python3 -c '
import json, sys
m = [json.loads(l) for l in sys.stdin if l.strip()][-1]["mean"]
fg = "%.5f" % m["fg_mse"] if "fg_mse" in m else "-"
print("| %s | %s | %.5f | %.3f | %.3f | %.3f | %s | %.4f |" % (sys.argv[1], sys.argv[2], m["mse"], m["sad"],
      m["gradient"], m["connectivity"], fg, m["dtssd"]))
' "$label" "$screen"
}
echo "| key | screen | alpha MSE | SAD (k) | Grad (k) | Conn (k) | FG MSE | dtSSD |"
echo "|---|---|---|---|---|---|---|---|"
for screen in green blue; do
  row "automatic hint, read as alpha" "$screen" --pred AutoHint --no-fg
  row "classical key (before clean-up, erosion, blur)" "$screen" --pred AutoKey --no-fg
  row "demo model, automatic hint, S=$IMG_SIZE" "$screen"
done
