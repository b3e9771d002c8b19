// Image files through OpenImageIO. Pixels come in as float: 8- and 16-bit integers scaled to
// [0, 1], float formats (EXR) as stored, with no clamp.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <cstdint>
#include <string>
#include <vector>

#include "corridorkey/image.hpp"
#include "corridorkey/output_set.hpp"
#include "corridorkey/status.hpp"

namespace ck {

// A bound on what reading may allocate, checked from the file's header before any pixel
// buffer exists: a 74-byte PNG can claim 20000 x 20000 pixels.
inline constexpr int64_t kDefaultMaxPixels = int64_t{1} << 28;  // 16384 x 16384
inline constexpr int kMaxReadChannels = 4;                      // RGBA; further channels are not read

struct ReadOptions {
  int64_t max_pixels = kDefaultMaxPixels;
};

Result<Image> read_image(const std::string& path, const ReadOptions& options = {});

enum class SampleFormat { kUint8, kUint16, kHalf, kFloat };

struct WriteOptions {
  SampleFormat format = SampleFormat::kUint8;  // integers: clamped to [0, 1] and rounded
  std::string compression;                     // e.g. "pxr24" for EXR; empty: the format's default
  std::vector<std::string> channel_names;      // empty: the format's default (R, G, B, A / Y)
  int png_compression = -1;                    // PNG's zlib level 0-9; -1: OpenImageIO's default (6)
};

// Format from the extension (.exr, .png, .tif/.tiff, .jpg, .dpx). Encoded in memory, then
// written, synced and renamed (corridorkey/output_set.hpp): the target appears complete or not at
// all, and a full disk is an error.
Status write_image(const std::string& path, const Image& image, const WriteOptions& options);
Status write_image_8bit(const std::string& path, const Image& image);
// The same as one file of a set that appears all together (a frame's outputs).
Status add_image(OutputSet& set, const std::string& path, const Image& image, const WriteOptions& options);

}  // namespace ck

#pragma GCC visibility pop
