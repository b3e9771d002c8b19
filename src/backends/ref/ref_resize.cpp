// Reference resizes: direct 2-D weighted sums over the shared taps, in double.
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

Status ReferenceBackend::do_resize_bilinear(const Tensor& x, Tensor& y) {
  resize_separable<2>(x, y, bilinear_taps(x.size(2), y.size(2)), bilinear_taps(x.size(3), y.size(3)));
  return ok_status();
}

Status ReferenceBackend::do_resize_bicubic(const Tensor& x, Tensor& y) {
  resize_separable<4>(x, y, bicubic_taps(x.size(2), y.size(2)), bicubic_taps(x.size(3), y.size(3)));
  return ok_status();
}

}  // namespace ck::ref
