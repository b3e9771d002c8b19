// Element-wise ops, softmax, concat and the 2x2 max-pool, parallel over rows or elements.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/cpu/cpu_backend_impl.hpp"
#include "backends/cpu/vector_math.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

Status CpuBackendImpl::do_unary(UnaryOp op, const Tensor& x, Tensor& y) {
  const int64_t n = x.numel();
  const float* in = x.data<float>();
  float* out = y.data<float>();
  switch (op) {
    case UnaryOp::kGelu:
#pragma omp parallel for simd schedule(static)
      for (int64_t i = 0; i < n; ++i) out[i] = 0.5f * in[i] * (1.0f + fast_erf(in[i] * 0.70710678118654752f));
      break;
    case UnaryOp::kSigmoid:
      // e^-x capped at e^88 (fast_exp's range): below x = -88 the result is 6e-39 instead of
      // a smaller denormal.
#pragma omp parallel for simd schedule(static)
      for (int64_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + fast_exp(std::min(-in[i], 88.0f)));
      break;
  }
  return ok_status();
}

Status CpuBackendImpl::do_concat(std::span<const Tensor* const> xs, int axis, Tensor& y) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= y.size(d);
  for (int d = axis + 1; d < y.dim(); ++d) inner *= y.size(d);
  const int64_t out_row = y.size(axis) * inner;
  int64_t col = 0;
  for (const Tensor* t : xs) {
    const int64_t row = t->size(axis) * inner;
    const int64_t in_row = axis > 0 ? t->strides()[static_cast<size_t>(axis - 1)] : row;  // columns of a wider tensor
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(y.data<float>() + o * out_row + col, t->data<float>() + o * in_row,
                  static_cast<size_t>(row) * sizeof(float));
    }
    col += row;
  }
  return ok_status();
}

Status CpuBackendImpl::do_add(const Tensor& a, const Tensor& b, Tensor& y) {
  const int64_t n = a.numel();
  const float *pa = a.data<float>(), *pb = b.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) py[i] = pa[i] + pb[i];
  return ok_status();
}

Status CpuBackendImpl::do_scale(const Tensor& x, float factor, Tensor& y) {
  const int64_t n = x.numel();
  const float* px = x.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) py[i] = factor * px[i];
  return ok_status();
}

Status CpuBackendImpl::do_transpose(const Tensor& x, Tensor& y) {
  // 32x32 tiles: each tile's reads and writes stay within a few cache lines per row.
  constexpr int64_t kTile = 32;
  const int64_t rows = x.size(0), cols = x.size(1);
  const float* src = x.data<float>();
  float* dst = y.data<float>();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      for (int64_t c = c0; c < c1; ++c) {
        for (int64_t r = r0; r < r1; ++r) dst[c * rows + r] = src[r * cols + c];
      }
    }
  }
  return ok_status();
}

Status CpuBackendImpl::do_max_pool2x2(const Tensor& x, Tensor& y) {
  const int64_t n = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  const int64_t ho = h / 2, wo = w / 2;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t oy = 0; oy < ho; ++oy) {
      for (int64_t ox = 0; ox < wo; ++ox) {
        const float* r0 = x.data<float>() + ((b * h + 2 * oy) * w + 2 * ox) * c;
        const float* r1 = r0 + w * c;
        float* out = y.data<float>() + ((b * ho + oy) * wo + ox) * c;
#pragma omp simd
        for (int64_t ch = 0; ch < c; ++ch) out[ch] = std::max(std::max(r0[ch], r0[c + ch]), std::max(r1[ch], r1[c + ch]));
      }
    }
  }
  return ok_status();
}

}  // namespace ck::cpu::inline CK_CPU_ISA
