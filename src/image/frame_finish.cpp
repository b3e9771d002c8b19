#include "image/frame_finish.hpp"

#include <algorithm>

#include "corridorkey/colour.hpp"
#include "image/composite.hpp"

namespace ck {

void finish_frame_outputs(const Planar& alpha, const Planar& clean, const Planar& fg, float despill_strength,
                          bool comp, FrameResult& r) {
  const int w = alpha.width, h = alpha.height;
  const size_t n = alpha.plane_size();
  r.alpha = Image{w, h, 1, std::vector<float>(n)};
  r.fg = Image{w, h, 3, std::vector<float>(3 * n)};
  r.processed = Image{w, h, 4, std::vector<float>(4 * n)};
  r.comp = comp ? Image{w, h, 3, std::vector<float>(3 * n)} : Image{};
  const float dark = srgb_to_linear(0.15f), light = srgb_to_linear(0.55f);
  const float s = despill_strength;
  const float *a_raw = alpha.plane(0), *a = clean.plane(0);
  const float *fr = fg.plane(0), *fgg = fg.plane(1), *fb = fg.plane(2);
  float *out_alpha = r.alpha.pixels.data(), *out_fg = r.fg.pixels.data(), *out_p = r.processed.pixels.data();
  float* out_comp = comp ? r.comp.pixels.data() : nullptr;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(y) * w + x;
      out_alpha[i] = a_raw[i];
      out_fg[3 * i] = fr[i];
      out_fg[3 * i + 1] = fgg[i];
      out_fg[3 * i + 2] = fb[i];
      // despill_in_place
      const float limit = (fr[i] + fb[i]) * 0.5f;
      const float spill = std::max(fgg[i] - limit, 0.0f);
      const float r2 = fr[i] + spill * 0.5f, g2 = fgg[i] - spill, b2 = fb[i] + spill * 0.5f;
      const float lin[3] = {srgb_to_linear(fr[i] * (1.0f - s) + r2 * s), srgb_to_linear(fgg[i] * (1.0f - s) + g2 * s),
                            srgb_to_linear(fb[i] * (1.0f - s) + b2 * s)};
      for (int c = 0; c < 3; ++c) out_p[4 * i + c] = lin[c] * a[i];
      out_p[4 * i + 3] = a[i];
      if (out_comp != nullptr) {
        const float bg = ((x / kCheckerSize + y / kCheckerSize) % 2 == 0) ? dark : light;
        for (int c = 0; c < 3; ++c) out_comp[3 * i + c] = linear_to_srgb(lin[c] * a[i] + bg * (1.0f - a[i]));
      }
    }
  }
}

}  // namespace ck
