// Despeckle ("clean matte"), exactly as the original CorridorKey post-process does it with
// OpenCV: threshold alpha at 0.5; keep the 8-connected components of at least `min_area`
// pixels; dilate the kept mask with a 51 x 51 ellipse; blur the 8-bit 0/255 mask with an
// 11 x 11 Gaussian (sigma 2, reflect-101 border); multiply alpha by mask / 255.
#pragma once

#include <cstdint>
#include <vector>

namespace ck {

struct DespeckleParams {
  int min_area = 400;
  int dilation_radius = 25;  // ellipse of 2r+1
  int blur_radius = 5;       // Gaussian of 2r+1, sigma by OpenCV's rule for sigma 0: 0.15 (2r+1) + 0.35
};

// The steps on their own, on row-major width x height buffers (exposed for tests).
std::vector<uint8_t> keep_large_components(const std::vector<uint8_t>& mask, int width, int height, int min_area);
std::vector<uint8_t> dilate_ellipse(const std::vector<uint8_t>& mask, int width, int height, int radius);
std::vector<uint8_t> gaussian_blur_8bit(const std::vector<uint8_t>& mask, int width, int height, int radius);

// alpha (width x height) -> the cleaned alpha.
std::vector<float> despeckle(const float* alpha, int width, int height, const DespeckleParams& p);

}  // namespace ck
