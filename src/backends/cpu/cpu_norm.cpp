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

// NHWC GroupNorm: the image is cut into chunks of a fixed number of pixels (whatever the
// thread count, so results do not depend on it); each chunk sums its channels in float and
// hands them over as double, and chunks are folded in order. Two passes (mean, squared
// deviations), then one affine pass with per-channel scale and offset.
Status group_norm_nhwc(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, Tensor& y) {
  constexpr int64_t kChunk = 1024;  // pixels
  const int64_t n = x.size(0), hw = x.size(1) * x.size(2), c = x.size(3), cg = c / groups;
  const int64_t chunks = (hw + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(chunks * c));
  std::vector<float> mean(static_cast<size_t>(c)), scale(static_cast<size_t>(c)), offset(static_cast<size_t>(c));
  for (int64_t b = 0; b < n; ++b) {
    const float* xb = x.data<float>() + b * hw * c;
    // pass 1: sums; pass 2: squared deviations from the group mean.
    for (int pass = 0; pass < 2; ++pass) {
#pragma omp parallel for schedule(static)
      for (int64_t k = 0; k < chunks; ++k) {
        std::vector<float> acc(static_cast<size_t>(c), 0.0f);
        const int64_t p0 = k * kChunk, p1 = std::min(hw, p0 + kChunk);
        for (int64_t px = p0; px < p1; ++px) {
          const float* v = xb + px * c;
          if (pass == 0) {
#pragma omp simd
            for (int64_t ch = 0; ch < c; ++ch) acc[ch] += v[ch];
          } else {
#pragma omp simd
            for (int64_t ch = 0; ch < c; ++ch) acc[ch] += (v[ch] - mean[ch]) * (v[ch] - mean[ch]);
          }
        }
        for (int64_t ch = 0; ch < c; ++ch) partial[static_cast<size_t>(k * c + ch)] = acc[ch];
      }
      for (int64_t g = 0; g < groups; ++g) {
        double total = 0.0;
        for (int64_t k = 0; k < chunks; ++k) {
          for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) total += partial[static_cast<size_t>(k * c + ch)];
        }
        const double avg = total / static_cast<double>(cg * hw);
        for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
          if (pass == 0) {
            mean[ch] = static_cast<float>(avg);
          } else {
            const float inv = 1.0f / std::sqrt(static_cast<float>(avg) + eps);
            scale[ch] = inv * weight.data<float>()[ch];
            offset[ch] = bias.data<float>()[ch] - mean[ch] * scale[ch];
          }
        }
      }
    }
    float* yb = y.data<float>() + b * hw * c;
#pragma omp parallel for schedule(static)
    for (int64_t px = 0; px < hw; ++px) {
#pragma omp simd
      for (int64_t ch = 0; ch < c; ++ch) yb[px * c + ch] = xb[px * c + ch] * scale[ch] + offset[ch];
    }
  }
  return ok_status();
}

}  // namespace

Status CpuBackend::do_group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps,
                                 Tensor& y, Layout layout) {
  if (layout == Layout::kNHWC) return group_norm_nhwc(x, groups, weight, bias, eps, y);
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
      affine(base + ch * hw, y.data<float>() + (b * c + cc) * hw, hw, a, bias.data<float>()[cc] - mean * a);
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
