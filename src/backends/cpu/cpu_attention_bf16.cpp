// Global attention in bf16 precision. Queries, keys and values are rounded to bf16 once per
// call; then, per head and chunk of queries, the scores come from one oneDNN bf16 GEMM, their
// exponentials exp(s - row max) are taken in fp32 over whole rows and rounded to bf16, a
// second GEMM multiplies them by the values, and each output row is divided by its sum of
// exponentials (one pass over the scores fewer than normalising them first). The chunk
// bounds the score buffer whatever the token count.
#include <algorithm>
#include <cmath>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/vector_math.hpp"

namespace ck::cpu {

namespace {

// Scores per GEMM: 4 Mi floats (16 MB, plus 8 MB of bf16 weights). At S = 512 that is all
// 1024 queries of stage 2 at once (few, large GEMMs); at S = 2048, 256 of its 16,384.
constexpr int64_t kScoreBudget = int64_t{1} << 22;

// A 64-byte aligned view of `bytes` bytes at `offset` into `ws` (which has 64 bytes of slack).
template <class T>
T* carve(std::vector<char>& ws, size_t& offset, size_t count) {
  char* base = ws.data() + ((64 - reinterpret_cast<uintptr_t>(ws.data()) % 64) % 64);
  T* p = reinterpret_cast<T*>(base + offset);
  offset += (count * sizeof(T) + 63) / 64 * 64;
  return p;
}

}  // namespace

Status CpuBackend::global_attention_bf16(const Tensor& qkv, const AttentionParams& p, Tensor& out) {
  const int hd = p.head_dim;
  const int64_t dim = static_cast<int64_t>(p.heads) * hd, row = 3 * dim;
  const int out_w = p.q_pool ? p.grid_w / 2 : p.grid_w;
  const int64_t nq = out.size(0), nk = static_cast<int64_t>(p.grid_h) * p.grid_w;
  const int64_t chunk = std::clamp<int64_t>(kScoreBudget / nk, 1, nq);
  const size_t need = static_cast<size_t>(nq * dim * 2 + nk * 2 * dim * 2 + chunk * nk * 6 + chunk * hd * 4 + chunk * 4) + 7 * 64;
  try {
    if (attention_workspace_.size() < need) attention_workspace_.resize(need);
  } catch (const std::bad_alloc&) {
    return err(ErrorCode::kOutOfMemory, "attention: out of memory for a ", need >> 20, " MB workspace");
  }
  size_t offset = 0;
  uint16_t* const q = carve<uint16_t>(attention_workspace_, offset, static_cast<size_t>(nq * dim));
  uint16_t* const kv = carve<uint16_t>(attention_workspace_, offset, static_cast<size_t>(nk * 2 * dim));
  float* const scores = carve<float>(attention_workspace_, offset, static_cast<size_t>(chunk * nk));
  uint16_t* const weights = carve<uint16_t>(attention_workspace_, offset, static_cast<size_t>(chunk * nk));
  float* const context = carve<float>(attention_workspace_, offset, static_cast<size_t>(chunk * hd));
  float* const inv_sum = carve<float>(attention_workspace_, offset, static_cast<size_t>(chunk));
  const float* src = qkv.data<float>();

  // Queries (heads, nq, hd): 2x2 max-pooled over the grid when q_pool, scaled, rounded.
  // Every operand is laid out densely per head: oneDNN's fastest (brgemm) kernels want that.
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < nq; ++t) {
    const int64_t qy = t / out_w, qx = t % out_w;
    const float* a = src + (p.q_pool ? (2 * qy * p.grid_w + 2 * qx) : t) * row;
    const float* b = a + row;
    const float* c2 = a + static_cast<int64_t>(p.grid_w) * row;
    const float* d = c2 + row;
    for (int h = 0; h < p.heads; ++h) {
      uint16_t* dst = q + (h * nq + t) * hd;
      const int64_t c0 = static_cast<int64_t>(h) * hd;
      if (p.q_pool) {
#pragma omp simd
        for (int64_t c = 0; c < hd; ++c) {
          dst[c] = round_to_bf16(std::max(std::max(a[c0 + c], b[c0 + c]), std::max(c2[c0 + c], d[c0 + c])) * p.scale);
        }
      } else {
#pragma omp simd
        for (int64_t c = 0; c < hd; ++c) dst[c] = round_to_bf16(a[c0 + c] * p.scale);
      }
    }
  }
  // Keys then values, each (heads, nk, hd), rounded.
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < nk; ++t) {
    for (int part = 0; part < 2; ++part) {
      for (int h = 0; h < p.heads; ++h) {
        const float* a = src + t * row + (part + 1) * dim + static_cast<int64_t>(h) * hd;
        uint16_t* dst = kv + ((part * p.heads + h) * nk + t) * hd;
#pragma omp simd
        for (int64_t c = 0; c < hd; ++c) dst[c] = round_to_bf16(a[c]);
      }
    }
  }

  for (int h = 0; h < p.heads; ++h) {
    const uint16_t* keys = kv + h * nk * hd;
    const uint16_t* values = kv + (p.heads + h) * nk * hd;
    for (int64_t q0 = 0; q0 < nq; q0 += chunk) {
      const int64_t m = std::min(chunk, nq - q0);
      // scores (m, nk) = Q_h (m, hd) @ K_h^T (hd, nk).
      CK_TRY(gemm_bf16(q + (h * nq + q0) * hd, m, hd, hd, keys, nk, 1, hd, scores, nk));
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < m; ++i) {
        float* s = scores + i * nk;
        const float mx = row_max(s, nk, -INFINITY);
        float sum = 0.0f;
        uint16_t* w = weights + i * nk;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < nk; ++j) {
          const float e = fast_exp(s[j] - mx);
          sum += e;
          // Rounded without round_to_bf16's NaN test (a sixth of this loop): a NaN here can
          // only come from arithmetic, whose default NaN (0xFFC00000) rounds to a NaN anyway.
          const uint32_t bits = std::bit_cast<uint32_t>(e);
          w[j] = static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
        }
        inv_sum[i] = 1.0f / sum;
      }
      // context (m, hd) = weights (m, nk) @ V_h (nk, hd); normalised into head h's columns.
      CK_TRY(gemm_bf16(weights, m, nk, nk, values, hd, hd, 1, context, hd));
      for (int64_t i = 0; i < m; ++i) {
        float* dst = out.data<float>() + (q0 + i) * dim + static_cast<int64_t>(h) * hd;
        const float* src_row = context + i * hd;
        for (int64_t d = 0; d < hd; ++d) dst[d] = src_row[d] * inv_sum[i];
      }
    }
  }
  return ok_status();
}

}  // namespace ck::cpu
