// The instruction-set levels the CPU backend's own kernels are built for, and the one this
// CPU runs. A portable build carries every level (each kernel file compiled once per level,
// into its own namespace: cpu_isa.hpp) and picks the highest the CPU has, unless
// CORRIDORKEY_CPU_LEVEL caps it (tests use the cap to run every level a machine has).
// oneDNN chooses its own kernels; a cap is passed on to it as its maximum ISA.
//
// This file and cpu_level.cpp are compiled for baseline x86-64, so that a CPU below the
// lowest level gets an error naming what it lacks rather than an illegal instruction.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "corridorkey/status.hpp"

namespace ck::cpu {

enum class CpuLevel : int {
  kAvx2 = 0,        // x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE (Haswell, Zen 1 and later)
  kAvx512 = 1,      // x86-64-v4: AVX-512 F, BW, DQ, VL, CD (Skylake-SP, Ice Lake, Zen 4)
  kAvx512Bf16 = 2,  // plus AVX512-BF16: the bf16 precision mode (Cooper Lake, Sapphire Rapids, Zen 4)
  kAmx = 3,         // plus AMX tiles with bf16 (Sapphire Rapids and later Xeons)
};

// "avx2", "avx512", "avx512_bf16", "amx": the names CORRIDORKEY_CPU_LEVEL takes.
const char* cpu_level_name(CpuLevel level);
Result<CpuLevel> parse_cpu_level(std::string_view name);

// The highest level this CPU (and its operating system) supports, or an error naming the
// instruction sets that the lowest level needs and this CPU lacks.
Result<CpuLevel> detected_cpu_level();

// CORRIDORKEY_CPU_LEVEL when set (an error when it names no level), else nothing.
Result<std::optional<CpuLevel>> cpu_level_cap();

// The level the CPU backend runs at: the detected one, capped by CORRIDORKEY_CPU_LEVEL. The
// first call passes a cap on to oneDNN and asks Linux for AMX state where AMX is used.
Result<CpuLevel> active_cpu_level();

// Thread count the OpenMP loops of the CPU backend use.
int cpu_threads();

}  // namespace ck::cpu
