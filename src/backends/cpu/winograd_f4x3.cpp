#include "backends/cpu/winograd_f4x3.hpp"

#include <cstring>

namespace ck::cpu::inline CK_CPU_ISA {

namespace {

// The transforms work on one vector of channels at a time: 16 with AVX-512, 8 with AVX2,
// whose 16 registers of 8 floats hold a column of a tile and its transform without spilling.
#ifdef __AVX512F__
using Vec = float __attribute__((vector_size(64)));
#else
using Vec = float __attribute__((vector_size(32)));
#endif
constexpr int64_t kLanesPerVec = sizeof(Vec) / sizeof(float);

constexpr int kTile = kWinogradInputTile;
constexpr int kOut = kWinogradOutputTile;

Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
void store(float* p, const Vec& v) { std::memcpy(p, &v, sizeof v); }

// B^T d for one line d0..d5 of an input tile.
void input_transform_1d(const Vec* d, Vec* r) {
  const Vec a = d[4] - 4.0f * d[2], b = d[3] - 4.0f * d[1];
  const Vec e = d[4] - d[2], f = 2.0f * (d[3] - d[1]);
  r[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
  r[1] = a + b;
  r[2] = a - b;
  r[3] = e + f;
  r[4] = e - f;
  r[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
}

// A^T m for one line m0..m5 of a tile of products.
void output_transform_1d(const Vec* m, Vec* r) {
  const Vec s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4];
  r[0] = m[0] + s12 + s34;
  r[1] = d12 + 2.0f * d34;
  r[2] = s12 + 4.0f * s34;
  r[3] = d12 + 8.0f * d34 + m[5];
}

// The GEMM's register block, per level: R rows of a times NV vectors of b's columns, all
// accumulators in registers. AVX-512: 6 x 4 vectors of 16 (24 of its 32 registers). AVX2 has
// 16 registers of 8 floats: 6 x 2 vectors of 8 (12 accumulators, 2 for b, 1 broadcast); the
// AVX-512 block there would spill most accumulators to memory on every step.
#ifdef __AVX512F__
constexpr int kGemmVectors = 4;
#else
constexpr int kGemmVectors = 2;
#endif
constexpr int kGemmRows = 6;

// c (R x kLanesPerVec*NV, rows ldc apart) = a (R x k, rows lda apart) @ b (k x kLanesPerVec*NV,
// rows ldb apart), in registers; sums run over k in order, so a row's result depends neither
// on R nor on the level's block.
template <int R, int NV>
void gemm_rows(const float* a, int64_t lda, int64_t k, const float* b, int64_t ldb, float* c, int64_t ldc) {
  Vec acc[R][NV];  // zeroed element by element: `= {}` became a memset of the stack copy
  for (int r = 0; r < R; ++r) {
    for (int j = 0; j < NV; ++j) acc[r][j] = Vec{};
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    Vec bv[NV];
    for (int j = 0; j < NV; ++j) bv[j] = load(b + kk * ldb + j * kLanesPerVec);
    for (int r = 0; r < R; ++r) {
      const float av = a[r * lda + kk];
      for (int j = 0; j < NV; ++j) acc[r][j] += av * bv[j];
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int j = 0; j < NV; ++j) store(c + r * ldc + j * kLanesPerVec, acc[r][j]);
  }
}

template <int R>
void gemm_row_block(const float* a, int64_t lda, int64_t k, const float* b, int64_t n, float* c, int64_t ldc) {
  int64_t j = 0;
  for (; j + kGemmVectors * kLanesPerVec <= n; j += kGemmVectors * kLanesPerVec) {
    gemm_rows<R, kGemmVectors>(a, lda, k, b + j, n, c + j, ldc);
  }
  for (; j < n; j += kLanesPerVec) gemm_rows<R, 1>(a, lda, k, b + j, n, c + j, ldc);
}

}  // namespace

void winograd_f4x3_transform_weights(const float* w, int64_t out_channels, int64_t in_channels, float* u) {
  static constexpr double kG[kTile][3] = {{1.0 / 4, 0, 0},
                                          {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                          {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                          {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                          {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                          {0, 0, 1}};
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < out_channels; ++o) {
    for (int64_t c = 0; c < in_channels; ++c) {
      const float* g = w + (o * in_channels + c) * 9;
      double gg[kTile][3];  // G g
      for (int i = 0; i < kTile; ++i) {
        for (int j = 0; j < 3; ++j) gg[i][j] = kG[i][0] * g[j] + kG[i][1] * g[3 + j] + kG[i][2] * g[6 + j];
      }
      for (int i = 0; i < kTile; ++i) {
        for (int j = 0; j < kTile; ++j) {
          const double v = gg[i][0] * kG[j][0] + gg[i][1] * kG[j][1] + gg[i][2] * kG[j][2];  // (G g G^T)[i][j]
          u[((i * kTile + j) * in_channels + c) * out_channels + o] = static_cast<float>(v);
        }
      }
    }
  }
}

namespace {

// winograd_f4x3_input_tile for one combination of options, so that the loops carry no
// tests: kNorm (scale and offset given), kRelu, kPadding (some pixels are null).
template <bool kNorm, bool kRelu, bool kPadding>
void input_tile(const float* const* pixels, int64_t channels, const float* scale, const float* offset, float* v) {
  const Vec zero = {};
  for (int64_t cb = 0; cb < channels; cb += kLanesPerVec) {
    Vec sc = {}, of = {};
    if constexpr (kNorm) {
      sc = load(scale + cb);
      of = load(offset + cb);
    }
    Vec t[kTile][kTile];  // t[i][j] = (B^T d)[i][j]: one column of the tile at a time
    for (int j = 0; j < kTile; ++j) {
      Vec column[kTile], r[kTile];
      for (int i = 0; i < kTile; ++i) {
        const float* p = pixels[i * kTile + j];
        if (kPadding && !p) {
          column[i] = zero;
          continue;
        }
        Vec x = load(p + cb);
        if constexpr (kNorm) x = x * sc + of;
        if constexpr (kRelu) x = x < zero ? zero : x;
        column[i] = x;
      }
      input_transform_1d(column, r);
      for (int i = 0; i < kTile; ++i) t[i][j] = r[i];
    }
    for (int i = 0; i < kTile; ++i) {
      Vec r[kTile];
      input_transform_1d(t[i], r);  // r[j] = (B^T d B)[i][j]
      for (int j = 0; j < kTile; ++j) store(v + (i * kTile + j) * channels + cb, r[j]);
    }
  }
}

template <bool kNorm, bool kRelu>
void input_tile(const float* const* pixels, int64_t channels, const float* scale, const float* offset, float* v) {
  bool padding = false;
  for (int k = 0; k < kTile * kTile; ++k) padding |= pixels[k] == nullptr;
  if (padding) {
    input_tile<kNorm, kRelu, true>(pixels, channels, scale, offset, v);
  } else {
    input_tile<kNorm, kRelu, false>(pixels, channels, scale, offset, v);
  }
}

}  // namespace

void winograd_f4x3_input_tile(const float* const* pixels, int64_t channels, const float* scale, const float* offset,
                              bool relu, float* v) {
  if (!scale) return input_tile<false, false>(pixels, channels, nullptr, nullptr, v);
  if (relu) return input_tile<true, true>(pixels, channels, scale, offset, v);
  input_tile<true, false>(pixels, channels, scale, offset, v);
}

void winograd_f4x3_multiply(const float* v, int64_t tiles, const WinogradF4x3Weights& weights, float* m) {
  const int64_t in = weights.in_channels, out = weights.out_channels;
  const int64_t lda = kWinogradPositions * in, ldc = kWinogradPositions * out;
  // In place, a block of rows' products replace the very rows they are computed from, one
  // vector block of columns at a time: they are staged until the whole block is done.
  const bool in_place = m == v;
  alignas(64) float staged[kGemmRows * kWinogradMaxInPlaceChannels];
  for (int e = 0; e < kWinogradPositions; ++e) {
    const float* a = v + e * in;
    const float* b = weights.u + e * in * out;
    float* c = m + e * out;
    auto rows = [&]<int R>(int64_t t) {
      if (!in_place) return gemm_row_block<R>(a + t * lda, lda, in, b, out, c + t * ldc, ldc);
      gemm_row_block<R>(a + t * lda, lda, in, b, out, staged, out);
      for (int r = 0; r < R; ++r) std::memcpy(c + (t + r) * ldc, staged + r * out, static_cast<size_t>(out) * sizeof(float));
    };
    int64_t t = 0;
    for (; t + kGemmRows <= tiles; t += kGemmRows) rows.template operator()<kGemmRows>(t);
    for (; t < tiles; ++t) rows.template operator()<1>(t);
  }
}

void winograd_f4x3_output_tile(const float* m, int64_t out_channels, const float* bias, float* const* pixels,
                               float* mean, float* m2) {
  int valid = 0;
  for (int k = 0; k < kOut * kOut; ++k) valid += pixels[k] != nullptr;
  for (int64_t ob = 0; ob < out_channels; ob += kLanesPerVec) {
    Vec p[kTile][kTile], s[kTile][kOut];  // p[column][row]; s[column][i] = (A^T m)[i][column]
    for (int i = 0; i < kTile; ++i) {
      for (int j = 0; j < kTile; ++j) p[j][i] = load(m + (i * kTile + j) * out_channels + ob);
    }
    for (int j = 0; j < kTile; ++j) output_transform_1d(p[j], s[j]);
    const Vec b = bias ? load(bias + ob) : Vec{};
    Vec y[kOut * kOut];
    for (int i = 0; i < kOut; ++i) {
      Vec line[kTile];
      for (int j = 0; j < kTile; ++j) line[j] = s[j][i];
      output_transform_1d(line, y + i * kOut);
      for (int j = 0; j < kOut; ++j) {
        y[i * kOut + j] += b;
        if (float* px = pixels[i * kOut + j]) store(px + ob, y[i * kOut + j]);
      }
    }
    if (!mean) continue;
    Vec sum = {}, dev = {};
    for (int k = 0; k < kOut * kOut; ++k) {
      if (pixels[k]) sum += y[k];
    }
    const Vec mu = sum / static_cast<float>(valid);
    for (int k = 0; k < kOut * kOut; ++k) {
      if (pixels[k]) dev += (y[k] - mu) * (y[k] - mu);
    }
    store(mean + ob, mu);
    store(m2 + ob, dev);
  }
}

}  // namespace ck::cpu::inline CK_CPU_ISA
