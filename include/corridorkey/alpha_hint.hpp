// Automatic alpha hints: a classical colour-difference keyer that makes the kind of hint the
// network was trained on (coarse, eroded, blurred) from the plate alone, for users without a
// hint of their own. The screen colour (green or blue) and its brightness are estimated from
// the plate; a clip estimates its screen once and keys every frame against it, so the hints
// hold still from frame to frame.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <optional>
#include <string>

#include "corridorkey/image.hpp"
#include "corridorkey/screen_colour.hpp"
#include "corridorkey/status.hpp"

namespace ck {

struct ScreenEstimate {
  ScreenColour colour = ScreenColour::kGreen;  // never kAuto
  float rgb[3] = {0, 0, 0};  // the screen's typical colour, sRGB-encoded
  float coverage = 0;        // fraction of the plate taken for screen
};

// The screen of a plate (sRGB-encoded unless `input_is_linear`): `wanted` green or blue, or
// kAuto to pick the one the plate shows. A plate with no screen of the wanted colour (too
// little of it to key against) is a kInvalidArgument error that says what to do instead.
Result<ScreenEstimate> estimate_screen(const ImageView& plate, ScreenColour wanted, bool input_is_linear = false);

struct HintOptions {
  ScreenColour screen = ScreenColour::kAuto;
  bool input_is_linear = false;
  std::optional<ScreenEstimate> screen_estimate;  // a clip's, reused for every frame (else estimated)
  // Shaped like the hints the network was trained on, in fractions of the plate's shorter side:
  float erode = 0.006f;     // the key shrunk by this much (subject edges left to the network)
  float blur = 0.008f;      // then blurred with a Gaussian of this sigma
  float min_island = 2e-4f; // specks smaller than this fraction of the plate's area are dropped
};

struct AlphaHint {
  Image hint;        // 1 channel, [0, 1], the plate's size: what the network takes
  Image key;         // 1 channel: the colour-difference key alone, before clean-up, erosion and blur
  ScreenEstimate screen;
};

Result<AlphaHint> make_alpha_hint(const ImageView& plate, const HintOptions& options = {});

}  // namespace ck

#pragma GCC visibility pop
