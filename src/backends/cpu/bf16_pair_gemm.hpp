// A register-blocked bf16 GEMM on pair-packed operands, built on AVX512-BF16's vdpbf16ps
// (two bf16 products added to an fp32 lane per instruction). The bf16 global attention runs
// its two products through it with every operand in L1/L2, where oneDNN's calls would write
// and re-read score matrices of megabytes.
//
// Operands are uint32 "pairs": the bf16 values k = 2p (low half) and k = 2p + 1 (high half)
// of the reduction index. Sums run over p in order whatever the row count or the blocking,
// so a row's result does not depend on how the caller splits the rows.
#pragma once

#include <cstdint>

#include "backends/cpu/cpu_isa.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

inline constexpr int64_t kPairGemmColumns = 16;  // columns per vector

// c (rows x cols, fp32, rows ldc apart) = a (rows x pairs, rows lda pairs apart) . b (pairs
// x cols, rows ldb apart): c[r][j] = sum over p of a[r][p].lo * b[p][j].lo + a[r][p].hi *
// b[p][j].hi. cols is a multiple of 8 (the last 8 columns take a half vector). a may be written as uint16 halves (it
// is read through memcpy). Single-threaded; the CPU must have AVX512-BF16
// (CpuBackendImpl::bf16_supported).
void bf16_pair_gemm(const void* a, int64_t lda, int64_t rows, int64_t pairs, const uint32_t* b, int64_t ldb,
                    int64_t cols, float* c, int64_t ldc);

// Two bf16 bit patterns as one pair: `lo` is the even reduction index.
inline uint32_t bf16_pair(uint16_t lo, uint16_t hi) {
  return static_cast<uint32_t>(lo) | static_cast<uint32_t>(hi) << 16;
}

}  // namespace ck::cpu::inline CK_CPU_ISA
