#include "image/composite.hpp"

#include "corridorkey/colour.hpp"

namespace ck {

Planar composite_over_checkerboard(const Planar& fg_linear, const Planar& alpha) {
  const int w = fg_linear.width, h = fg_linear.height;
  Planar comp = Planar::zeros(w, h, 3);
  const float dark = srgb_to_linear(0.15f), light = srgb_to_linear(0.55f);
  const float* a = alpha.plane(0);
  for (int c = 0; c < 3; ++c) {
    const float* f = fg_linear.plane(c);
    float* out = comp.plane(c);
#pragma omp parallel for schedule(static)
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const size_t i = static_cast<size_t>(y) * w + x;
        const float bg = ((x / kCheckerSize + y / kCheckerSize) % 2 == 0) ? dark : light;
        out[i] = linear_to_srgb(f[i] * a[i] + bg * (1.0f - a[i]));
      }
    }
  }
  return comp;
}

}  // namespace ck
