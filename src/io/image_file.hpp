// Image files through OpenImageIO. Pixels come in as float: 8- and 16-bit integers scaled to
// [0, 1], float formats (EXR) as stored, with no clamp.
#pragma once

#include <string>
#include <vector>

#include "core/status.hpp"

namespace ck {

struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<float> pixels;  // interleaved, row-major: (height, width, channels)
  float at(int y, int x, int c) const {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
};

Result<Image> read_image(const std::string& path);

enum class SampleFormat { kUint8, kUint16, kHalf, kFloat };

struct WriteOptions {
  SampleFormat format = SampleFormat::kUint8;  // integers: clamped to [0, 1] and rounded
  std::string compression;                     // e.g. "pxr24" for EXR; empty: the format's default
  std::vector<std::string> channel_names;      // empty: the format's default (R, G, B, A / Y)
};

// Format from the extension (.exr, .png, .tif/.tiff, .jpg, .dpx). Atomic: the target appears
// complete or not at all.
Status write_image(const std::string& path, const Image& image, const WriteOptions& options);
Status write_image_8bit(const std::string& path, const Image& image);

}  // namespace ck
