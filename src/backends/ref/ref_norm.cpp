// Reference LayerNorm, GroupNorm and BatchNorm: two-pass statistics in double.
#include <cmath>
#include <vector>

#include "backends/ref/ref_backend.hpp"

namespace ck::ref {

namespace {
struct Moments {
  double mean, inv_std;
};

Moments moments(const float* p, int64_t count, int64_t stride, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i) sum += p[i * stride];
  const double mean = sum / static_cast<double>(count);
  double sq = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double d = p[i * stride] - mean;
    sq += d * d;
  }
  return {mean, 1.0 / std::sqrt(sq / static_cast<double>(count) + eps)};
}
}  // namespace

Status ReferenceBackend::do_layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps,
                                       Tensor& y) {
  const int64_t m = x.size(0), c = x.size(1);
  for (int64_t i = 0; i < m; ++i) {
    const float* row = x.data<float>() + i * c;
    const Moments mo = moments(row, c, 1, eps);
    for (int64_t j = 0; j < c; ++j) {
      y.data<float>()[i * c + j] = static_cast<float>((row[j] - mo.mean) * mo.inv_std * weight.data<float>()[j] +
                                                      bias.data<float>()[j]);
    }
  }
  return ok_status();
}

Status ReferenceBackend::do_group_stats(const Tensor& x, int groups, Layout layout, GroupStats& stats) {
  const bool nhwc = layout == Layout::kNHWC;
  const auto [n, c, hw] = map_dims(x, layout);
  const int64_t cg = c / groups;
  const auto index = [&](int64_t b, int64_t ch, int64_t i) { return nhwc ? (b * hw + i) * c + ch : (b * c + ch) * hw + i; };
  stats.groups = groups;
  stats.host.mean.assign(static_cast<size_t>(n * groups), 0.0);
  stats.host.var.assign(stats.host.mean.size(), 0.0);
  const double count = static_cast<double>(cg * hw);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t g = 0; g < groups; ++g) {
      double sum = 0.0;
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
        for (int64_t i = 0; i < hw; ++i) sum += x.data<float>()[index(b, ch, i)];
      }
      const double mean = sum / count;
      double sq = 0.0;
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
        for (int64_t i = 0; i < hw; ++i) {
          const double d = x.data<float>()[index(b, ch, i)] - mean;
          sq += d * d;
        }
      }
      stats.host.mean[static_cast<size_t>(b * groups + g)] = mean;
      stats.host.var[static_cast<size_t>(b * groups + g)] = sq / count;
    }
  }
  return ok_status();
}

Status ReferenceBackend::do_group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias,
                                       float eps, Tensor& y, Layout layout, bool relu, const Tensor* residual,
                                       const GroupStats& stats) {
  const bool nhwc = layout == Layout::kNHWC;
  const auto [n, c, hw] = map_dims(x, layout);
  const int64_t cg = c / groups;
  const auto index = [&](int64_t b, int64_t ch, int64_t i) { return nhwc ? (b * hw + i) * c + ch : (b * c + ch) * hw + i; };
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const auto k = static_cast<size_t>(b * groups + ch / cg);
      const double mean = stats.host.mean[k], inv_std = 1.0 / std::sqrt(stats.host.var[k] + eps);
      const double wv = weight.data<float>()[ch], bv = bias.data<float>()[ch];
      for (int64_t i = 0; i < hw; ++i) {
        const double v = x.data<float>()[index(b, ch, i)];
        double out = static_cast<float>((v - mean) * inv_std * wv + bv);  // GroupNorm's own output
        if (residual) out = static_cast<float>(out + residual->data<float>()[index(b, ch, i)]);
        y.data<float>()[index(b, ch, i)] = static_cast<float>(relu && out < 0.0 ? 0.0 : out);
      }
    }
  }
  return ok_status();
}

}  // namespace ck::ref
