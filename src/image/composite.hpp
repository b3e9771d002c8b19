// The checking composite: straight linear foreground over a grey checkerboard of 128-pixel
// squares (top-left 0.15, the others 0.55, given in sRGB), returned sRGB-encoded.
#pragma once

#include "image/planar.hpp"

namespace ck {

constexpr int kCheckerSize = 128;

// fg_linear (3 planes), alpha (1 plane) -> comp (3 planes, sRGB).
Planar composite_over_checkerboard(const Planar& fg_linear, const Planar& alpha);

}  // namespace ck
