#include "image/planar.hpp"

namespace ck {

Planar to_planar(const Image& image, int first, int count) {
  Planar p = Planar::zeros(image.width, image.height, count);
  const size_t n = p.plane_size();
  for (int c = 0; c < count; ++c) {
    float* dst = p.plane(c);
    for (size_t i = 0; i < n; ++i) dst[i] = image.pixels[i * image.channels + first + c];
  }
  return p;
}

Image to_interleaved(const Planar& planar) {
  Image img{planar.width, planar.height, planar.channels, std::vector<float>(planar.data.size())};
  const size_t n = planar.plane_size();
  for (int c = 0; c < planar.channels; ++c) {
    const float* src = planar.plane(c);
    for (size_t i = 0; i < n; ++i) img.pixels[i * planar.channels + c] = src[i];
  }
  return img;
}

}  // namespace ck
