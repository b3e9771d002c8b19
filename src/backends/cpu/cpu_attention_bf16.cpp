// Global attention in bf16 precision. Queries, keys and values are rounded to bf16 once per
// call and packed as pairs for bf16_pair_gemm (vdpbf16ps). Then each job, one head and a
// block of queries, runs in its own thread with everything in L1/L2: the block's whole score
// rows from the register GEMM, their exponentials exp(s - row max) in fp32 rounded to bf16,
// the weighted values from the same GEMM, each row divided by its sum of exponentials (one
// pass over the scores fewer than normalising them first). Whole rows keep the arithmetic
// the one the reference backend emulates (one max per row, no rescaling); a thread's rows
// take 48 x 6 bytes per key (288 KB at S = 512, 4.7 MB at S = 2048's 16,384 keys). Jobs are
// fixed by the shapes, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include <immintrin.h>
#include <omp.h>

#include "backends/cpu/bf16_pair_gemm.hpp"
#include "backends/cpu/cpu_backend_impl.hpp"
#include "backends/cpu/vector_math.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

#ifndef __AVX512F__

// This level's build has no AVX-512 (cpu_isa.hpp), and bf16 is never offered at it
// (bf16_supported()).
Status CpuBackendImpl::global_attention_bf16(const Tensor&, const AttentionParams&, Tensor&) {
  return err(ErrorCode::kUnsupported, "the bf16 attention needs AVX512-BF16");
}

#else

namespace {

constexpr int64_t kQueryBlock = 48;                  // queries per job: a multiple of the GEMM's 6 rows
constexpr int64_t kKeyBlock = 4 * kPairGemmColumns;  // keys per packed block of K: one GEMM column block

int64_t round_up(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

// A 64-byte aligned view of `count` elements at `offset` into `ws` (which has 64 bytes of slack).
template <class T>
T* carve(std::vector<char>& ws, size_t& offset, size_t count) {
  char* base = ws.data() + ((64 - reinterpret_cast<uintptr_t>(ws.data()) % 64) % 64);
  T* p = reinterpret_cast<T*>(base + offset);
  offset += (count * sizeof(T) + 63) / 64 * 64;
  return p;
}

// The operands' sizes for one call, padded for the GEMM: head_dim to pairs (zeros), keys to
// whole blocks (zero keys, whose weights are zero), value columns to a multiple of 8.
struct Bf16AttentionShape {
  int heads, hd;
  int64_t dim, row, nq, nk;
  int64_t hp;   // pairs per query / key: ceil(hd / 2)
  int64_t nkp;  // keys padded to a multiple of kKeyBlock (even)
  int64_t dvp;  // value columns padded to a multiple of 8 (56 stays 56)
};

// Softmax numerators of one score row: w[j] = bf16(exp(s[j] - max)) for j < n, zero up to
// n_padded; returns the sum of the unrounded exponentials. Explicit vectors, rounded by
// vcvtneps2bf16 (to nearest even, as round_to_bf16; it flushes inputs below 1.2e-38 to zero,
// exponentials no sum of them can see): the element-wise loop took half as long again.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) float exp_row_to_bf16(const float* s, int64_t n,
                                                                                int64_t n_padded, uint16_t* w) {
  const float mx = row_max(s, n, -INFINITY);
  Lanes sums = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    Lanes x;
    std::memcpy(&x, s + j, sizeof x);
    const Lanes e = exp_lanes<Lanes, IntLanes>(x - mx);
    sums += e;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w + j), (__m256i)_mm512_cvtneps_pbh((__m512)e));
  }
  float lanes[kLanes];
  std::memcpy(lanes, &sums, sizeof lanes);
  float sum = 0.0f;
  for (int t = 0; t < kLanes; ++t) sum += lanes[t];
  for (; j < n; ++j) {
    const float e = fast_exp(s[j] - mx);
    sum += e;
    w[j] = round_to_bf16(e);
  }
  std::fill(w + n, w + n_padded, uint16_t{0});
  return sum;
}

// Queries (heads, nq, hp pairs, written as 2 hp uint16): 2x2 max-pooled over the grid when
// q_pool, scaled, rounded.
void pack_queries(const float* src, const AttentionParams& p, const Bf16AttentionShape& s, uint16_t* q) {
  const int out_w = p.q_pool ? p.grid_w / 2 : p.grid_w;
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < s.nq; ++t) {
    const int64_t qy = t / out_w, qx = t % out_w;
    const float* a = src + (p.q_pool ? (2 * qy * p.grid_w + 2 * qx) : t) * s.row;
    const float* b = a + s.row;
    const float* c = a + static_cast<int64_t>(p.grid_w) * s.row;
    const float* d = c + s.row;
    for (int h = 0; h < s.heads; ++h) {
      uint16_t* dst = q + (h * s.nq + t) * s.hp * 2;
      const int64_t c0 = static_cast<int64_t>(h) * s.hd;
      if (p.q_pool) {
#pragma omp simd
        for (int64_t k = 0; k < s.hd; ++k) {
          dst[k] = round_to_bf16(std::max(std::max(a[c0 + k], b[c0 + k]), std::max(c[c0 + k], d[c0 + k])) * p.scale);
        }
      } else {
#pragma omp simd
        for (int64_t k = 0; k < s.hd; ++k) dst[k] = round_to_bf16(a[c0 + k] * p.scale);
      }
      if (s.hd % 2) dst[s.hd] = 0;
    }
  }
}

// The bf16 bits of n floats into dst, zeros up to n_padded (a missing token is all zeros).
void round_row(const float* src, int64_t n, int64_t n_padded, uint16_t* dst) {
  if (src) {
#pragma omp simd
    for (int64_t c = 0; c < n; ++c) dst[c] = round_to_bf16(src[c]);
  } else {
    n = 0;
  }
  std::fill(dst + n, dst + n_padded, uint16_t{0});
}

// Keys (heads, nkp / kKeyBlock blocks, hp pairs, kKeyBlock keys): each block of keys is one
// contiguous GEMM operand. Values (heads, nkp / 2 key pairs, dvp columns). `rounded` holds
// 2 dvp uint16 per thread (one head of a pair of tokens).
void pack_keys_and_values(const float* src, const Bf16AttentionShape& s, uint32_t* k, uint32_t* v,
                          uint16_t* rounded) {
  const int64_t key_pairs = s.nkp / 2;
#pragma omp parallel
  {
    uint16_t* const first = rounded + omp_get_thread_num() * 2 * s.dvp;
    uint16_t* const second = first + s.dvp;
#pragma omp for schedule(static)
    for (int64_t jp = 0; jp < key_pairs; ++jp) {
      const int64_t j0 = 2 * jp;
      const float* t0 = j0 < s.nk ? src + j0 * s.row : nullptr;
      const float* t1 = j0 + 1 < s.nk ? src + (j0 + 1) * s.row : nullptr;
      for (int h = 0; h < s.heads; ++h) {
        const int64_t c0 = static_cast<int64_t>(h) * s.hd;
        const int64_t block = h * (s.nkp / kKeyBlock) + j0 / kKeyBlock;
        // Keys: the pairs of each token's head row, one key column of the block.
        round_row(t0 ? t0 + s.dim + c0 : nullptr, s.hd, 2 * s.hp, first);
        round_row(t1 ? t1 + s.dim + c0 : nullptr, s.hd, 2 * s.hp, second);
        uint32_t* dst = k + block * s.hp * kKeyBlock + j0 % kKeyBlock;
        for (int64_t pr = 0; pr < s.hp; ++pr) {
          dst[pr * kKeyBlock] = bf16_pair(first[2 * pr], first[2 * pr + 1]);
          dst[pr * kKeyBlock + 1] = bf16_pair(second[2 * pr], second[2 * pr + 1]);
        }
        // Values: the two tokens' rows interleaved.
        round_row(t0 ? t0 + 2 * s.dim + c0 : nullptr, s.hd, s.dvp, first);
        round_row(t1 ? t1 + 2 * s.dim + c0 : nullptr, s.hd, s.dvp, second);
        uint32_t* vdst = v + (h * key_pairs + jp) * s.dvp;
#pragma omp simd
        for (int64_t c = 0; c < s.dvp; ++c) vdst[c] = bf16_pair(first[c], second[c]);
      }
    }
  }
}

}  // namespace

Status CpuBackendImpl::global_attention_bf16(const Tensor& qkv, const AttentionParams& p, Tensor& out) {
  Bf16AttentionShape s{};
  s.heads = p.heads;
  s.hd = p.head_dim;
  s.dim = static_cast<int64_t>(p.heads) * p.head_dim;
  s.row = 3 * s.dim;
  s.nq = out.size(0);
  s.nk = static_cast<int64_t>(p.grid_h) * p.grid_w;
  s.hp = (s.hd + 1) / 2;
  s.nkp = round_up(s.nk, kKeyBlock);
  s.dvp = round_up(s.hd, kPairGemmColumns / 2);
  const int64_t threads = cpu_threads();
  const int64_t per_thread = kQueryBlock * (s.nkp * 4 + s.nkp * 2 + s.dvp * 4) + 4 * 64;
  const int64_t operands = s.heads * (s.nq * s.hp + s.nkp * s.hp + s.nkp / 2 * s.dvp) * 4 + threads * s.dvp * 4;
  const size_t need = static_cast<size_t>(operands + threads * per_thread) + 5 * 64;
  try {
    if (attention_workspace_.size() < need) attention_workspace_.resize(need);
  } catch (const std::bad_alloc&) {
    return err(ErrorCode::kOutOfMemory, "attention: out of memory for a ", need >> 20, " MB workspace");
  }
  size_t offset = 0;
  uint16_t* const q = carve<uint16_t>(attention_workspace_, offset, static_cast<size_t>(s.heads * s.nq * s.hp * 2));
  uint32_t* const k = carve<uint32_t>(attention_workspace_, offset, static_cast<size_t>(s.heads * s.nkp * s.hp));
  uint32_t* const v = carve<uint32_t>(attention_workspace_, offset, static_cast<size_t>(s.heads * s.nkp / 2 * s.dvp));
  uint16_t* const rounded = carve<uint16_t>(attention_workspace_, offset, static_cast<size_t>(threads * 2 * s.dvp));
  const size_t thread_base = offset;
  const float* src = qkv.data<float>();
  pack_queries(src, p, s, q);
  pack_keys_and_values(src, s, k, v, rounded);

  const int64_t qblocks = (s.nq + kQueryBlock - 1) / kQueryBlock;
  const int64_t jobs = s.heads * qblocks;
  float* const dst_base = out.data<float>();
#pragma omp parallel
  {
    size_t mine = thread_base + static_cast<size_t>(omp_get_thread_num() * per_thread);
    float* const scores = carve<float>(attention_workspace_, mine, static_cast<size_t>(kQueryBlock * s.nkp));
    uint16_t* const weights = carve<uint16_t>(attention_workspace_, mine, static_cast<size_t>(kQueryBlock * s.nkp));
    float* const context = carve<float>(attention_workspace_, mine, static_cast<size_t>(kQueryBlock * s.dvp));
    float inv_sum[kQueryBlock];
    // Heads outermost: consecutive jobs of a thread share the head's keys and values in L2.
#pragma omp for schedule(static)
    for (int64_t job = 0; job < jobs; ++job) {
      const int64_t h = job / qblocks, q0 = (job % qblocks) * kQueryBlock;
      const int64_t m = std::min(kQueryBlock, s.nq - q0);
      // scores (m, nkp) = Q_h (m, hd) @ K_h^T (hd, nkp), one block of keys at a time.
      const uint16_t* qh = q + (h * s.nq + q0) * s.hp * 2;
      for (int64_t b = 0; b < s.nkp / kKeyBlock; ++b) {
        bf16_pair_gemm(qh, s.hp, m, s.hp, k + (h * (s.nkp / kKeyBlock) + b) * s.hp * kKeyBlock, kKeyBlock, kKeyBlock,
                       scores + b * kKeyBlock, s.nkp);
      }
      for (int64_t i = 0; i < m; ++i) {
        inv_sum[i] = 1.0f / exp_row_to_bf16(scores + i * s.nkp, s.nk, s.nkp, weights + i * s.nkp);
      }
      // context (m, dvp) = weights (m, nkp) @ V_h (nkp, dvp); normalised into head h's columns.
      bf16_pair_gemm(weights, s.nkp / 2, m, s.nkp / 2, v + h * (s.nkp / 2) * s.dvp, s.dvp, s.dvp, context, s.dvp);
      for (int64_t i = 0; i < m; ++i) {
        float* dst = dst_base + (q0 + i) * s.dim + h * s.hd;
        const float* ctx = context + i * s.dvp;
#pragma omp simd
        for (int64_t d = 0; d < s.hd; ++d) dst[d] = ctx[d] * inv_sum[i];
      }
    }
  }
  return ok_status();
}

#endif  // __AVX512F__

}  // namespace ck::cpu::inline CK_CPU_ISA
