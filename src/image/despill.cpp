#include "image/despill.hpp"

#include <algorithm>

namespace ck {

void despill_in_place(Planar& rgb, float strength) {
  float *r = rgb.plane(0), *g = rgb.plane(1), *b = rgb.plane(2);
  const size_t n = rgb.plane_size();
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; ++i) {
    const float limit = (r[i] + b[i]) * 0.5f;
    const float spill = std::max(g[i] - limit, 0.0f);
    const float r2 = r[i] + spill * 0.5f, g2 = g[i] - spill, b2 = b[i] + spill * 0.5f;
    r[i] = r[i] * (1.0f - strength) + r2 * strength;
    g[i] = g[i] * (1.0f - strength) + g2 * strength;
    b[i] = b[i] * (1.0f - strength) + b2 * strength;
  }
}

}  // namespace ck
