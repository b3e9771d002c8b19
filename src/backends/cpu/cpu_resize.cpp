// Separable resizes: a horizontal pass into a row cache, then the vertical blend, per plane.
#include <vector>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/resize_taps.hpp"

namespace ck::cpu {

namespace {
template <int N>
void resize_separable(const Tensor& x, Tensor& y, const std::vector<Taps<N>>& ty, const std::vector<Taps<N>>& tx) {
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  const int64_t ho = y.size(2), wo = y.size(3);
#pragma omp parallel
  {
    std::vector<float> rows(static_cast<size_t>(h * wo));  // every input row resampled horizontally
#pragma omp for schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const float* in = x.data<float>() + pl * h * w;
      for (int64_t iy = 0; iy < h; ++iy) {
        const float* src = in + iy * w;
        float* dst = rows.data() + iy * wo;
        for (int64_t ox = 0; ox < wo; ++ox) {
          const auto& t = tx[static_cast<size_t>(ox)];
          float acc = 0.0f;
          for (int k = 0; k < N; ++k) acc += t.weight[static_cast<size_t>(k)] * src[t.index[static_cast<size_t>(k)]];
          dst[ox] = acc;
        }
      }
      float* out = y.data<float>() + pl * ho * wo;
      for (int64_t oy = 0; oy < ho; ++oy) {
        const auto& t = ty[static_cast<size_t>(oy)];
        float* dst = out + oy * wo;
        const float* r[N];
        for (int k = 0; k < N; ++k) r[k] = rows.data() + t.index[static_cast<size_t>(k)] * wo;
#pragma omp simd
        for (int64_t ox = 0; ox < wo; ++ox) {
          float acc = 0.0f;
          for (int k = 0; k < N; ++k) acc += t.weight[static_cast<size_t>(k)] * r[k][ox];
          dst[ox] = acc;
        }
      }
    }
  }
}
}  // namespace

Status CpuBackend::do_resize_bilinear(const Tensor& x, Tensor& y) {
  resize_separable<2>(x, y, bilinear_taps(x.size(2), y.size(2)), bilinear_taps(x.size(3), y.size(3)));
  return ok_status();
}

Status CpuBackend::do_resize_bicubic(const Tensor& x, Tensor& y) {
  resize_separable<4>(x, y, bicubic_taps(x.size(2), y.size(2)), bicubic_taps(x.size(3), y.size(3)));
  return ok_status();
}

}  // namespace ck::cpu
