#!/usr/bin/env bash
# The portable build on CPUs this machine is not: under QEMU's user-mode emulation (Debian's
# qemu-user), an Intel Haswell (AVX2, no AVX-512) keys the sample with the tiny network, within
# 1e-5 of the same run on this machine's CPU, and an Intel Nehalem (no AVX) gets an error naming
# what it lacks instead of an illegal instruction.
#   levels_under_qemu.sh CLI FIXTURES_DIR SAMPLES_DIR
set -euo pipefail
cli=$1 fixtures=$2 samples=$3
if ! command -v qemu-x86_64 >/dev/null; then
  echo "SKIPPED: qemu-x86_64 not found (Debian's qemu-user; scripts/install-deps.sh installs it)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
key() {  # key RUNNER... : the tiny network at S = 64, every stage dumped
  local name=$1; shift
  "$@" "$cli" infer --image "$samples/plate.png" --hint "$samples/hint.png" \
    --checkpoint "$fixtures/checkpoints/tiny_official.pth" --img-size 64 --threads 2 \
    --output-dir "$work/$name" --dump-tensors "$work/$name.safetensors"
}
key here env
key haswell qemu-x86_64 -cpu Haswell 2> >(grep -v "TCG doesn't support" >&2)
python3 "$(dirname "$0")/compare_tensors.py" "$work/here.safetensors" "$work/haswell.safetensors" 1e-5

set +e
qemu-x86_64 -cpu Nehalem "$cli" infer --image "$samples/plate.png" --hint "$samples/hint.png" \
  --checkpoint "$fixtures/checkpoints/tiny_official.pth" --img-size 64 --output-dir "$work/old" 2>"$work/old.err"
rc=$?
set -e
cat "$work/old.err"
if [[ $rc -eq 0 || $rc -ge 128 ]] || ! grep -q "this CPU lacks avx2" "$work/old.err"; then
  echo "FAILED: on a CPU without AVX2 the exit was $rc, not an error naming what it lacks"; exit 1
fi
echo "Nehalem: exit $rc with the error above"
