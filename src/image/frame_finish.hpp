// The frame's last steps in one pass over its pixels, writing the interleaved outputs
// directly: despill, sRGB to linear, premultiplication and the checking composite. Each pixel
// goes through the same operations as despill_in_place, srgb_to_linear and
// composite_over_checkerboard applied one after another (the results are identical), but the
// frame is read once and written once, on every thread, instead of once per step.
#pragma once

#include "corridorkey/engine.hpp"
#include "image/planar.hpp"

namespace ck {

// alpha: the resized alpha (1 plane); clean: the despeckled alpha (1 plane); fg: the resized
// sRGB foreground (3 planes). Fills r.alpha, r.fg, r.processed and (with `comp`) r.comp.
void finish_frame_outputs(const Planar& alpha, const Planar& clean, const Planar& fg, float despill_strength,
                          bool comp, FrameResult& r);

}  // namespace ck
