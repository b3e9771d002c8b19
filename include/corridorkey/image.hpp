// Pixels in and out of the engine: a caller's interleaved pixels (ImageView, any of three
// sample types, any row stride) and float images the engine returns or reads from files.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <cstddef>
#include <vector>

namespace ck {

// Interleaved float pixels, row-major: (height, width, channels).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<float> pixels;
  float at(int y, int x, int c) const {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
};

enum class PixelType { kU8, kU16, kF32 };

// A caller's pixels, interleaved rows: 8- and 16-bit integers are scaled to [0, 1], floats
// are taken as they are (no clamp). row_stride_bytes 0 means tightly packed.
struct ImageView {
  const void* data = nullptr;
  int width = 0, height = 0, channels = 0;
  PixelType type = PixelType::kF32;
  size_t row_stride_bytes = 0;
};

// A float image (e.g. one read from a file) as the engine's input.
inline ImageView view_of(const Image& image) {
  return {image.pixels.data(), image.width, image.height, image.channels, PixelType::kF32, 0};
}

}  // namespace ck

#pragma GCC visibility pop
