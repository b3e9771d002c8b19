// Planar float images: the layout the frame pipeline works in. A plate of H x W x C becomes
// C planes of H x W, so filters run along contiguous rows.
#pragma once

#include <vector>

#include "corridorkey/image_file.hpp"

namespace ck {

struct Planar {
  int width = 0, height = 0, channels = 0;
  std::vector<float> data;  // (channels, height, width)

  static Planar zeros(int width, int height, int channels) {
    return {width, height, channels, std::vector<float>(static_cast<size_t>(width) * height * channels, 0.0f)};
  }
  size_t plane_size() const { return static_cast<size_t>(width) * height; }
  float* plane(int c) { return data.data() + c * plane_size(); }
  const float* plane(int c) const { return data.data() + c * plane_size(); }
};

// Interleaved <-> planar. `first` and `count` pick channels of an interleaved image.
Planar to_planar(const Image& image, int first, int count);
Image to_interleaved(const Planar& planar);

}  // namespace ck
