// The automatic hint: screen estimate, colour-difference key against the screen's local
// strength, clean-up (specks and holes), erosion and blur.
#include "corridorkey/alpha_hint.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "corridorkey/colour.hpp"
#include "image/despeckle.hpp"
#include "keying/mask_filters.hpp"
#include "pipeline/frame_steps.hpp"

namespace ck {

namespace {

// How far a pixel's screen channel leads the other two (0 when it does not lead): the
// colour-difference a keyer measures.
inline float screen_lead(const float* rgb, ScreenColour screen) {
  return screen == ScreenColour::kBlue ? rgb[2] - std::max(rgb[0], rgb[1]) : rgb[1] - std::max(rgb[0], rgb[2]);
}

// The plate as interleaved sRGB-encoded floats.
Result<std::vector<float>> srgb_pixels(const ImageView& plate, bool input_is_linear) {
  CK_ASSIGN(const Planar planar, view_to_planar(plate, 0, 3, "plate"));
  const size_t n = planar.plane_size();
  std::vector<float> rgb(n * 3);
  for (size_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) {
      const float v = std::clamp(planar.plane(c)[i], 0.0f, 1.0f);
      rgb[i * 3 + static_cast<size_t>(c)] = input_is_linear ? linear_to_srgb(v) : v;
    }
  }
  return rgb;
}

// A pixel counts as clear screen when its screen channel leads the others by this much.
constexpr float kScreenLead = 0.06f;
// Too little screen to key against.
constexpr float kMinCoverage = 0.03f;

float median_of(std::vector<float>& v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

ScreenEstimate estimate_from_pixels(const std::vector<float>& rgb, ScreenColour colour, float& coverage) {
  const size_t n = rgb.size() / 3;
  std::vector<float> channel[3], leads;
  for (size_t i = 0; i < n; ++i) {
    const float lead = screen_lead(&rgb[i * 3], colour);
    if (lead < kScreenLead) continue;
    leads.push_back(lead);
    for (int c = 0; c < 3; ++c) channel[c].push_back(rgb[i * 3 + static_cast<size_t>(c)]);
  }
  coverage = static_cast<float>(leads.size()) / static_cast<float>(std::max<size_t>(n, 1));
  ScreenEstimate e;
  e.colour = colour;
  e.coverage = coverage;
  for (int c = 0; c < 3; ++c) e.rgb[c] = median_of(channel[c]);
  return e;
}

}  // namespace

namespace {

Result<ScreenEstimate> estimate_screen_of(const std::vector<float>& rgb, ScreenColour wanted) {
  float green_cover = 0, blue_cover = 0;
  const ScreenEstimate green = estimate_from_pixels(rgb, ScreenColour::kGreen, green_cover);
  const ScreenEstimate blue = estimate_from_pixels(rgb, ScreenColour::kBlue, blue_cover);
  const ScreenEstimate& chosen = wanted == ScreenColour::kBlue    ? blue
                                 : wanted == ScreenColour::kGreen ? green
                                 : blue_cover > green_cover       ? blue
                                                                  : green;
  if (chosen.coverage < kMinCoverage) {
    const int g = static_cast<int>(std::lround(green_cover * 100)), b = static_cast<int>(std::lround(blue_cover * 100));
    return err(ErrorCode::kInvalidArgument, "no ", wanted == ScreenColour::kAuto ? "green or blue" : screen_colour_name(wanted),
               " screen found in the plate (", g, "% of it green, ", b,
               "% blue): name the screen with --screen-color green|blue, or give a hint");
  }
  return chosen;
}

}  // namespace

Result<ScreenEstimate> estimate_screen(const ImageView& plate, ScreenColour wanted, bool input_is_linear) {
  CK_ASSIGN(const std::vector<float> rgb, srgb_pixels(plate, input_is_linear));
  return estimate_screen_of(rgb, wanted);
}

Result<AlphaHint> make_alpha_hint(const ImageView& plate, const HintOptions& o) {
  CK_ASSIGN(const std::vector<float> rgb, srgb_pixels(plate, o.input_is_linear));
  ScreenEstimate screen;
  if (o.screen_estimate) {
    screen = *o.screen_estimate;
  } else {
    CK_ASSIGN(screen, estimate_screen_of(rgb, o.screen));
  }
  const int w = plate.width, h = plate.height;
  const size_t n = static_cast<size_t>(w) * h;
  const float size = static_cast<float>(std::min(w, h));

  // The screen's strength where it is, carried over the subject by a normalised blur: uneven
  // light keys against the screen beside it, not against the plate's average.
  const float global = std::max(screen_lead(screen.rgb, screen.colour), kScreenLead);
  Mask lead(n), weighted(n), weight(n);
  for (size_t i = 0; i < n; ++i) {
    lead[i] = screen_lead(&rgb[i * 3], screen.colour);
    const bool clear = lead[i] > 0.5f * global;
    weight[i] = clear ? 1.0f : 0.0f;
    weighted[i] = clear ? lead[i] : 0.0f;
  }
  const float field_sigma = 0.06f * size;
  weighted = blur(weighted, w, h, field_sigma);
  weight = blur(weight, w, h, field_sigma);

  // The colour-difference key: a small lead is the subject (its spill), a lead near the
  // local screen's is the screen.
  AlphaHint out;
  out.screen = screen;
  out.key = {w, h, 1, std::vector<float>(n)};
  for (size_t i = 0; i < n; ++i) {
    const float local = weight[i] > 0.05f ? weighted[i] / weight[i] : global;
    const float reference = std::max(local, 0.5f * global);
    const float lo = 0.2f * reference, hi = 0.75f * reference;
    out.key.pixels[i] = std::clamp((hi - lead[i]) / (hi - lo), 0.0f, 1.0f);
  }

  // Clean-up on the binary key: specks of either kind smaller than min_island go.
  const int min_area = std::max(1, static_cast<int>(o.min_island * static_cast<float>(n)));
  std::vector<uint8_t> subject(n), background(n);
  for (size_t i = 0; i < n; ++i) subject[i] = out.key.pixels[i] > 0.5f ? 255 : 0;
  subject = keep_large_components(subject, w, h, min_area);
  for (size_t i = 0; i < n; ++i) background[i] = subject[i] ? 0 : 255;
  background = keep_large_components(background, w, h, min_area);
  Mask hint(n);
  for (size_t i = 0; i < n; ++i) hint[i] = background[i] ? 0.0f : 1.0f;

  // Shaped as the network's training hints: shrunk, then soft.
  hint = erode(hint, w, h, o.erode * size);
  out.hint = {w, h, 1, blur(hint, w, h, o.blur * size)};
  return out;
}

}  // namespace ck
