// sRGB transfer functions (IEC 61966-2-1, piecewise), as the original pipeline applies them:
// negative input clamps to 0, nothing clamps above 1 (HDR values pass through).
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <algorithm>
#include <cmath>

namespace ck {

inline float linear_to_srgb(float x) {
  x = std::max(x, 0.0f);
  return x <= 0.0031308f ? x * 12.92f : 1.055f * std::pow(x, 1.0f / 2.4f) - 0.055f;
}

inline float srgb_to_linear(float x) {
  x = std::max(x, 0.0f);
  return x <= 0.04045f ? x / 12.92f : std::pow((x + 0.055f) / 1.055f, 2.4f);
}

}  // namespace ck

#pragma GCC visibility pop
