// LayerNorm and GroupNorm (channels-last). Statistics are two-pass (mean, then squared deviations)
// with float partial sums folded into double, so large images do not lose precision.
#include <cmath>
#include <vector>

#include "backends/cpu/cpu_backend_impl.hpp"
#include "backends/cpu/group_moments.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

namespace {

// Sum of p[0..n) as float blocks of 256 folded into a double.
double blocked_sum(const float* p, int64_t n) {
  double total = 0.0;
  for (int64_t i = 0; i < n; i += 256) {
    const int64_t e = std::min<int64_t>(n, i + 256);
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t j = i; j < e; ++j) s += p[j];
    total += s;
  }
  return total;
}

double blocked_sq_dev(const float* p, int64_t n, float mean) {
  double total = 0.0;
  for (int64_t i = 0; i < n; i += 256) {
    const int64_t e = std::min<int64_t>(n, i + 256);
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t j = i; j < e; ++j) s += (p[j] - mean) * (p[j] - mean);
    total += s;
  }
  return total;
}

}  // namespace

Status CpuBackendImpl::do_layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y) {
  const int64_t m = x.size(0), c = x.size(1);
  const float* w = weight.data<float>();
  const float* b = bias.data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < m; ++i) {
    const float* row = x.data<float>() + i * c;
    float* out = y.data<float>() + i * c;
    const auto mean = static_cast<float>(blocked_sum(row, c) / static_cast<double>(c));
    const auto var = static_cast<float>(blocked_sq_dev(row, c, mean) / static_cast<double>(c));
    const float inv = 1.0f / std::sqrt(var + eps);
#pragma omp simd
    for (int64_t j = 0; j < c; ++j) out[j] = (row[j] - mean) * inv * w[j] + b[j];
  }
  return ok_status();
}

namespace {
// NHWC GroupNorm statistics of one sample. The image is cut into chunks of a fixed number of
// pixels (whatever the thread count, so results do not depend on it). Each chunk, small
// enough to stay in cache, takes its own two-pass statistics per group (sum, then squared
// deviations from its own mean); the chunks are merged in order with Chan's formula in
// double. One read of the image.
void nhwc_group_stats(const float* xb, int64_t hw, int64_t c, int groups, double* mean_out, double* var_out) {
  constexpr int64_t kChunk = 512;  // pixels: 128 KiB of a 64-channel map
  const int64_t cg = c / groups;
  const int64_t chunks = (hw + kChunk - 1) / kChunk;
  std::vector<GroupMoments> parts(static_cast<size_t>(chunks * groups));
#pragma omp parallel
  {
    std::vector<float> acc(static_cast<size_t>(c)), mean(static_cast<size_t>(c));
#pragma omp for schedule(static)
    for (int64_t k = 0; k < chunks; ++k) {
      const int64_t p0 = k * kChunk, p1 = std::min(hw, p0 + kChunk);
      const double count = static_cast<double>((p1 - p0) * cg);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t px = p0; px < p1; ++px) {
        const float* v = xb + px * c;
#pragma omp simd
        for (int64_t ch = 0; ch < c; ++ch) acc[ch] += v[ch];
      }
      for (int64_t g = 0; g < groups; ++g) {
        double sum = 0.0;
        for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) sum += acc[ch];
        parts[static_cast<size_t>(k * groups + g)] = {count, sum / count, 0.0};
        for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) mean[ch] = static_cast<float>(sum / count);
      }
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t px = p0; px < p1; ++px) {
        const float* v = xb + px * c;
#pragma omp simd
        for (int64_t ch = 0; ch < c; ++ch) acc[ch] += (v[ch] - mean[ch]) * (v[ch] - mean[ch]);
      }
      for (int64_t g = 0; g < groups; ++g) {
        double m2 = 0.0;
        for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) m2 += acc[ch];
        parts[static_cast<size_t>(k * groups + g)].m2 = m2;
      }
    }
  }
  for (int64_t g = 0; g < groups; ++g) {
    GroupMoments total;
    for (int64_t k = 0; k < chunks; ++k) total.merge(parts[static_cast<size_t>(k * groups + g)]);
    mean_out[g] = total.mean;
    var_out[g] = total.m2 / total.count;
  }
}

}  // namespace

void group_norm_affine(const GroupStats& stats, int64_t sample, const float* weight, const float* bias, float eps,
                       int64_t c, float* scale, float* offset) {
  const int64_t cg = c / stats.groups;
  for (int64_t ch = 0; ch < c; ++ch) {
    const auto k = static_cast<size_t>(sample * stats.groups + ch / cg);
    const float inv = 1.0f / std::sqrt(static_cast<float>(stats.host.var[k]) + eps);
    scale[ch] = inv * weight[ch];
    offset[ch] = bias[ch] - static_cast<float>(stats.host.mean[k]) * scale[ch];
  }
}

Status CpuBackendImpl::do_group_stats(const Tensor& x, int groups, Layout layout, GroupStats& stats) {
  // The network's GroupNorms (the refiner's) run channels-last.
  if (layout != Layout::kNHWC) return err(ErrorCode::kUnsupported, "backend 'cpu' normalises NHWC maps only");
  const auto [n, c, hw] = map_dims(x, layout);
  stats.groups = groups;
  stats.host.mean.assign(static_cast<size_t>(n * groups), 0.0);
  stats.host.var.assign(stats.host.mean.size(), 0.0);
  for (int64_t b = 0; b < n; ++b) {
    const float* xb = x.data<float>() + b * hw * c;
    double* mean = stats.host.mean.data() + b * groups;
    double* var = stats.host.var.data() + b * groups;
    nhwc_group_stats(xb, hw, c, groups, mean, var);
  }
  return ok_status();
}

// y = x * scale + offset per channel (+ residual, then ReLU): one pass over memory.
Status CpuBackendImpl::do_group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps,
                                 Tensor& y, Layout layout, bool relu, const Tensor* residual, const GroupStats& stats) {
  (void)groups;  // the statistics carry the grouping
  if (layout != Layout::kNHWC) return err(ErrorCode::kUnsupported, "backend 'cpu' normalises NHWC maps only");
  const auto [n, c, hw] = map_dims(x, layout);
  std::vector<float> scale(static_cast<size_t>(c)), offset(static_cast<size_t>(c));
  for (int64_t b = 0; b < n; ++b) {
    group_norm_affine(stats, b, weight.data<float>(), bias.data<float>(), eps, c, scale.data(), offset.data());
    const float* xb = x.data<float>() + b * hw * c;
    float* yb = y.data<float>() + b * hw * c;
    const float* rb = residual ? residual->data<float>() + b * hw * c : nullptr;
    // A row is one pixel's channels.
    const int64_t rows = hw, len = c;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const float* v = xb + r * len;
      float* out = yb + r * len;
#pragma omp simd
      for (int64_t ch = 0; ch < c; ++ch) out[ch] = v[ch] * scale[ch] + offset[ch];
      if (rb) {
        const float* res = rb + r * len;
#pragma omp simd
        for (int64_t i = 0; i < len; ++i) out[i] += res[i];
      }
      if (relu) {
#pragma omp simd
        for (int64_t i = 0; i < len; ++i) out[i] = out[i] > 0.0f ? out[i] : 0.0f;
      }
    }
  }
  return ok_status();
}

}  // namespace ck::cpu::inline CK_CPU_ISA
