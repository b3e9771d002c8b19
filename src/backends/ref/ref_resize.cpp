// Reference resizes: direct 2-D weighted sums over the shared taps, in double.
#include <algorithm>

#include "backends/ref/ref_backend.hpp"
#include "backends/resize_taps.hpp"

namespace ck::ref {

namespace {
template <int N>
void resize_separable(const Tensor& x, Tensor& y, const std::vector<Taps<N>>& ty, const std::vector<Taps<N>>& tx) {
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  const int64_t ho = y.size(2), wo = y.size(3);
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* in = x.data<float>() + pl * h * w;
    for (int64_t oy = 0; oy < ho; ++oy) {
      for (int64_t ox = 0; ox < wo; ++ox) {
        double acc = 0.0;
        for (int a = 0; a < N; ++a) {
          for (int b = 0; b < N; ++b) {
            const auto& vy = ty[static_cast<size_t>(oy)];
            const auto& vx = tx[static_cast<size_t>(ox)];
            acc += static_cast<double>(vy.weight[static_cast<size_t>(a)]) * vx.weight[static_cast<size_t>(b)] *
                   in[vy.index[static_cast<size_t>(a)] * w + vx.index[static_cast<size_t>(b)]];
          }
        }
        y.data<float>()[(pl * ho + oy) * wo + ox] = static_cast<float>(acc);
      }
    }
  }
}
}  // namespace


namespace {

// y = [relu]((accumulate ? y : 0) + up(xs[0]) + up(xs[1]) + ...), channels-last.
void blend_resized_bilinear(std::span<const Tensor* const> xs, Tensor& y, bool relu, bool accumulate) {
  const int64_t n = y.size(0), ho = y.size(1), wo = y.size(2), c = y.size(3);
  if (!accumulate) std::fill_n(y.data<float>(), y.numel(), 0.0f);
  for (const Tensor* x : xs) {
    const auto ty = bilinear_taps(x->size(1), ho), tx = bilinear_taps(x->size(2), wo);
    const int64_t h = x->size(1), w = x->size(2);
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t oy = 0; oy < ho; ++oy) {
        for (int64_t ox = 0; ox < wo; ++ox) {
          for (int64_t ch = 0; ch < c; ++ch) {
            double acc = 0.0;
            for (int a = 0; a < 2; ++a) {
              for (int k = 0; k < 2; ++k) {
                const auto& vy = ty[static_cast<size_t>(oy)];
                const auto& vx = tx[static_cast<size_t>(ox)];
                acc += static_cast<double>(vy.weight[static_cast<size_t>(a)]) * vx.weight[static_cast<size_t>(k)] *
                       x->data<float>()[((b * h + vy.index[static_cast<size_t>(a)]) * w +
                                         vx.index[static_cast<size_t>(k)]) * c + ch];
              }
            }
            float& out = y.data<float>()[((b * ho + oy) * wo + ox) * c + ch];
            out = static_cast<float>(out + static_cast<float>(acc));
          }
        }
      }
    }
  }
  if (relu) {
    for (int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = std::max(0.0f, y.data<float>()[i]);
  }
}

}  // namespace

Status ReferenceBackend::do_add_resized_bilinear(std::span<const Tensor* const> xs, Tensor& y, bool relu) {
  blend_resized_bilinear(xs, y, relu, /*accumulate=*/true);
  return ok_status();
}

Status ReferenceBackend::do_resize_bilinear(const Tensor& x, Tensor& y) {
  const Tensor* xs[] = {&x};
  blend_resized_bilinear(xs, y, /*relu=*/false, /*accumulate=*/false);
  return ok_status();
}

Status ReferenceBackend::do_resize_bicubic(const Tensor& x, Tensor& y) {
  resize_separable<4>(x, y, bicubic_taps(x.size(2), y.size(2)), bicubic_taps(x.size(3), y.size(3)));
  return ok_status();
}

}  // namespace ck::ref
