// Reference element-wise ops, softmax, concat and the 2x2 max-pool.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backends/ref/ref_backend.hpp"

namespace ck::ref {

Status ReferenceBackend::do_unary(UnaryOp op, const Tensor& x, Tensor& y) {
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) {
    const double v = x.data<float>()[i];
    double r = 0.0;
    switch (op) {
      case UnaryOp::kGelu: r = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); break;
      case UnaryOp::kSigmoid: r = 1.0 / (1.0 + std::exp(-v)); break;
    }
    y.data<float>()[i] = static_cast<float>(r);
  }
  return ok_status();
}

Status ReferenceBackend::do_concat(std::span<const Tensor* const> xs, int axis, Tensor& y) {
  // View every tensor as (outer, axis_len * inner) and copy row blocks in order.
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= y.size(d);
  for (int d = axis + 1; d < y.dim(); ++d) inner *= y.size(d);
  const int64_t out_row = y.size(axis) * inner;
  int64_t col = 0;
  for (const Tensor* t : xs) {
    const int64_t row = t->size(axis) * inner;
    const int64_t in_row = axis > 0 ? t->strides()[static_cast<size_t>(axis - 1)] : row;  // columns of a wider tensor
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < row; ++i) y.data<float>()[o * out_row + col + i] = t->data<float>()[o * in_row + i];
    }
    col += row;
  }
  return ok_status();
}

Status ReferenceBackend::do_add(const Tensor& a, const Tensor& b, Tensor& y) {
  for (int64_t i = 0; i < a.numel(); ++i) y.data<float>()[i] = a.data<float>()[i] + b.data<float>()[i];
  return ok_status();
}

Status ReferenceBackend::do_scale(const Tensor& x, float factor, Tensor& y) {
  for (int64_t i = 0; i < x.numel(); ++i) y.data<float>()[i] = factor * x.data<float>()[i];
  return ok_status();
}

Status ReferenceBackend::do_transpose(const Tensor& x, Tensor& y) {
  const int64_t rows = x.size(0), cols = x.size(1);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) y.data<float>()[c * rows + r] = x.data<float>()[r * cols + c];
  }
  return ok_status();
}

Status ReferenceBackend::do_max_pool2x2(const Tensor& x, Tensor& y) {
  const int64_t n = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  const float* xp = x.data<float>();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t oy = 0; oy < h / 2; ++oy) {
      for (int64_t ox = 0; ox < w / 2; ++ox) {
        for (int64_t ch = 0; ch < c; ++ch) {
          float m = -INFINITY;
          for (int64_t dy = 0; dy < 2; ++dy) {
            for (int64_t dx = 0; dx < 2; ++dx) {
              m = std::max(m, xp[((b * h + 2 * oy + dy) * w + 2 * ox + dx) * c + ch]);
            }
          }
          y.data<float>()[((b * (h / 2) + oy) * (w / 2) + ox) * c + ch] = m;
        }
      }
    }
  }
  return ok_status();
}

}  // namespace ck::ref
