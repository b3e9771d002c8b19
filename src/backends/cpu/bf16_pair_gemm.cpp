#include "backends/cpu/bf16_pair_gemm.hpp"

// Only the levels with AVX-512 build the bf16 kernels (cpu_isa.hpp).
#ifdef __AVX512F__

#include <immintrin.h>

#include <cstring>

namespace ck::cpu::inline CK_CPU_ISA {

namespace {

// Compiled for AVX512-BF16 whatever the build's -march: only called where the CPU has it.
#define CK_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

constexpr int kRows = 6;     // rows per register block: 6 x 4 accumulators of 16 lanes
constexpr int kVectors = 4;  // column vectors per block at most

// R rows x (NV vectors + kTail 8-lane half vector) of c, all accumulators in registers: per
// pair, the loads of b, R broadcasts of a and the vdpbf16ps. The half vector serves widths
// like attention's 56 value columns (3 x 16 + 8) at half a vector's cost.
template <int R, int NV, bool kTail>
CK_BF16_TARGET void pair_gemm_block(const char* a, int64_t lda, int64_t pairs, const uint32_t* b, int64_t ldb,
                                    float* c, int64_t ldc) {
  __m512 acc[R][NV + 1];  // one spare so that NV = 0 compiles
  __m256 tail[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
    if constexpr (kTail) tail[r] = _mm256_setzero_ps();
  }
  for (int64_t p = 0; p < pairs; ++p) {
    const uint32_t* brow = b + p * ldb;
    __m512bh bv[NV + 1];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = (__m512bh)_mm512_loadu_si512(brow + v * kPairGemmColumns);
    __m256bh bt;
    if constexpr (kTail) {
      bt = (__m256bh)_mm256_loadu_si256(reinterpret_cast<const __m256i*>(brow + NV * kPairGemmColumns));
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      int32_t pair;  // through memcpy: callers write pairs as two uint16
      std::memcpy(&pair, a + (r * lda + p) * 4, sizeof pair);
      const __m512i broadcast = _mm512_set1_epi32(pair);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], (__m512bh)broadcast, bv[v]);
      if constexpr (kTail) tail[r] = _mm256_dpbf16_ps(tail[r], (__m256bh)_mm256_set1_epi32(pair), bt);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + r * ldc + v * kPairGemmColumns, acc[r][v]);
    if constexpr (kTail) _mm256_storeu_ps(c + r * ldc + NV * kPairGemmColumns, tail[r]);
  }
}

template <int NV, bool kTail>
void pair_gemm_rows(const char* a, int64_t lda, int64_t rows, int64_t pairs, const uint32_t* b, int64_t ldb, float* c,
                    int64_t ldc) {
  int64_t r = 0;
  for (; r + kRows <= rows; r += kRows) {
    pair_gemm_block<kRows, NV, kTail>(a + r * lda * 4, lda, pairs, b, ldb, c + r * ldc, ldc);
  }
  a += r * lda * 4;
  c += r * ldc;
  switch (rows - r) {
    case 5: return pair_gemm_block<5, NV, kTail>(a, lda, pairs, b, ldb, c, ldc);
    case 4: return pair_gemm_block<4, NV, kTail>(a, lda, pairs, b, ldb, c, ldc);
    case 3: return pair_gemm_block<3, NV, kTail>(a, lda, pairs, b, ldb, c, ldc);
    case 2: return pair_gemm_block<2, NV, kTail>(a, lda, pairs, b, ldb, c, ldc);
    case 1: return pair_gemm_block<1, NV, kTail>(a, lda, pairs, b, ldb, c, ldc);
    default: return;
  }
}

// The columns after the whole blocks: NV whole vectors, plus a half vector when `half`.
template <int NV>
void pair_gemm_last(const char* a, int64_t lda, int64_t rows, int64_t pairs, const uint32_t* b, int64_t ldb, float* c,
                    int64_t ldc, bool half) {
  if (half) return pair_gemm_rows<NV, true>(a, lda, rows, pairs, b, ldb, c, ldc);
  if constexpr (NV > 0) pair_gemm_rows<NV, false>(a, lda, rows, pairs, b, ldb, c, ldc);
}

}  // namespace

void bf16_pair_gemm(const void* a_pairs, int64_t lda, int64_t rows, int64_t pairs, const uint32_t* b, int64_t ldb,
                    int64_t cols, float* c, int64_t ldc) {
  const char* a = static_cast<const char*>(a_pairs);
  constexpr int64_t kBlockColumns = kVectors * kPairGemmColumns;
  int64_t j = 0;
  for (; j + kBlockColumns <= cols; j += kBlockColumns) {
    pair_gemm_rows<kVectors, false>(a, lda, rows, pairs, b + j, ldb, c + j, ldc);
  }
  const bool half = (cols - j) % kPairGemmColumns != 0;
  switch ((cols - j) / kPairGemmColumns) {
    case 3: return pair_gemm_last<3>(a, lda, rows, pairs, b + j, ldb, c + j, ldc, half);
    case 2: return pair_gemm_last<2>(a, lda, rows, pairs, b + j, ldb, c + j, ldc, half);
    case 1: return pair_gemm_last<1>(a, lda, rows, pairs, b + j, ldb, c + j, ldc, half);
    default: return pair_gemm_last<0>(a, lda, rows, pairs, b + j, ldb, c + j, ldc, half);
  }
}

}  // namespace ck::cpu::inline CK_CPU_ISA

#endif  // __AVX512F__
