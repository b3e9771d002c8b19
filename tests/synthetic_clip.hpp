// Small synthetic shots for the shot tests: a disc moving over a green screen, its hint, and
// helpers that write them as image sequences or videos.
#pragma once

#include <cmath>
#include <string>

#include "corridorkey/image.hpp"

namespace ck::test {

// Frame t of the clip: a skin-toned disc moving right over green; RGB in [0, 1].
inline Image synthetic_plate(int width, int height, int t) {
  Image img{width, height, 3, std::vector<float>(static_cast<size_t>(width) * height * 3)};
  const float cx = width * (0.3f + 0.05f * t), cy = height * 0.5f, r = height * 0.3f;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool subject = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
      float* p = &img.pixels[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = subject ? 0.85f : 0.12f + 0.002f * x / width;
      p[1] = subject ? 0.6f : 0.75f;
      p[2] = subject ? 0.5f : 0.15f;
    }
  }
  return img;
}

// Its coarse hint: the disc, a little larger, as one channel.
inline Image synthetic_hint(int width, int height, int t) {
  Image img{width, height, 1, std::vector<float>(static_cast<size_t>(width) * height)};
  const float cx = width * (0.3f + 0.05f * t), cy = height * 0.5f, r = height * 0.34f;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      img.pixels[static_cast<size_t>(y) * width + x] = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r ? 1.0f : 0.0f;
    }
  }
  return img;
}

}  // namespace ck::test
