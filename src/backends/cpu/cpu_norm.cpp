// LayerNorm, GroupNorm and BatchNorm. Statistics are two-pass (mean, then squared deviations)
// with float partial sums folded into double, so large images do not lose precision.
#include <cmath>
#include <vector>

#include "backends/cpu/cpu_backend.hpp"

namespace ck::cpu {

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

// y[i] = x[i] * a + b over n contiguous elements.
void affine(const float* x, float* y, int64_t n, float a, float b) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

}  // namespace

Status CpuBackend::do_layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y) {
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

// NHWC GroupNorm. The image is cut into chunks of a fixed number of pixels (whatever the
// thread count, so results do not depend on it). Each chunk, small enough to stay in cache,
// takes its own two-pass statistics per group (sum, then squared deviations from its own
// mean); the chunks are merged in order with Chan's formula in double. One read of the
// image for the statistics, then one pass for the affine map (and the ReLU, when fused).
Status group_norm_nhwc(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, Tensor& y,
                       bool relu, const Tensor* residual) {
  constexpr int64_t kChunk = 512;  // pixels: 128 KiB of a 64-channel map
  const int64_t n = x.size(0), hw = x.size(1) * x.size(2), c = x.size(3), cg = c / groups;
  const int64_t chunks = (hw + kChunk - 1) / kChunk;
  std::vector<double> chunk_mean(static_cast<size_t>(chunks * groups)), chunk_m2(chunk_mean.size());
  std::vector<float> scale(static_cast<size_t>(c)), offset(static_cast<size_t>(c));
  for (int64_t b = 0; b < n; ++b) {
    const float* xb = x.data<float>() + b * hw * c;
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
          chunk_mean[static_cast<size_t>(k * groups + g)] = sum / count;
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
          chunk_m2[static_cast<size_t>(k * groups + g)] = m2;
        }
      }
    }
    for (int64_t g = 0; g < groups; ++g) {
      double count = 0.0, mean = 0.0, m2 = 0.0;
      for (int64_t k = 0; k < chunks; ++k) {
        const double nk = static_cast<double>((std::min(hw, (k + 1) * kChunk) - k * kChunk) * cg);
        const double mk = chunk_mean[static_cast<size_t>(k * groups + g)];
        const double delta = mk - mean, total = count + nk;
        mean += delta * nk / total;
        m2 += chunk_m2[static_cast<size_t>(k * groups + g)] + delta * delta * count * nk / total;
        count = total;
      }
      const float inv = 1.0f / std::sqrt(static_cast<float>(m2 / count) + eps);
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
        scale[ch] = inv * weight.data<float>()[ch];
        offset[ch] = bias.data<float>()[ch] - static_cast<float>(mean) * scale[ch];
      }
    }
    float* yb = y.data<float>() + b * hw * c;
    const float* rb = residual ? residual->data<float>() + b * hw * c : nullptr;
#pragma omp parallel for schedule(static)
    for (int64_t px = 0; px < hw; ++px) {
      const float* v = xb + px * c;
      float* out = yb + px * c;
#pragma omp simd
      for (int64_t ch = 0; ch < c; ++ch) out[ch] = v[ch] * scale[ch] + offset[ch];
      if (rb) {
        const float* r = rb + px * c;
#pragma omp simd
        for (int64_t ch = 0; ch < c; ++ch) out[ch] += r[ch];
      }
      if (relu) {
#pragma omp simd
        for (int64_t ch = 0; ch < c; ++ch) out[ch] = out[ch] > 0.0f ? out[ch] : 0.0f;
      }
    }
  }
  return ok_status();
}

}  // namespace

Status CpuBackend::do_group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps,
                                 Tensor& y, Layout layout, bool relu, const Tensor* residual) {
  if (layout == Layout::kNHWC) return group_norm_nhwc(x, groups, weight, bias, eps, y, relu, residual);
  const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
  const int64_t cg = c / groups;
  const int64_t jobs = n * groups;
  // Per (sample, group): reduce channel by channel in parallel, then normalise.
  for (int64_t job = 0; job < jobs; ++job) {
    const int64_t b = job / groups, g = job % groups;
    const float* base = x.data<float>() + (b * c + g * cg) * hw;
    double sum = 0.0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
    for (int64_t ch = 0; ch < cg; ++ch) sum += blocked_sum(base + ch * hw, hw);
    const auto mean = static_cast<float>(sum / static_cast<double>(cg * hw));
    double sq = 0.0;
#pragma omp parallel for reduction(+ : sq) schedule(static)
    for (int64_t ch = 0; ch < cg; ++ch) sq += blocked_sq_dev(base + ch * hw, hw, mean);
    const float inv = 1.0f / std::sqrt(static_cast<float>(sq / static_cast<double>(cg * hw)) + eps);
#pragma omp parallel for schedule(static)
    for (int64_t ch = 0; ch < cg; ++ch) {
      const int64_t cc = g * cg + ch;
      const float a = inv * weight.data<float>()[cc];
      float* out = y.data<float>() + (b * c + cc) * hw;
      affine(base + ch * hw, out, hw, a, bias.data<float>()[cc] - mean * a);
      if (residual) {
        const float* r = residual->data<float>() + (b * c + cc) * hw;
#pragma omp simd
        for (int64_t i = 0; i < hw; ++i) out[i] += r[i];
      }
      if (relu) {
#pragma omp simd
        for (int64_t i = 0; i < hw; ++i) out[i] = out[i] > 0.0f ? out[i] : 0.0f;
      }
    }
  }
  return ok_status();
}

Status CpuBackend::do_batch_norm(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight,
                                 const Tensor& bias, float eps, Tensor& y) {
  const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const float a = weight.data<float>()[ch] / std::sqrt(var.data<float>()[ch] + eps);
      const float off = bias.data<float>()[ch] - mean.data<float>()[ch] * a;
      affine(x.data<float>() + (b * c + ch) * hw, y.data<float>() + (b * c + ch) * hw, hw, a, off);
    }
  }
  return ok_status();
}

}  // namespace ck::cpu
