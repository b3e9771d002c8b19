// Streaming (flash-style) Hiera attention. Work items are (window, head, block of queries);
// each walks the window's keys in blocks with an online softmax, so scratch memory is a few
// blocks per thread whatever the token count (16,384 tokens at S = 2048 need no N^2 buffer).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <oneapi/dnnl/dnnl.h>

#include "backends/cpu/cpu_backend_impl.hpp"
#include "backends/cpu/vector_math.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

namespace {

constexpr int kQueryBlock = 64;
constexpr int kKeyBlock = 128;

struct WindowGeometry {
  const AttentionParams& p;
  int64_t row;      // floats per qkv token: 3 * heads * head_dim
  int qwin_h, qwin_w;
  int out_w;

  // Token index (in the input grid) of key j of window (wy, wx).
  int64_t key_token(int wy, int wx, int64_t j) const {
    const int y = wy * p.window_h + static_cast<int>(j / p.window_w);
    const int x = wx * p.window_w + static_cast<int>(j % p.window_w);
    return static_cast<int64_t>(y) * p.grid_w + x;
  }
};

// Loads query i of a window (pooled 2x2 when q_pool), scaled by the softmax scale.
void load_query(const WindowGeometry& g, const float* qkv, int wy, int wx, int64_t i, int64_t qoff, float* dst) {
  const AttentionParams& p = g.p;
  const int qy = wy * g.qwin_h + static_cast<int>(i / g.qwin_w);
  const int qx = wx * g.qwin_w + static_cast<int>(i % g.qwin_w);
  if (!p.q_pool) {
    const float* src = qkv + (static_cast<int64_t>(qy) * p.grid_w + qx) * g.row + qoff;
    for (int d = 0; d < p.head_dim; ++d) dst[d] = src[d] * p.scale;
    return;
  }
  const float* a = qkv + (static_cast<int64_t>(2 * qy) * p.grid_w + 2 * qx) * g.row + qoff;
  const float* b = a + g.row;
  const float* c = a + static_cast<int64_t>(p.grid_w) * g.row;
  const float* e = c + g.row;
  for (int d = 0; d < p.head_dim; ++d) dst[d] = std::max(std::max(a[d], b[d]), std::max(c[d], e[d])) * p.scale;
}

// o (rows x 56, rows `ldo` apart) += p (rows x bk, rows `ldp` apart) @ v (bk x 56, rows `ldv`
// apart), R rows at a time in registers. oneDNN's sgemm packs both operands on every call,
// which for these 128 x 512 x 56 products costs as much as the arithmetic. Sums run over k in
// order: deterministic, and the same at every level.
using Vec16 = float __attribute__((vector_size(64)));
using Vec8 = float __attribute__((vector_size(32)));

#ifdef __AVX512F__
// AVX-512: the 56 columns are three 16-wide and one 8-wide vector, 6 rows: 24 accumulators
// of its 32 registers.
template <int R>
void weighted_values_rows(const float* p, int64_t ldp, int64_t bk, const float* v, int64_t ldv, float* o,
                          int64_t ldo) {
  Vec16 a[R][3];
  Vec8 t[R];
  for (int r = 0; r < R; ++r) {
    std::memcpy(&a[r][0], o + r * ldo, 64);
    std::memcpy(&a[r][1], o + r * ldo + 16, 64);
    std::memcpy(&a[r][2], o + r * ldo + 32, 64);
    std::memcpy(&t[r], o + r * ldo + 48, 32);
  }
  for (int64_t k = 0; k < bk; ++k) {
    const float* vk = v + k * ldv;
    Vec16 b0, b1, b2;
    Vec8 b3;
    std::memcpy(&b0, vk, 64);
    std::memcpy(&b1, vk + 16, 64);
    std::memcpy(&b2, vk + 32, 64);
    std::memcpy(&b3, vk + 48, 32);
    for (int r = 0; r < R; ++r) {
      const float pk = p[r * ldp + k];
      a[r][0] += pk * b0;
      a[r][1] += pk * b1;
      a[r][2] += pk * b2;
      t[r] += pk * b3;
    }
  }
  for (int r = 0; r < R; ++r) {
    std::memcpy(o + r * ldo, &a[r][0], 64);
    std::memcpy(o + r * ldo + 16, &a[r][1], 64);
    std::memcpy(o + r * ldo + 32, &a[r][2], 64);
    std::memcpy(o + r * ldo + 48, &t[r], 32);
  }
}
#else
// AVX2 has 16 registers of 8 floats, too few for the AVX-512 block (42 accumulators would
// spill on every step): o's columns in passes of NV vectors, 6 rows at a time (12
// accumulators, 2 vectors of v and one broadcast of p in registers).
template <int R, int NV>
void weighted_values_columns(const float* p, int64_t ldp, int64_t bk, const float* v, int64_t ldv, float* o,
                             int64_t ldo) {
  Vec8 a[R][NV];
  for (int r = 0; r < R; ++r) {
    for (int j = 0; j < NV; ++j) std::memcpy(&a[r][j], o + r * ldo + 8 * j, 32);
  }
  for (int64_t k = 0; k < bk; ++k) {
    Vec8 b[NV];
    for (int j = 0; j < NV; ++j) std::memcpy(&b[j], v + k * ldv + 8 * j, 32);
    for (int r = 0; r < R; ++r) {
      const float pk = p[r * ldp + k];
      for (int j = 0; j < NV; ++j) a[r][j] += pk * b[j];
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int j = 0; j < NV; ++j) std::memcpy(o + r * ldo + 8 * j, &a[r][j], 32);
  }
}

template <int R>
void weighted_values_rows(const float* p, int64_t ldp, int64_t bk, const float* v, int64_t ldv, float* o,
                          int64_t ldo) {
  for (int c = 0; c < 48; c += 16) weighted_values_columns<R, 2>(p, ldp, bk, v + c, ldv, o + c, ldo);
  weighted_values_columns<R, 1>(p, ldp, bk, v + 48, ldv, o + 48, ldo);
}
#endif

void weighted_values(const float* p, int64_t ldp, int64_t bq, int64_t bk, const float* v, int64_t ldv, float* o,
                     int64_t ldo) {
  constexpr int kRows = 6;
  int64_t i = 0;
  for (; i + kRows <= bq; i += kRows) weighted_values_rows<kRows>(p + i * ldp, ldp, bk, v, ldv, o + i * ldo, ldo);
  for (; i < bq; ++i) weighted_values_rows<1>(p + i * ldp, ldp, bk, v, ldv, o + i * ldo, ldo);
}

// One step of streaming attention for a block of bq queries against a block of bk keys:
// s = q K^T (keys and values as rows, `ldk` / `ldv` floats apart), the online softmax over s
// (rescaling what o holds when a row's running max m grows; l is the running sum), then
// o += p V. Single-threaded (sgemm for the scores, weighted_values for head_dim 56): the
// caller's loop over blocks is the parallel one. Returns false if oneDNN failed. (The
// scores as a register kernel over transposed keys, like weighted_values, measured slower
// than the sgemm: 11.75 against 11.4 ms for the stage-2 op.)
bool attend_key_block(const float* q, int64_t bq, int hd, const float* keys, int64_t ldk, const float* values,
                      int64_t ldv, int64_t bk, float* s, int64_t lds, float* o, float* m, float* l) {
  bool ok = dnnl_sgemm('N', 'T', bq, bk, hd, 1.0f, q, hd, keys, ldk, 0.0f, s, lds) == dnnl_success;
  for (int64_t i = 0; i < bq; ++i) {
    const float corr = online_softmax_step(s + i * lds, bk, m[i], l[i]);
    float* orow = o + i * hd;
#pragma omp simd
    for (int d = 0; d < hd; ++d) orow[d] *= corr;
  }
  if (hd == 56) {
    weighted_values(s, lds, bq, bk, values, ldv, o, hd);
  } else {
    ok = ok && dnnl_sgemm('N', 'N', bq, hd, bk, 1.0f, s, lds, values, ldv, 1.0f, o, hd) == dnnl_success;
  }
  return ok;
}

// Global attention (one window: the whole grid). Keys and values are then plain rows of the
// qkv matrix, so each (query block, key block) step is two small GEMMs straight on qkv
// (oneDNN's sgemm, single-threaded inside our parallel loop) around an online softmax.
constexpr int kGlobalQueryBlock = 128;
constexpr int kGlobalKeyBlock = 512;

Status global_attention(const Tensor& qkv, const AttentionParams& p, const WindowGeometry& g, Tensor& out) {
  const int64_t dim = static_cast<int64_t>(p.heads) * p.head_dim;
  const int64_t nk = static_cast<int64_t>(p.grid_h) * p.grid_w;
  const int64_t nq = static_cast<int64_t>(g.qwin_h) * g.qwin_w;
  const int64_t qblocks = (nq + kGlobalQueryBlock - 1) / kGlobalQueryBlock;
  const int64_t jobs = p.heads * qblocks;
  const int hd = p.head_dim;
  const float* src = qkv.data<float>();
  bool failed = false;
#pragma omp parallel
  {
    std::vector<float> q(static_cast<size_t>(kGlobalQueryBlock * hd)), o(q.size()),
        s(static_cast<size_t>(kGlobalQueryBlock * kGlobalKeyBlock)), m(kGlobalQueryBlock), l(kGlobalQueryBlock);
#pragma omp for schedule(dynamic, 1)
    for (int64_t job = 0; job < jobs; ++job) {
      const int h = static_cast<int>(job / qblocks);
      const int64_t q0 = (job % qblocks) * kGlobalQueryBlock, bq = std::min<int64_t>(kGlobalQueryBlock, nq - q0);
      const int64_t qoff = static_cast<int64_t>(h) * hd;
      const float* keys = src + dim + qoff;
      const float* values = src + 2 * dim + qoff;
      for (int64_t i = 0; i < bq; ++i) load_query(g, src, 0, 0, q0 + i, qoff, q.data() + i * hd);
      std::fill(o.begin(), o.end(), 0.0f);
      std::fill(m.begin(), m.end(), -INFINITY);
      std::fill(l.begin(), l.end(), 0.0f);
      for (int64_t k0 = 0; k0 < nk && !failed; k0 += kGlobalKeyBlock) {
        const int64_t bk = std::min<int64_t>(kGlobalKeyBlock, nk - k0);
        // Keys and values straight out of qkv: rows strided by the qkv row.
        if (!attend_key_block(q.data(), bq, hd, keys + k0 * g.row, g.row, values + k0 * g.row, g.row, bk, s.data(),
                              kGlobalKeyBlock, o.data(), m.data(), l.data())) {
          failed = true;
        }
      }
      for (int64_t i = 0; i < bq; ++i) {
        float* dst = out.data<float>() + (q0 + i) * dim + qoff;
        const float inv = 1.0f / l[static_cast<size_t>(i)];
        for (int d = 0; d < hd; ++d) dst[d] = o[static_cast<size_t>(i * hd + d)] * inv;
      }
    }
  }
  if (failed) return err(ErrorCode::kInternal, "attention: oneDNN sgemm failed");
  return ok_status();
}

}  // namespace

Status CpuBackendImpl::do_attention(const Tensor& qkv, const AttentionParams& p, Tensor& out) {
  const int64_t dim = static_cast<int64_t>(p.heads) * p.head_dim;
  WindowGeometry g{p, 3 * dim, p.q_pool ? p.window_h / 2 : p.window_h, p.q_pool ? p.window_w / 2 : p.window_w,
                   p.q_pool ? p.grid_w / 2 : p.grid_w};
  if (p.window_h == p.grid_h && p.window_w == p.grid_w) {
    return p.bf16 ? global_attention_bf16(qkv, p, out) : global_attention(qkv, p, g, out);
  }
  const int wins_y = p.grid_h / p.window_h, wins_x = p.grid_w / p.window_w;
  const int64_t nk = static_cast<int64_t>(p.window_h) * p.window_w;
  const int64_t nq = static_cast<int64_t>(g.qwin_h) * g.qwin_w;
  const int64_t qblocks = (nq + kQueryBlock - 1) / kQueryBlock;
  const int64_t jobs = static_cast<int64_t>(wins_y) * wins_x * p.heads * qblocks;
  const int hd = p.head_dim;
  const float* src = qkv.data<float>();

  bool failed = false;
#pragma omp parallel
  {
    std::vector<float> q(static_cast<size_t>(kQueryBlock * hd)), k(static_cast<size_t>(kKeyBlock * hd)),
        v(static_cast<size_t>(kKeyBlock * hd)), s(static_cast<size_t>(kQueryBlock * kKeyBlock)),
        o(static_cast<size_t>(kQueryBlock * hd)), m(kQueryBlock), l(kQueryBlock);
#pragma omp for schedule(dynamic, 1)
    for (int64_t job = 0; job < jobs; ++job) {
      const int64_t qb = job % qblocks;
      const int h = static_cast<int>((job / qblocks) % p.heads);
      const int64_t win = job / (qblocks * p.heads);
      const int wy = static_cast<int>(win / wins_x), wx = static_cast<int>(win % wins_x);
      const int64_t q0 = qb * kQueryBlock, bq = std::min<int64_t>(kQueryBlock, nq - q0);
      const int64_t qoff = static_cast<int64_t>(h) * hd, koff = dim + qoff, voff = 2 * dim + qoff;

      for (int64_t i = 0; i < bq; ++i) load_query(g, src, wy, wx, q0 + i, qoff, q.data() + i * hd);
      std::fill(o.begin(), o.end(), 0.0f);
      std::fill(m.begin(), m.end(), -INFINITY);
      std::fill(l.begin(), l.end(), 0.0f);

      for (int64_t k0 = 0; k0 < nk; k0 += kKeyBlock) {
        const int64_t bk = std::min<int64_t>(kKeyBlock, nk - k0);
        // Gather this key block's K and V rows (bk x head_dim each): the window's tokens are
        // not contiguous in the grid.
        for (int64_t j = 0; j < bk; ++j) {
          const float* tok = src + g.key_token(wy, wx, k0 + j) * g.row;
          std::copy(tok + koff, tok + koff + hd, k.data() + j * hd);
          std::copy(tok + voff, tok + voff + hd, v.data() + j * hd);
        }
        if (!attend_key_block(q.data(), bq, hd, k.data(), hd, v.data(), hd, bk, s.data(), kKeyBlock, o.data(),
                              m.data(), l.data())) {
          failed = true;
        }
      }
      for (int64_t i = 0; i < bq; ++i) {
        const int64_t qi = q0 + i;
        const int qy = wy * g.qwin_h + static_cast<int>(qi / g.qwin_w);
        const int qx = wx * g.qwin_w + static_cast<int>(qi % g.qwin_w);
        float* dst = out.data<float>() + (static_cast<int64_t>(qy) * g.out_w + qx) * dim + qoff;
        const float inv = 1.0f / l[static_cast<size_t>(i)];
        for (int d = 0; d < hd; ++d) dst[d] = o[static_cast<size_t>(i * hd + d)] * inv;
      }
    }
  }
  if (failed) return err(ErrorCode::kInternal, "attention: oneDNN sgemm failed");
  return ok_status();
}

}  // namespace ck::cpu::inline CK_CPU_ISA
