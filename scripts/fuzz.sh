#!/usr/bin/env bash
# Fuzzes the readers of untrusted files (safetensors, zip, pickle, .pth) with libFuzzer under
# AddressSanitizer and UndefinedBehaviorSanitizer, SECONDS per target (default 30; CI runs 30).
# Seeds: the committed fixtures and the small files of the hostile corpus (its 300,000-deep
# nestings are checked by tests/unit/test_hostile_files.cpp; as seeds they would slow every
# execution down). Findings land in build-fuzz/findings/
# and fail the run. A longer campaign:  bash scripts/fuzz.sh 3600
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-30}
bash scripts/install-deps.sh
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCK_FUZZ=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"

fixtures=tests/fixtures
declare -A seeds=(
  [fuzz_safetensors]="$fixtures/tiny/weights.safetensors $fixtures/checkpoints/tiny_mlx.safetensors $fixtures/tiny/stages_s64.safetensors"
  [fuzz_zip]="$fixtures/checkpoints/tiny_plain.pth $fixtures/checkpoints/malicious.pth $fixtures/hostile/nested_lists.pth"
  [fuzz_pth]="$fixtures/checkpoints/tiny_official.pth $fixtures/checkpoints/tiny_plain.pth $fixtures/checkpoints/malicious.pth $(ls $fixtures/hostile/overflow_*.pth $fixtures/hostile/cycle_*.pth $fixtures/hostile/huge_*.pth $fixtures/hostile/storage_*.pth | tr '\n' ' ')"
)
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
mkdir -p "$BUILD_DIR/findings"
status=0
for target in fuzz_safetensors fuzz_zip fuzz_pickle fuzz_pth; do
  corpus="$BUILD_DIR/corpus/$target"
  mkdir -p "$corpus"
  if [ "$target" = fuzz_pickle ]; then
    # The pickles inside the checkpoints, unzipped.
    for f in $fixtures/checkpoints/*.pth $fixtures/hostile/cycle_*.pth $fixtures/hostile/overflow_*.pth; do
      python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); n = [x for x in z.namelist() if x.endswith("data.pkl")][0]; open(sys.argv[2], "wb").write(z.read(n))' \
        "$f" "$corpus/seed_$(basename "$f" .pth).pkl"
    done
  else
    for f in ${seeds[$target]}; do cp -f "$f" "$corpus/seed_$(basename "$f")"; done
  fi
  echo "== $target: ${SECONDS_PER_TARGET} s"
  if ! "$BUILD_DIR/fuzz/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=4096 \
      -max_len=1048576 -print_final_stats=1 -artifact_prefix="$BUILD_DIR/findings/$target-" "$corpus" \
      2>"$BUILD_DIR/$target.log"; then
    echo "!! $target found a failure; see $BUILD_DIR/$target.log and $BUILD_DIR/findings/"
    tail -40 "$BUILD_DIR/$target.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD_DIR/$target.log" | sed "s/^/   /"
done
exit $status
