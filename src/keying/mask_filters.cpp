#include "keying/mask_filters.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

namespace ck {

namespace {

// One row of the 1-D squared distance transform: the lower envelope of the parabolas
// (q - p)^2 + f[p], as Felzenszwalb and Huttenlocher compute it.
void distance_1d(const float* f, float* d, int n, std::vector<int>& v, std::vector<float>& z) {
  auto intersection = [&](int q, int p) {
    return ((f[q] + static_cast<float>(q) * q) - (f[p] + static_cast<float>(p) * p)) / (2.0f * static_cast<float>(q - p));
  };
  size_t k = 0;
  v[0] = 0;
  z[0] = -std::numeric_limits<float>::infinity();
  z[1] = std::numeric_limits<float>::infinity();
  for (int q = 1; q < n; ++q) {
    float s = intersection(q, v[k]);
    while (s <= z[k]) {  // z[0] is -inf: stops at the first parabola
      --k;
      s = intersection(q, v[k]);
    }
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = std::numeric_limits<float>::infinity();
  }
  k = 0;
  for (int q = 0; q < n; ++q) {
    while (z[k + 1] < static_cast<float>(q)) ++k;
    d[q] = static_cast<float>(q - v[k]) * static_cast<float>(q - v[k]) + f[v[k]];
  }
}

void box_pass(const float* in, float* out, int n, int stride, int radius) {
  // Running sum over [i - r, i + r], samples past the ends clamped to the edge.
  const float scale = 1.0f / static_cast<float>(2 * radius + 1);
  auto at = [&](int i) { return in[static_cast<ptrdiff_t>(std::clamp(i, 0, n - 1)) * stride]; };
  double sum = 0;
  for (int i = -radius; i <= radius; ++i) sum += at(i);
  for (int i = 0; i < n; ++i) {
    out[static_cast<ptrdiff_t>(i) * stride] = static_cast<float>(sum) * scale;
    sum += at(i + radius + 1) - at(i - radius);
  }
}

// Three box blurs whose combined variance is sigma^2 (radius from 12 sigma^2 / 3 = (2r+1)^2 - 1).
int box_radius(float sigma) {
  const float width = std::sqrt(4.0f * sigma * sigma + 1.0f);
  return std::max(0, static_cast<int>(std::lround((width - 1.0f) / 2.0f)));
}

}  // namespace

std::vector<float> squared_distance_to_outside(const std::vector<bool>& inside, int width, int height) {
  const float far = 1e20f;
  std::vector<float> grid(static_cast<size_t>(width) * height);
  for (size_t i = 0; i < grid.size(); ++i) grid[i] = inside[i] ? far : 0.0f;
  const int longest = std::max(width, height);
  std::vector<int> v(static_cast<size_t>(longest));
  std::vector<float> z(static_cast<size_t>(longest) + 1), f(static_cast<size_t>(longest)), d(static_cast<size_t>(longest));
  for (int x = 0; x < width; ++x) {  // columns
    for (int y = 0; y < height; ++y) f[static_cast<size_t>(y)] = grid[static_cast<size_t>(y) * width + x];
    distance_1d(f.data(), d.data(), height, v, z);
    for (int y = 0; y < height; ++y) grid[static_cast<size_t>(y) * width + x] = d[static_cast<size_t>(y)];
  }
  for (int y = 0; y < height; ++y) {  // rows
    float* row = &grid[static_cast<size_t>(y) * width];
    std::copy(row, row + width, f.begin());
    distance_1d(f.data(), row, width, v, z);
  }
  return grid;
}

Mask erode(const Mask& mask, int width, int height, float radius) {
  std::vector<bool> inside(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) inside[i] = mask[i] > 0.5f;
  const std::vector<float> d2 = squared_distance_to_outside(inside, width, height);
  Mask out(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) out[i] = d2[i] > radius * radius ? 1.0f : 0.0f;
  return out;
}

Mask dilate(const Mask& mask, int width, int height, float radius) {
  std::vector<bool> outside(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) outside[i] = mask[i] <= 0.5f;
  const std::vector<float> d2 = squared_distance_to_outside(outside, width, height);
  Mask out(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) out[i] = d2[i] > radius * radius ? 0.0f : 1.0f;
  return out;
}

void blur_channels(std::vector<float>& pixels, int width, int height, int channels, float sigma) {
  const int r = box_radius(sigma);
  if (r == 0) return;
  std::vector<float> tmp(pixels.size());
  for (int pass = 0; pass < 3; ++pass) {
    for (int y = 0; y < height; ++y) {
      for (int c = 0; c < channels; ++c) {
        const size_t at = static_cast<size_t>(y) * width * channels + c;
        box_pass(&pixels[at], &tmp[at], width, channels, r);
      }
    }
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        const size_t at = static_cast<size_t>(x) * channels + c;
        box_pass(&tmp[at], &pixels[at], height, width * channels, r);
      }
    }
  }
}

Mask blur(const Mask& mask, int width, int height, float sigma) {
  Mask out = mask;
  blur_channels(out, width, height, 1, sigma);
  return out;
}

Mask motion_blur(const Mask& mask, int width, int height, float length, float angle) {
  const int samples = std::max(1, static_cast<int>(std::ceil(length)));
  const float dx = std::cos(angle), dy = std::sin(angle);
  auto sample = [&](float x, float y) {
    x = std::clamp(x, 0.0f, static_cast<float>(width - 1));
    y = std::clamp(y, 0.0f, static_cast<float>(height - 1));
    const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
    const int x1 = std::min(x0 + 1, width - 1), y1 = std::min(y0 + 1, height - 1);
    const float fx = x - static_cast<float>(x0), fy = y - static_cast<float>(y0);
    auto m = [&](int xx, int yy) { return mask[static_cast<size_t>(yy) * width + xx]; };
    return (m(x0, y0) * (1 - fx) + m(x1, y0) * fx) * (1 - fy) + (m(x0, y1) * (1 - fx) + m(x1, y1) * fx) * fy;
  };
  Mask out(mask.size());
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      float sum = 0;
      for (int s = 0; s < samples; ++s) {
        const float t = samples == 1 ? 0.0f : (static_cast<float>(s) / static_cast<float>(samples - 1) - 0.5f) * length;
        sum += sample(static_cast<float>(x) + t * dx, static_cast<float>(y) + t * dy);
      }
      out[static_cast<size_t>(y) * width + x] = sum / static_cast<float>(samples);
    }
  }
  return out;
}

}  // namespace ck
