// The interface between the library and its image I/O module (image_file_oiio.cpp, built as
// a shared module and loaded on first use by image_file.cpp). Both sides are built together
// from this tree, so C++ types cross it; the version guards against a stale module file.
#pragma once

#include <string>

#include "corridorkey/image_file.hpp"

namespace ck {

inline constexpr int kImageIoModuleVersion = 2;

struct ImageIoModule {
  int version;
  Result<Image> (*read)(const std::string& path, const ReadOptions& options);
  // The file's bytes, in the format `path`'s extension names; nothing is written.
  Result<std::vector<unsigned char>> (*encode)(const std::string& path, const Image& image,
                                               const WriteOptions& options);
};

}  // namespace ck

// The module's one exported symbol.
extern "C" const ck::ImageIoModule* ck_image_io_module();
