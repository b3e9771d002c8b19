#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer (any finding aborts
# the test that caused it) and runs the unit and parity tests under them. CI runs this after
# scripts/test.sh. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${SANITIZE_BUILD_DIR:-build-sanitize}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCK_SANITIZE=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target ck_tests  # the tests and the tool they run, not the benchmarks
# Leaks are checked too; allocation failures must come back as errors, not reports.
# intercept_tls_get_addr=0: GCC 12's LeakSanitizer misreads the dynamic TLS blocks of modules
# loaded with dlopen (the image and video modules) under Debian 12's glibc and crashes in its
# own tracer at exit ("Tracer caught signal 11" after "DTLS ... at 0x2ef2-0x800003ff4");
# without tracking them it checks leaks as before.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:abort_on_error=1:intercept_tls_get_addr=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" -L 'unit|parity' -LE 'slow|gpu' "$@"
