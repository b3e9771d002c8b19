// Separable resizes: a horizontal pass into a row cache, then the vertical blend, per plane.
#include <span>
#include <vector>

#include "backends/cpu/cpu_backend_impl.hpp"
#include "backends/resize_taps.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

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

// Per output row: each input's two source rows blended with the row's taps, then for each
// output pixel the two columns' taps: the same arithmetic per value as resize_separable
// (horizontal, then vertical), vectorised over channels; the sums join y in input order.
namespace {

// y = [relu]((accumulate ? y : 0) + up(xs[0]) + up(xs[1]) + ...), channels-last.
void blend_resized_bilinear(std::span<const Tensor* const> xs, Tensor& y, bool relu, bool accumulate) {
  const int64_t n = y.size(0), ho = y.size(1), wo = y.size(2), c = y.size(3);
  std::vector<std::vector<Taps<2>>> ty, tx;
  for (const Tensor* x : xs) {
    ty.push_back(bilinear_taps(x->size(1), ho));
    tx.push_back(bilinear_taps(x->size(2), wo));
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t oy = 0; oy < ho; ++oy) {
      for (int64_t ox = 0; ox < wo; ++ox) {
        float* out = y.data<float>() + ((b * ho + oy) * wo + ox) * c;
        for (size_t i = 0; i < xs.size(); ++i) {
          const Tensor& x = *xs[i];
          const int64_t w = x.size(2);
          const Taps<2>& vy = ty[i][static_cast<size_t>(oy)];
          const Taps<2>& vx = tx[i][static_cast<size_t>(ox)];
          const float* base = x.data<float>() + b * x.size(1) * w * c;
          const float* r00 = base + (vy.index[0] * w + vx.index[0]) * c;
          const float* r01 = base + (vy.index[0] * w + vx.index[1]) * c;
          const float* r10 = base + (vy.index[1] * w + vx.index[0]) * c;
          const float* r11 = base + (vy.index[1] * w + vx.index[1]) * c;
          if (accumulate || i > 0) {
#pragma omp simd
            for (int64_t ch = 0; ch < c; ++ch) {
              const float top = vx.weight[0] * r00[ch] + vx.weight[1] * r01[ch];
              const float bottom = vx.weight[0] * r10[ch] + vx.weight[1] * r11[ch];
              out[ch] += vy.weight[0] * top + vy.weight[1] * bottom;
            }
          } else {
            // A plain resize: each sum written as a running sum from zero, the same expressions
            // (and so the same contractions) as a separable resize's row and column passes.
#pragma omp simd
            for (int64_t ch = 0; ch < c; ++ch) {
              float top = 0.0f, bottom = 0.0f, value = 0.0f;
              top += vx.weight[0] * r00[ch];
              top += vx.weight[1] * r01[ch];
              bottom += vx.weight[0] * r10[ch];
              bottom += vx.weight[1] * r11[ch];
              value += vy.weight[0] * top;
              value += vy.weight[1] * bottom;
              out[ch] = value;
            }
          }
        }
        if (relu) {
#pragma omp simd
          for (int64_t ch = 0; ch < c; ++ch) out[ch] = out[ch] > 0.0f ? out[ch] : 0.0f;
        }
      }
    }
  }
}

}  // namespace

Status CpuBackendImpl::do_add_resized_bilinear(std::span<const Tensor* const> xs, Tensor& y, bool relu) {
  blend_resized_bilinear(xs, y, relu, /*accumulate=*/true);
  return ok_status();
}

Status CpuBackendImpl::do_resize_bilinear(const Tensor& x, Tensor& y) {
  const Tensor* xs[] = {&x};
  blend_resized_bilinear(xs, y, /*relu=*/false, /*accumulate=*/false);
  return ok_status();
}

Status CpuBackendImpl::do_resize_bicubic(const Tensor& x, Tensor& y) {
  resize_separable<4>(x, y, bicubic_taps(x.size(2), y.size(2)), bicubic_taps(x.size(3), y.size(3)));
  return ok_status();
}

}  // namespace ck::cpu::inline CK_CPU_ISA
