#include "image/despeckle.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ck {

namespace {

int find_root(std::vector<int>& parent, int i) {
  while (parent[static_cast<size_t>(i)] != i) {
    parent[static_cast<size_t>(i)] = parent[static_cast<size_t>(parent[static_cast<size_t>(i)])];
    i = parent[static_cast<size_t>(i)];
  }
  return i;
}

// OpenCV's reflect-101 border: -1 -> 1, n -> n - 2.
int reflect101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

}  // namespace

std::vector<uint8_t> keep_large_components(const std::vector<uint8_t>& mask, int width, int height, int min_area) {
  // Union-find over pixels: each set pixel joins its already-visited 8-neighbours.
  const size_t n = static_cast<size_t>(width) * height;
  std::vector<int> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int i = y * width + x;
      if (!mask[static_cast<size_t>(i)]) continue;
      const int neighbours[4][2] = {{-1, 0}, {-1, -1}, {0, -1}, {1, -1}};  // W, NW, N, NE
      for (const auto& d : neighbours) {
        const int nx = x + d[0], ny = y + d[1];
        if (nx < 0 || nx >= width || ny < 0) continue;
        const int j = ny * width + nx;
        if (!mask[static_cast<size_t>(j)]) continue;
        const int a = find_root(parent, i), b = find_root(parent, j);
        if (a != b) parent[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
      }
    }
  }
  std::vector<int> area(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (mask[i]) ++area[static_cast<size_t>(find_root(parent, static_cast<int>(i)))];
  }
  std::vector<uint8_t> kept(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (mask[i] && area[static_cast<size_t>(find_root(parent, static_cast<int>(i)))] >= min_area) kept[i] = 255;
  }
  return kept;
}

std::vector<uint8_t> dilate_ellipse(const std::vector<uint8_t>& mask, int width, int height, int radius) {
  // cv2.getStructuringElement(MORPH_ELLIPSE, (2r+1, 2r+1)): row dy spans |dx| <= round(r sqrt(1 - dy^2/r^2)).
  std::vector<int> half(static_cast<size_t>(2 * radius + 1));
  for (int dy = -radius; dy <= radius; ++dy) {
    const double r2 = static_cast<double>(radius) * radius;
    half[static_cast<size_t>(dy + radius)] =
        radius == 0 ? 0 : static_cast<int>(std::lround(radius * std::sqrt((r2 - dy * dy) / r2)));
  }
  // Per row, each pixel's distance to the nearest set pixel of that row (capped past the
  // radius): a pixel is hit when some row dy away holds a set pixel within half[dy] of it.
  // The test over a row is a compare the compiler vectorises.
  const int cap = std::min(radius + 1, 65535);
  const size_t w = static_cast<size_t>(width);
  std::vector<uint16_t> reach(w * height);
#pragma omp parallel for schedule(static)
  for (int y = 0; y < height; ++y) {
    const uint8_t* m = &mask[y * w];
    uint16_t* r = &reach[y * w];
    int d = cap;
    for (size_t x = 0; x < w; ++x) {
      d = m[x] ? 0 : std::min(d + 1, cap);
      r[x] = static_cast<uint16_t>(d);
    }
    d = cap;
    for (size_t x = w; x-- > 0;) {
      d = m[x] ? 0 : std::min(d + 1, cap);
      r[x] = static_cast<uint16_t>(std::min<int>(r[x], d));
    }
  }
  std::vector<uint8_t> out(mask.size(), 0);
#pragma omp parallel for schedule(static)
  for (int y = 0; y < height; ++y) {
    uint8_t* o = &out[y * w];
    for (int dy = -radius; dy <= radius; ++dy) {
      const int sy = y + dy;
      if (sy < 0 || sy >= height) continue;  // outside the image contributes nothing
      const uint16_t limit = static_cast<uint16_t>(half[static_cast<size_t>(dy + radius)]);
      const uint16_t* r = &reach[sy * w];
      for (size_t x = 0; x < w; ++x) o[x] |= r[x] <= limit ? 255 : 0;
    }
  }
  return out;
}

std::vector<uint8_t> gaussian_blur_8bit(const std::vector<uint8_t>& mask, int width, int height, int radius) {
  // OpenCV's bit-exact 8-bit Gaussian: the kernel exp(-d^2 / 2 sigma^2), normalised, is
  // quantised to 8 fractional bits with error diffusion from the tails inwards, the centre
  // taking what makes the sum exactly 256. Both passes then run in exact integers: rows give
  // values in 1/256, columns in 1/65536, rounded half up to 8 bits at the end (at most
  // 256 * 256 * 255, so 32-bit sums are exact).
  const int k = 2 * radius + 1;
  const double sigma = 0.15 * k + 0.35;  // OpenCV's rule for sigma = 0: 0.3 ((k - 1) / 2 - 1) + 0.8
  std::vector<double> g(static_cast<size_t>(k));
  double sum = 0.0;
  for (int i = 0; i < k; ++i) sum += g[static_cast<size_t>(i)] = std::exp(-(i - radius) * (i - radius) / (2 * sigma * sigma));
  std::vector<int32_t> kernel(static_cast<size_t>(k));
  double carry = 0.0;
  int32_t total = 0;
  for (int i = 0; i < radius; ++i) {
    const double v = g[static_cast<size_t>(i)] / sum * 256.0 + carry;
    const auto q = static_cast<int32_t>(std::nearbyint(v));  // round half to even, as cvRound
    carry = v - static_cast<double>(q);
    kernel[static_cast<size_t>(i)] = kernel[static_cast<size_t>(k - 1 - i)] = q;
    total += 2 * q;
  }
  kernel[static_cast<size_t>(radius)] = 256 - total;

  const size_t w = static_cast<size_t>(width);
  std::vector<int32_t> rows(mask.size());  // in 1/256
#pragma omp parallel for schedule(static)
  for (int y = 0; y < height; ++y) {
    // The row with its reflect-101 border laid out once, so that the taps need no index checks.
    std::vector<int32_t> padded(w + 2 * static_cast<size_t>(radius));
    for (int x = -radius; x < width + radius; ++x) {
      padded[static_cast<size_t>(x + radius)] = mask[y * w + static_cast<size_t>(reflect101(x, width))];
    }
    int32_t* out = &rows[y * w];
    for (size_t x = 0; x < w; ++x) {
      int32_t acc = 0;
      for (int i = 0; i < k; ++i) acc += kernel[static_cast<size_t>(i)] * padded[x + static_cast<size_t>(i)];
      out[x] = acc;
    }
  }
  std::vector<uint8_t> out(mask.size());
#pragma omp parallel for schedule(static)
  for (int y = 0; y < height; ++y) {
    std::vector<int32_t> acc(w, 0);  // in 1/65536, a row at a time so the inner loop runs along x
    for (int i = 0; i < k; ++i) {
      const int32_t kv = kernel[static_cast<size_t>(i)];
      const int32_t* src = &rows[static_cast<size_t>(reflect101(y + i - radius, height)) * w];
      for (size_t x = 0; x < w; ++x) acc[x] += kv * src[x];
    }
    uint8_t* o = &out[y * w];
    for (size_t x = 0; x < w; ++x) o[x] = static_cast<uint8_t>(std::min<int32_t>((acc[x] + 32768) >> 16, 255));
  }
  return out;
}

std::vector<float> despeckle(const float* alpha, int width, int height, const DespeckleParams& p) {
  const size_t n = static_cast<size_t>(width) * height;
  std::vector<uint8_t> mask(n);
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; ++i) mask[i] = alpha[i] > 0.5f ? 255 : 0;
  mask = keep_large_components(mask, width, height, p.min_area);
  if (p.dilation_radius > 0) mask = dilate_ellipse(mask, width, height, p.dilation_radius);
  if (p.blur_radius > 0) mask = gaussian_blur_8bit(mask, width, height, p.blur_radius);
  std::vector<float> out(n);
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; ++i) out[i] = alpha[i] * (static_cast<float>(mask[i]) / 255.0f);
  return out;
}

}  // namespace ck
