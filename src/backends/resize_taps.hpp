// Source positions and filter taps of PyTorch's F.interpolate with align_corners=False and
// no antialias, shared by every backend so that all of them resample identically.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace ck {

// One output coordinate's taps: indices already clamped to [0, in-1].
template <int N>
struct Taps {
  std::array<int64_t, N> index;
  std::array<float, N> weight;
};

// Bilinear: src = (dst + 0.5) * in/out - 0.5, clamped below at 0 (PyTorch's convention).
std::vector<Taps<2>> bilinear_taps(int64_t in, int64_t out);
// Bicubic (Keys, A = -0.75): src = (dst + 0.5) * in/out - 0.5, unclamped; taps at floor(src)-1..+2
// with indices clamped to the border (replicate).
std::vector<Taps<4>> bicubic_taps(int64_t in, int64_t out);

}  // namespace ck
