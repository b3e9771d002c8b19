// A shot's outputs checked frame by frame, and its deliverables made from them.
#include <filesystem>

#include "corridorkey/image_file.hpp"
#include "corridorkey/shot.hpp"
#include "shot/deliverables.hpp"

namespace ck {

namespace fs = std::filesystem;

namespace {

std::vector<int64_t> selected_frames(const ShotJob& job) {
  std::vector<int64_t> frames;
  for (int64_t f : job.plate->frames()) {
    if (frame_selected(job.frames, f)) frames.push_back(f);
  }
  return frames;
}

}  // namespace

Result<ShotCheck> check_shot_outputs(const ShotJob& job) {
  if (!job.plate) return err(ErrorCode::kInvalidArgument, "a shot check needs the plate source");
  ShotCheck check;
  for (int64_t frame : selected_frames(job)) {
    ++check.total;
    const std::vector<std::string> files = frame_output_paths(job.output, job.plate->output_name(frame));
    bool present = true;
    std::error_code ec;
    for (const std::string& file : files) present = present && fs::exists(file, ec);
    if (!present) {
      check.missing.push_back(frame);
      continue;
    }
    for (const std::string& file : files) {
      const Result<Image> decoded = read_image(file);
      if (!decoded.ok()) {
        check.unreadable.emplace_back(frame, decoded.error().message);
        break;
      }
    }
  }
  return check;
}

Result<std::vector<std::string>> write_shot_deliverables(const ShotJob& job) {
  if (!job.plate) return err(ErrorCode::kInvalidArgument, "deliverables need the plate source");
  return write_deliverables(job, selected_frames(job));
}

}  // namespace ck
