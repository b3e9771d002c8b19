"""Checks a binary built with the CPU backend's per-level kernels (src/backends/cpu/cpu_isa.hpp).

Each level's kernels live in a namespace of their own (ck::cpu::avx2, ck::cpu::avx512) and
run only on CPUs that have that level. A function shared between levels (an inline function
or template instantiated by several of them) is kept once by the linker, from whichever
object file it chose: if that were the AVX-512 build's copy, an AVX2-only CPU would die with
an illegal instruction in it. This check disassembles the binary and fails when any
instruction with an EVEX prefix (AVX-512's encoding) lies in a function outside the avx512
namespace.

  python3 check_isa_levels.py BINARY
  python3 check_isa_levels.py --self-test   (builds a small leak and checks that it is found)
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

LEGACY_PREFIXES = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x67}
# In 64-bit mode 0x62 (BOUND elsewhere) always starts an EVEX instruction, 0xC4/0xC5 a VEX one.
EVEX, VEX = {0x62}, {0xC4, 0xC5}


def encoding(byte_text: str) -> str:
    data = [int(b, 16) for b in byte_text.split()]
    i = 0
    while i < len(data) and data[i] in LEGACY_PREFIXES:
        i += 1
    if i < len(data) and data[i] in EVEX:
        return "evex"
    if i < len(data) and data[i] in VEX:
        return "vex"
    return ""


LEAK_EXAMPLE = r"""
#include <immintrin.h>
namespace ck::cpu::avx512 {
__attribute__((target("avx512f"))) float inside(const float* p) { return _mm512_reduce_add_ps(_mm512_loadu_ps(p)); }
}
__attribute__((target("avx512f"))) float outside(const float* p) { return _mm512_reduce_add_ps(_mm512_loadu_ps(p)); }
int main(int argc, char**) { float v[16] = {}; return argc > 5 ? int(ck::cpu::avx512::inside(v) + outside(v)) : 0; }
"""


def self_test() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        source, binary = Path(tmp) / "leak.cpp", Path(tmp) / "leak"
        source.write_text(LEAK_EXAMPLE)
        subprocess.run(["g++", "-O2", str(source), "-o", str(binary)], check=True)
        found = check(str(binary))
    print("the leak was found" if found == 1 else "FAILED: the leak in outside() was not reported")
    return 0 if found == 1 else 1


def main() -> int:
    return self_test() if sys.argv[1] == "--self-test" else check(sys.argv[1])


def check(binary: str) -> int:
    text = subprocess.run(["objdump", "-d", "-C", "--insn-width=16", binary], check=True,
                          capture_output=True, text=True).stdout
    function = None
    evex_outside: dict[str, int] = {}
    evex_inside = 0
    vex_outside: set[str] = set()
    for line in text.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            function = m.group(1)
            continue
        parts = line.split("\t")
        if function is None or len(parts) < 3:
            continue
        kind = encoding(parts[1])
        if kind == "evex":
            # The level's entry point (cpu_backend_impl.hpp) is its code too.
            if "::avx512::" in function or function.startswith("ck::cpu::make_cpu_backend_avx512("):
                evex_inside += 1
            else:
                evex_outside[function] = evex_outside.get(function, 0) + 1
        elif kind == "vex" and "::avx2::" not in function and "::avx512::" not in function \
                and not function.startswith("ck::cpu::make_cpu_backend_avx"):
            vex_outside.add(function)
    print(f"{binary}: {evex_inside} AVX-512 instructions, all in ck::cpu::avx512"
          if not evex_outside else f"{binary}: AVX-512 instructions outside ck::cpu::avx512:")
    for name, count in sorted(evex_outside.items()):
        print(f"  {count:5d}  {name[:200]}")
    # Shared code the linker took from the AVX2 build runs only after the CPU was found to
    # have AVX2 (the level check itself is baseline code): listed for information.
    print(f"{len(vex_outside)} functions outside the levels contain AVX2-level (VEX) instructions")
    if evex_inside == 0:
        print("no AVX-512 instructions at all: is this a build with the per-level kernels?")
        return 1
    return 1 if evex_outside else 0


if __name__ == "__main__":
    sys.exit(main())
