// Synthetic green- and blue-screen plates with their ground truth, for training the demo
// model and measuring keys: shapes with hard and soft edges, hair-like strands, motion blur,
// semi-transparent areas over an unevenly lit screen, spill on the edges, sensor noise and
// compression (4:2:0 chroma, 8-bit). Deterministic: the same options give the same pixels on
// every machine (own random numbers, no platform distribution). A shot's frames move its
// subject smoothly, so temporal measures have something to measure.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <cstdint>

#include "corridorkey/alpha_hint.hpp"
#include "corridorkey/image.hpp"

namespace ck {

struct SyntheticPlateOptions {
  int width = 512, height = 512;
  ScreenColour screen = ScreenColour::kGreen;  // green or blue
  uint64_t seed = 0;  // the shot
  int frame = 0;      // the frame of the shot
};

struct SyntheticPlate {
  Image plate;   // 3 channels, sRGB-encoded, what a camera gave
  Image alpha;   // 1 channel, the true alpha
  Image fg;      // 3 channels, sRGB-encoded straight foreground without spill
  Image hint;    // 1 channel: a hint as a user makes one (eroded or grown, blurred, imperfect)
};

SyntheticPlate make_synthetic_plate(const SyntheticPlateOptions& options);

}  // namespace ck

#pragma GCC visibility pop
