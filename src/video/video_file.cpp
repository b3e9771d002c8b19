// open_video / create_video through the video module (video_io_module.hpp), loaded the first
// time a video is opened or written. A video being written is a registered temporary beside
// its target (corridorkey/pending_outputs.hpp): renamed into place when finished, removed on a
// failure or an interrupt, like every other output.
#include "corridorkey/video_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/loadable_module.hpp"
#include "corridorkey/pending_outputs.hpp"
#include "video/video_io_module.hpp"

namespace ck {

namespace {

Result<const VideoIoModule*> video_io() {
  static const Result<const void*> loaded = load_module_table(  // once, thread-safe
      CK_MODULE_LOCATION(CK_VIDEO_IO_MODULE), "ck_video_io_module", kVideoIoModuleVersion, "video support (FFmpeg's libraries)");
  if (!loaded.ok()) return loaded.error();
  return static_cast<const VideoIoModule*>(loaded.value());
}

Status sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return err(ErrorCode::kIo, "cannot reopen '", path, "': ", std::strerror(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return err(ErrorCode::kIo, "cannot write '", path, "' to disk: ", std::strerror(saved));
  return ok_status();
}

class DurableVideoWriter final : public VideoWriter {
 public:
  DurableVideoWriter(std::string target, std::string temporary, std::unique_ptr<VideoEncoder> encoder)
      : target_(std::move(target)), temporary_(std::move(temporary)), encoder_(std::move(encoder)) {}
  ~DurableVideoWriter() override {
    encoder_.reset();
    if (!finished_) {
      ::unlink(temporary_.c_str());
      forget_temporary(temporary_);
    }
  }

  Status write(const Image& frame, double time_s) override { return encoder_->write(frame, time_s); }

  Status finish() override {
    CK_TRY(encoder_->finish());
    encoder_.reset();
    CK_TRY(sync_file(temporary_));
    {
      const auto commits = lock_commits();
      if (std::rename(temporary_.c_str(), target_.c_str()) != 0) {
        return err(ErrorCode::kIo, "cannot move the finished video into '", target_, "': ", std::strerror(errno));
      }
      forget_temporary(temporary_);
      finished_ = true;
    }
    return sync_directory(std::filesystem::path(target_).parent_path().string());
  }

 private:
  std::string target_, temporary_;
  std::unique_ptr<VideoEncoder> encoder_;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<VideoReader>> open_video(const std::string& path, const ReadOptions& options) {
  CK_ASSIGN(const VideoIoModule* io, video_io());
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return err(ErrorCode::kIo, "no video file '", path, "'");
  return io->open_reader(path, options);
}

Result<std::unique_ptr<VideoWriter>> create_video(const std::string& path, const VideoWriteOptions& options) {
  CK_ASSIGN(const VideoIoModule* io, video_io());
  std::string temporary;
  {
    // The registered temporary is created here; the encoder writes it by name.
    CK_ASSIGN(FileSink placeholder, create_temporary_beside(path));
    temporary = placeholder.path();
  }
  auto encoder = io->open_encoder(temporary, options);
  if (!encoder.ok()) {
    ::unlink(temporary.c_str());
    forget_temporary(temporary);
    return encoder.error();
  }
  return std::unique_ptr<VideoWriter>(new DurableVideoWriter(path, temporary, std::move(encoder).value()));
}

Result<VideoLibraryInfo> video_library_info() {
  CK_ASSIGN(const VideoIoModule* io, video_io());
  return io->library_info();
}

}  // namespace ck
