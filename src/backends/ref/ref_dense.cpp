// Reference linear, matmul and convolution.
#include "backends/ref/ref_backend.hpp"

namespace ck::ref {

namespace {

// The bf16 mode's arithmetic, emulated exactly: input rounded to bf16, weight widened, both
// then multiplied and accumulated in full precision. `input` is a new tensor, so the in-place
// convolution reads an unmodified copy.
struct Bf16Operands {
  Tensor input, weight;
};
Result<Bf16Operands> widen_bf16_operands(const Tensor& x, const Tensor& w) {
  Bf16Operands o;
  CK_ASSIGN(const Tensor rounded, x.to(DType::BF16));
  CK_ASSIGN(o.input, rounded.to(DType::F32));
  CK_ASSIGN(o.weight, w.to(DType::F32));
  return o;
}

}  // namespace

Status ReferenceBackend::do_linear(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) {
  if (w.dtype() == DType::BF16) {
    CK_ASSIGN(const Bf16Operands o, widen_bf16_operands(x, w));
    return do_linear(o.input, o.weight, bias, y);
  }
  const int64_t m = x.size(0), k = x.size(1), n = w.size(0);
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  float* yp = y.data<float>();
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias ? bias->data<float>()[j] : 0.0;
      for (int64_t t = 0; t < k; ++t) acc += static_cast<double>(xp[i * k + t]) * wp[j * k + t];
      yp[i * n + j] = static_cast<float>(acc);
    }
  }
  return ok_status();
}

Status ReferenceBackend::do_conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                   Tensor& y) {
  if (w.dtype() == DType::BF16) {
    CK_ASSIGN(const Bf16Operands o, widen_bf16_operands(x, w));
    return do_conv2d(o.input, o.weight, bias, p, y);
  }
  const bool nhwc = p.layout == Layout::kNHWC;
  const int64_t n = x.size(0), c = nhwc ? x.size(3) : x.size(1);
  const int64_t h = nhwc ? x.size(1) : x.size(2), wd = nhwc ? x.size(2) : x.size(3);
  const int64_t o = w.size(0), kh = w.size(2), kw = w.size(3);
  const int64_t ho = nhwc ? y.size(1) : y.size(2), wo = nhwc ? y.size(2) : y.size(3);
  Tensor input = x;
  if (x.raw() == y.raw()) {  // in place: read from a copy
    CK_ASSIGN(input, x.clone());
  }
  const float* xp = input.data<float>();
  const float* wp = w.data<float>();
  float* yp = y.data<float>();
  const auto x_at = [&](int64_t b, int64_t ch, int64_t iy, int64_t ix) {
    return nhwc ? ((b * h + iy) * wd + ix) * c + ch : ((b * c + ch) * h + iy) * wd + ix;
  };
  const auto y_at = [&](int64_t b, int64_t ch, int64_t oy, int64_t ox) {
    return nhwc ? ((b * ho + oy) * wo + ox) * o + ch : ((b * o + ch) * ho + oy) * wo + ox;
  };
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t oc = 0; oc < o; ++oc) {
      for (int64_t oy = 0; oy < ho; ++oy) {
        for (int64_t ox = 0; ox < wo; ++ox) {
          double acc = bias ? bias->data<float>()[oc] : 0.0;
          for (int64_t ic = 0; ic < c; ++ic) {
            for (int64_t ky = 0; ky < kh; ++ky) {
              const int64_t iy = oy * p.stride - p.padding + ky * p.dilation;
              if (iy < 0 || iy >= h) continue;
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t ix = ox * p.stride - p.padding + kx * p.dilation;
                if (ix < 0 || ix >= wd) continue;
                acc += static_cast<double>(xp[x_at(b, ic, iy, ix)]) * wp[((oc * c + ic) * kh + ky) * kw + kx];
              }
            }
          }
          yp[y_at(b, oc, oy, ox)] = static_cast<float>(acc);
        }
      }
    }
  }
  return ok_status();
}

}  // namespace ck::ref
