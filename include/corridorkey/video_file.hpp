// Video files through FFmpeg's libraries (libavformat, libavcodec, libswscale), in a module
// loaded the first time a video is opened, like the image files' (docs/ARCHITECTURE.md).
// Frames come in as float with their full bit depth (8, 10, 12 or 16 bits scaled to [0, 1],
// no 8-bit squeeze); deliverables that carry alpha go out as ProRes 4444 or FFV1.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "corridorkey/image.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/status.hpp"

namespace ck {

struct VideoInfo {
  int width = 0, height = 0;
  int64_t frame_count = 0;     // frames the stream holds, counted from its packets
  double frame_rate = 0;       // average frames per second
  std::vector<double> times;   // each frame's presentation time in seconds (variable rates kept)
  std::string codec, pixel_format;
  int bits_per_component = 8;
  bool has_alpha = false;
};

// Reads a video's frames in presentation order, each exactly once.
class VideoReader {
 public:
  virtual ~VideoReader() = default;
  virtual const VideoInfo& info() const = 0;
  // The next frame: RGB, or RGBA when the stream has alpha; float in [0, 1] at full precision.
  virtual Result<Image> next() = 0;
  // Decodes the next frame without converting it (a resumed run skipping finished frames).
  virtual Status skip() = 0;
};

Result<std::unique_ptr<VideoReader>> open_video(const std::string& path, const ReadOptions& options = {});

enum class VideoCodec {
  kProRes4444,  // MOV, yuva444p10le: colour and alpha, 10 bits
  kFfv1,        // MKV, lossless RGBA, 16 bits
  kH264,        // MP4, yuv420p: a preview without alpha
};

struct VideoWriteOptions {
  VideoCodec codec = VideoCodec::kProRes4444;
  int width = 0, height = 0;
  double frame_rate = 24;  // used when no frame times are given
};

// Writes a video to a temporary beside `path`; finish() flushes, syncs and renames it into
// place. A writer dropped without finish() (a failure, an interrupt) leaves nothing.
class VideoWriter {
 public:
  virtual ~VideoWriter() = default;
  // One frame: grey, RGB or RGBA float, display-referred (sRGB-encoded) values; clamped to [0, 1].
  // `time_s` < 0: the next frame at the constant rate.
  virtual Status write(const Image& frame, double time_s = -1) = 0;
  virtual Status finish() = 0;
};

Result<std::unique_ptr<VideoWriter>> create_video(const std::string& path, const VideoWriteOptions& options);

// What the video module offers, for `corridorkey doctor`.
struct VideoLibraryInfo {
  std::vector<std::string> versions;        // "libavcodec 59.37.100", ...
  std::vector<std::string> alpha_encoders;  // encoders here that write alpha (prores_ks, ffv1, ...)
  bool h264 = false;                        // an H.264 encoder is available
};
Result<VideoLibraryInfo> video_library_info();

}  // namespace ck

#pragma GCC visibility pop
