// The sources a shot's frames are read from: a numbered sequence, a video, or one still image.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "corridorkey/frames.hpp"
#include "corridorkey/video_file.hpp"

namespace ck {

namespace fs = std::filesystem;

namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

class SequenceSource final : public FrameSource {
 public:
  SequenceSource(SequencePattern pattern, std::map<int64_t, std::string> files, ReadOptions options)
      : pattern_(std::move(pattern)), files_(std::move(files)), options_(options) {
    for (const auto& [frame, path] : files_) frames_.push_back(frame);
  }
  const std::vector<int64_t>& frames() const override { return frames_; }
  Result<Image> read(int64_t frame) override {
    const auto it = files_.find(frame);
    if (it == files_.end()) return err(ErrorCode::kIo, "frame ", frame, " is missing: no file '", pattern_.path_of(frame), "'");
    return read_image(it->second, options_);
  }
  std::string describe(int64_t frame) const override {
    const auto it = files_.find(frame);
    return it != files_.end() ? it->second : pattern_.path_of(frame);
  }
  std::string output_name(int64_t frame) const override { return fs::path(describe(frame)).stem().string(); }

 private:
  SequencePattern pattern_;
  std::map<int64_t, std::string> files_;
  std::vector<int64_t> frames_;
  ReadOptions options_;
};

class StillSource final : public FrameSource {
 public:
  StillSource(std::string path, Image image) : path_(std::move(path)), image_(std::move(image)) {}
  const std::vector<int64_t>& frames() const override { return none_; }
  bool is_still() const override { return true; }
  Result<Image> read(int64_t) override { return image_; }
  std::string describe(int64_t) const override { return path_; }
  std::string output_name(int64_t) const override { return fs::path(path_).stem().string(); }

 private:
  std::string path_;
  Image image_;
  std::vector<int64_t> none_;
};

// Frames 0 .. n-1 in presentation order. Reading goes forward; a frame behind the decoder
// reopens the file.
class VideoSource final : public FrameSource {
 public:
  static Result<std::unique_ptr<FrameSource>> open(const std::string& path, const ReadOptions& options) {
    CK_ASSIGN(auto reader, open_video(path, options));
    auto source = std::unique_ptr<VideoSource>(new VideoSource(path, options, std::move(reader)));
    for (int64_t i = 0; i < source->reader_->info().frame_count; ++i) source->frames_.push_back(i);
    return std::unique_ptr<FrameSource>(std::move(source));
  }
  const std::vector<int64_t>& frames() const override { return frames_; }
  Result<Image> read(int64_t frame) override {
    if (frame < 0 || frame >= static_cast<int64_t>(frames_.size())) {
      return err(ErrorCode::kIo, describe(frame), " does not exist: the video has ", frames_.size(), " frames");
    }
    if (frame < next_) {
      CK_ASSIGN(reader_, open_video(path_, options_));
      next_ = 0;
    }
    while (next_ < frame) {
      const Status skipped = reader_->skip();
      ++next_;
      CK_TRY(skipped);
    }
    ++next_;
    return reader_->next();
  }
  std::string describe(int64_t frame) const override { return path_ + " frame " + std::to_string(frame); }
  std::string output_name(int64_t frame) const override {
    char digits[32];
    std::snprintf(digits, sizeof digits, "%06lld", static_cast<long long>(frame));
    return fs::path(path_).stem().string() + "." + digits;
  }
  double frame_rate() const override { return reader_->info().frame_rate; }
  double frame_time(int64_t frame) const override {
    const std::vector<double>& times = reader_->info().times;
    return frame >= 0 && frame < static_cast<int64_t>(times.size()) ? times[static_cast<size_t>(frame)] : -1;
  }

 private:
  VideoSource(std::string path, ReadOptions options, std::unique_ptr<VideoReader> reader)
      : path_(std::move(path)), options_(options), reader_(std::move(reader)) {}
  std::string path_;
  ReadOptions options_;
  std::unique_ptr<VideoReader> reader_;
  std::vector<int64_t> frames_;
  int64_t next_ = 0;
};

}  // namespace

bool is_video_path(const std::string& path) {
  static const char* kVideo[] = {".mov", ".mp4", ".m4v", ".mkv", ".avi", ".mxf", ".webm", ".mpg", ".mpeg", ".ts"};
  const std::string ext = lower_extension(path);
  return std::find(std::begin(kVideo), std::end(kVideo), ext) != std::end(kVideo);
}

Result<std::unique_ptr<FrameSource>> open_frame_source(const std::string& spec, const ReadOptions& options) {
  std::error_code ec;
  if (SequencePattern::looks_like_pattern(spec) && !fs::exists(spec, ec)) {
    CK_ASSIGN(SequencePattern pattern, SequencePattern::parse(spec));
    CK_ASSIGN(auto files, pattern.list());
    if (files.empty()) return err(ErrorCode::kIo, "no files match '", spec, "'");
    return std::unique_ptr<FrameSource>(new SequenceSource(std::move(pattern), std::move(files), options));
  }
  if (fs::is_directory(spec, ec)) {
    CK_ASSIGN(SequencePattern pattern, find_sequence_in_folder(spec));
    CK_ASSIGN(auto files, pattern.list());
    return std::unique_ptr<FrameSource>(new SequenceSource(std::move(pattern), std::move(files), options));
  }
  if (is_video_path(spec)) return VideoSource::open(spec, options);
  CK_ASSIGN(Image image, read_image(spec, options));
  return std::unique_ptr<FrameSource>(new StillSource(spec, std::move(image)));
}

}  // namespace ck
