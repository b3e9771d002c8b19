// Frames of a shot: frame ranges as render farms and artists write them, numbered image
// sequences (`plate.%04d.exr`, `plate.####.exr`), and the sources a shot's frames are read
// from (a sequence, a video, or one still image serving every frame).
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "corridorkey/image.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/status.hpp"

namespace ck {

// An inclusive range of frame numbers, as `--frames 1001-1100` and every render farm write it.
struct FrameRange {
  int64_t first = 0, last = 0;
  bool contains(int64_t frame) const { return frame >= first && frame <= last; }
};

// "1001-1100,1200-1250", "7", "-3--1" (negative numbers allowed); ranges may not be reversed.
Result<std::vector<FrameRange>> parse_frame_ranges(const std::string& text);
// True when `ranges` is empty (every frame) or one of them contains `frame`.
bool frame_selected(const std::vector<FrameRange>& ranges, int64_t frame);

// A numbered file name: `%04d`, `%d` or a run of `#` (as many digits as marks, at least;
// longer numbers are accepted as written) in the file name, not in its folder.
class SequencePattern {
 public:
  static Result<SequencePattern> parse(const std::string& pattern);
  // True when `text` holds a frame-number placeholder.
  static bool looks_like_pattern(const std::string& text);

  std::string path_of(int64_t frame) const;
  // The frames whose files exist, by number (a number written with fewer digits than the
  // padding, or two files for one number, is an error naming them).
  Result<std::map<int64_t, std::string>> list() const;
  const std::string& text() const { return text_; }

 private:
  std::string text_, folder_, prefix_, suffix_;
  int padding_ = 0;
};

// The one numbered sequence of images in a folder (e.g. a clip's Input/): its pattern, or an
// error naming the folder when it holds none or several.
Result<SequencePattern> find_sequence_in_folder(const std::string& folder);

// Where a shot's frames come from. Frames are asked for in increasing order (a video decodes
// forward); read() of a frame the source lacks is an error naming it.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Every frame number the source holds, increasing; empty for a still (it has them all).
  virtual const std::vector<int64_t>& frames() const = 0;
  virtual bool is_still() const { return false; }
  virtual Result<Image> read(int64_t frame) = 0;
  // What read(frame) reads, for messages and output names: a file, or "clip.mov frame 12".
  virtual std::string describe(int64_t frame) const = 0;
  // The name a frame's outputs take (`plate.1001` for plate.1001.exr; `clip.000012` for a video).
  virtual std::string output_name(int64_t frame) const = 0;
  // Frames per second when the source knows it (video), else 0.
  virtual double frame_rate() const { return 0; }
  // A frame's presentation time in seconds when the source has one (video, rate variable or
  // not), else -1.
  virtual double frame_time(int64_t frame) const { return -1; }
};

// Opens `spec`: a sequence pattern, a folder holding one sequence, a video file (by its
// extension: mov, mp4, m4v, mkv, avi, mxf, webm, mpg, ts) or a single image (a still).
Result<std::unique_ptr<FrameSource>> open_frame_source(const std::string& spec, const ReadOptions& options = {});
// True when `path`'s extension names a video container.
bool is_video_path(const std::string& path);

}  // namespace ck

#pragma GCC visibility pop
