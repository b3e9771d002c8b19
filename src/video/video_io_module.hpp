// The interface between the library and its video module (video_ffmpeg.cpp, built as a shared
// module and loaded on first use by video_file.cpp), as for images (io/image_io_module.hpp):
// FFmpeg's libraries are mapped only by processes that open a video.
#pragma once

#include <memory>
#include <string>

#include "corridorkey/video_file.hpp"

namespace ck {

inline constexpr int kVideoIoModuleVersion = 1;

// Writes the file at `path` by name (the library gives it a registered temporary).
class VideoEncoder {
 public:
  virtual ~VideoEncoder() = default;
  virtual Status write(const Image& frame, double time_s) = 0;
  virtual Status finish() = 0;  // trailer and close; not synced
};

struct VideoIoModule {
  int version;
  Result<std::unique_ptr<VideoReader>> (*open_reader)(const std::string& path, const ReadOptions& options);
  Result<std::unique_ptr<VideoEncoder>> (*open_encoder)(const std::string& path, const VideoWriteOptions& options);
  VideoLibraryInfo (*library_info)();
};

}  // namespace ck

extern "C" const ck::VideoIoModule* ck_video_io_module();
