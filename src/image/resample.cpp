#include "image/resample.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace ck {

ResampleTaps antialiased_bilinear_taps(int64_t in, int64_t out) {
  // PyTorch's _upsample_bilinear2d_aa: support = scale when downscaling (1 when upscaling),
  // taps [xmin, xmin + xsize) around centre = scale * (i + 0.5), normalised to sum 1.
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const double support = scale >= 1.0 ? scale : 1.0;
  const double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
  ResampleTaps t;
  t.width = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(static_cast<size_t>(out));
  t.weight.assign(static_cast<size_t>(out * t.width), 0.0f);
  for (int64_t i = 0; i < out; ++i) {
    const double centre = scale * (static_cast<double>(i) + 0.5);
    const auto xmin = std::max<int64_t>(static_cast<int64_t>(centre - support + 0.5), 0);
    const int64_t xsize = std::min<int64_t>(static_cast<int64_t>(centre + support + 0.5), in) - xmin;
    float* w = &t.weight[static_cast<size_t>(i * t.width)];
    float total = 0.0f;
    for (int64_t j = 0; j < xsize && j < t.width; ++j) {
      const double x = (static_cast<double>(j + xmin) - centre + 0.5) * invscale;
      w[j] = static_cast<float>(std::max(0.0, 1.0 - std::fabs(x)));
      total += w[j];
    }
    if (total != 0.0f) {
      for (int j = 0; j < t.width; ++j) w[j] /= total;
    }
    t.first[static_cast<size_t>(i)] = xmin;
  }
  return t;
}

ResampleTaps lanczos4_taps(int64_t in, int64_t out) {
  // OpenCV's interpolateLanczos4: coefficients from one sin/cos pair via the angle-addition
  // table, in double, stored as float and normalised to sum 1.
  static const double s45 = 0.70710678118654752440084436210485;
  static const double cs[8][2] = {{1, 0}, {-s45, -s45}, {0, 1}, {s45, -s45}, {-1, 0}, {s45, s45}, {0, -1}, {-s45, s45}};
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  ResampleTaps t;
  t.width = 8;
  t.first.resize(static_cast<size_t>(out));
  t.weight.assign(static_cast<size_t>(out * 8), 0.0f);
  std::vector<float> fold(8);
  for (int64_t i = 0; i < out; ++i) {
    auto fx = static_cast<float>((static_cast<double>(i) + 0.5) * scale - 0.5);
    auto sx = static_cast<int64_t>(std::floor(fx));
    fx -= static_cast<float>(sx);
    if (fx >= 1.0f) {  // a tiny negative position rounds to 1 after the subtraction: it is 0
      fx = 0.0f;
      ++sx;
    }
    float coeffs[8];
    if (fx < FLT_EPSILON) {
      std::fill(coeffs, coeffs + 8, 0.0f);
      coeffs[3] = 1.0f;
    } else {
      const double y0 = -(fx + 3) * M_PI * 0.25, s0 = std::sin(y0), c0 = std::cos(y0);
      float sum = 0.0f;
      for (int k = 0; k < 8; ++k) {
        const double y = -(fx + 3 - k) * M_PI * 0.25;
        coeffs[k] = static_cast<float>((cs[k][0] * s0 + cs[k][1] * c0) / (y * y));
        sum += coeffs[k];
      }
      const float inv = 1.0f / sum;
      for (float& c : coeffs) c *= inv;
    }
    // Taps sx-3 .. sx+4, clamped into the image: fold weights onto the border samples so that
    // every output reads 8 consecutive in-range samples starting at `first`.
    const int64_t lo = std::clamp<int64_t>(sx - 3, 0, std::max<int64_t>(0, in - 8));
    float* w = &t.weight[static_cast<size_t>(i * 8)];
    for (int k = 0; k < 8; ++k) {
      const int64_t src = std::clamp<int64_t>(sx - 3 + k, 0, in - 1);
      const int64_t slot = src - lo;
      if (slot >= 0 && slot < 8) w[slot] += coeffs[k];
    }
    t.first[static_cast<size_t>(i)] = lo;
  }
  return t;
}

namespace {

ResampleTaps taps_for(ResampleFilter f, int64_t in, int64_t out) {
  return f == ResampleFilter::kLanczos4 ? lanczos4_taps(in, out) : antialiased_bilinear_taps(in, out);
}

// Reads input[first + k] for k < width, never past `in` (the antialiased taps may be cut short
// at the image's end; their weights there are zero).
inline float apply_taps(const float* src, int64_t stride, int64_t in, const ResampleTaps& t, int64_t i) {
  const int64_t first = t.first[static_cast<size_t>(i)];
  const float* w = &t.weight[static_cast<size_t>(i * t.width)];
  const int64_t n = std::min<int64_t>(t.width, in - first);
  float acc = 0.0f;
  for (int64_t k = 0; k < n; ++k) acc += src[(first + k) * stride] * w[k];
  return acc;
}

}  // namespace

Planar resample(const Planar& src, int width, int height, ResampleFilter filter) {
  // Rows first (contiguous), then columns; an axis whose size does not change is copied.
  Planar horizontal = src;
  if (width != src.width) {
    const ResampleTaps tx = taps_for(filter, src.width, width);
    horizontal = Planar::zeros(width, src.height, src.channels);
#pragma omp parallel for collapse(2) schedule(static)
    for (int c = 0; c < src.channels; ++c) {
      for (int y = 0; y < src.height; ++y) {
        const float* row = src.plane(c) + static_cast<size_t>(y) * src.width;
        float* dst = horizontal.plane(c) + static_cast<size_t>(y) * width;
        for (int x = 0; x < width; ++x) dst[x] = apply_taps(row, 1, src.width, tx, x);
      }
    }
  }
  if (height == src.height) return horizontal;
  const ResampleTaps ty = taps_for(filter, src.height, height);
  Planar out = Planar::zeros(width, height, src.channels);
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < src.channels; ++c) {
    for (int y = 0; y < height; ++y) {
      const int64_t first = ty.first[static_cast<size_t>(y)];
      const float* w = &ty.weight[static_cast<size_t>(y * ty.width)];
      const int64_t n = std::min<int64_t>(ty.width, src.height - first);
      float* dst = out.plane(c) + static_cast<size_t>(y) * width;
      const float* base = horizontal.plane(c);
      for (int x = 0; x < width; ++x) dst[x] = 0.0f;
      for (int64_t k = 0; k < n; ++k) {
        const float* row = base + static_cast<size_t>(first + k) * width;
        const float wk = w[k];
        for (int x = 0; x < width; ++x) dst[x] += row[x] * wk;
      }
    }
  }
  return out;
}

}  // namespace ck
