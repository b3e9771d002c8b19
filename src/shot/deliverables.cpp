#include "shot/deliverables.hpp"

#include <filesystem>

#include "corridorkey/colour.hpp"
#include "corridorkey/image_file.hpp"

namespace ck {

namespace fs = std::filesystem;

Image deliverable_key_frame(const Image& processed) {
  Image out = processed;
  for (size_t i = 0; i + 3 < out.pixels.size(); i += 4) {
    const float a = processed.pixels[i + 3];
    for (int c = 0; c < 3; ++c) {
      const float straight = a > 1e-6f ? processed.pixels[i + c] / a : 0.0f;
      out.pixels[i + c] = linear_to_srgb(straight);
    }
  }
  return out;
}

Result<std::vector<std::string>> write_deliverables(const ShotJob& job, const std::vector<int64_t>& frames) {
  std::vector<std::string> written;
  if (job.output.deliverables.empty() || frames.empty()) return written;
  const double rate = job.output.frame_rate > 0        ? job.output.frame_rate
                      : job.plate->frame_rate() > 0    ? job.plate->frame_rate()
                                                       : 24.0;
  const double start = job.plate->frame_time(frames.front());
  for (VideoCodec codec : job.output.deliverables) {
    const bool key = codec != VideoCodec::kH264;
    if (!key && !job.output.comp) {
      return err(ErrorCode::kInvalidArgument, "the H.264 preview is made from Comp/, which --no-comp leaves out");
    }
    const char* suffix = codec == VideoCodec::kProRes4444 ? "_key.mov" : codec == VideoCodec::kFfv1 ? "_key.mkv" : "_comp.mp4";
    const std::string path = (fs::path(job.output.dir) / (job.name + suffix)).string();
    std::unique_ptr<VideoWriter> writer;
    for (int64_t frame : frames) {
      const std::vector<std::string> files = frame_output_paths(job.output, job.plate->output_name(frame));
      CK_ASSIGN(Image image, read_image(key ? files[2] : files[3]));
      if (key) image = deliverable_key_frame(image);
      if (!writer) {
        VideoWriteOptions options;
        options.codec = codec;
        options.width = image.width;
        options.height = image.height;
        options.frame_rate = rate;
        CK_ASSIGN(writer, create_video(path, options));
      }
      const double t = job.plate->frame_time(frame);
      CK_TRY(writer->write(image, t >= 0 && start >= 0 ? t - start : -1));
    }
    CK_TRY(writer->finish());
    written.push_back(path);
  }
  return written;
}

}  // namespace ck
