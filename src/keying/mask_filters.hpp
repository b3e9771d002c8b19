// Filters on single-channel float masks (row-major width x height) for the keyer and the
// synthetic plates: round erosion and dilation through an exact Euclidean distance transform,
// and a Gaussian blur approximated by three box passes.
#pragma once

#include <vector>

namespace ck {

using Mask = std::vector<float>;

// Squared Euclidean distance from every pixel to the nearest pixel where `inside` is false
// (Felzenszwalb and Huttenlocher's separable transform); inside pixels of a mask with no
// outside pixel get a large value.
std::vector<float> squared_distance_to_outside(const std::vector<bool>& inside, int width, int height);

// Binary erosion / dilation by a disc of `radius` pixels of the mask `value > 0.5`.
Mask erode(const Mask& mask, int width, int height, float radius);
Mask dilate(const Mask& mask, int width, int height, float radius);

// A Gaussian blur of standard deviation `sigma` (three box blurs, edges clamped).
Mask blur(const Mask& mask, int width, int height, float sigma);
// The same on every channel of an interleaved image's pixels.
void blur_channels(std::vector<float>& pixels, int width, int height, int channels, float sigma);

// A box blur along a direction (motion blur): the average of `length` samples on the segment
// through each pixel at `angle` radians, bilinear, edges clamped.
Mask motion_blur(const Mask& mask, int width, int height, float length, float angle);

}  // namespace ck
