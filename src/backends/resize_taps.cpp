#include "backends/resize_taps.hpp"

#include <algorithm>
#include <cmath>

namespace ck {

namespace {
constexpr float kCubicA = -0.75f;

// Keys' cubic convolution kernel, split as PyTorch evaluates it (|x| <= 1 and 1 < |x| < 2).
float cubic_near(float x) { return ((kCubicA + 2.0f) * x - (kCubicA + 3.0f)) * x * x + 1.0f; }
float cubic_far(float x) { return ((kCubicA * x - 5.0f * kCubicA) * x + 8.0f * kCubicA) * x - 4.0f * kCubicA; }
}  // namespace

std::vector<Taps<2>> bilinear_taps(int64_t in, int64_t out) {
  std::vector<Taps<2>> taps(static_cast<size_t>(out));
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t o = 0; o < out; ++o) {
    const float src = std::max(scale * (static_cast<float>(o) + 0.5f) - 0.5f, 0.0f);
    const int64_t i0 = std::min(static_cast<int64_t>(src), in - 1);
    const int64_t i1 = std::min(i0 + 1, in - 1);
    const float l1 = src - static_cast<float>(i0);
    taps[static_cast<size_t>(o)] = {{i0, i1}, {1.0f - l1, l1}};
  }
  return taps;
}

std::vector<Taps<4>> bicubic_taps(int64_t in, int64_t out) {
  std::vector<Taps<4>> taps(static_cast<size_t>(out));
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t o = 0; o < out; ++o) {
    const float src = scale * (static_cast<float>(o) + 0.5f) - 0.5f;
    // PyTorch's guard: the base index never passes the last sample and t stays in [0, 1].
    const int64_t i = std::min(static_cast<int64_t>(std::floor(src)), in - 1);
    const float t = std::clamp(src - static_cast<float>(i), 0.0f, 1.0f);
    Taps<4>& tp = taps[static_cast<size_t>(o)];
    tp.weight = {cubic_far(t + 1.0f), cubic_near(t), cubic_near(1.0f - t), cubic_far(2.0f - t)};
    for (int k = 0; k < 4; ++k) tp.index[static_cast<size_t>(k)] = std::clamp<int64_t>(i - 1 + k, 0, in - 1);
  }
  return taps;
}

}  // namespace ck
