// The two resampling filters of the frame pipeline, each matching the library the original
// CorridorKey uses for that step:
//  - to S x S: bilinear as torchvision's F.interpolate(antialias=True, align_corners=False):
//    a triangle filter whose support widens by in/out when downscaling (as PIL does), plain
//    half-pixel bilinear when upscaling;
//  - back to the plate's size: Lanczos with a = 4 as OpenCV's cv2.resize(INTER_LANCZOS4):
//    8 taps at (dst + 0.5) * in/out - 0.5, border replicated, no antialias.
// Both are separable: rows first, then columns.
#pragma once

#include <cstdint>
#include <vector>

#include "image/planar.hpp"

namespace ck {

// The taps of one axis: output i reads input[first[i] + k] * weight[i * width + k], k < width.
struct ResampleTaps {
  int width = 0;
  std::vector<int64_t> first;
  std::vector<float> weight;
};

ResampleTaps antialiased_bilinear_taps(int64_t in, int64_t out);
// Indices outside the input are folded onto the border (replicate) by repeating the weights.
ResampleTaps lanczos4_taps(int64_t in, int64_t out);

enum class ResampleFilter { kAntialiasedBilinear, kLanczos4 };

Planar resample(const Planar& src, int width, int height, ResampleFilter filter);

}  // namespace ck
