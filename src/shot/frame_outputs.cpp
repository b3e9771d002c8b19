// A frame's files, as the original CorridorKey writes them: Matte, FG and Processed EXRs and a
// Comp PNG, named after the plate's frame.
#include <filesystem>
#include <future>

#include "corridorkey/colour.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/output_set.hpp"
#include "corridorkey/pending_outputs.hpp"
#include "corridorkey/shot.hpp"

namespace ck {

namespace fs = std::filesystem;

std::vector<std::string> frame_output_paths(const ShotOutputOptions& options, const std::string& name) {
  const fs::path dir(options.dir);
  std::vector<std::string> paths{(dir / "Matte" / (name + ".exr")).string(), (dir / "FG" / (name + ".exr")).string(),
                                 (dir / "Processed" / (name + ".exr")).string()};
  if (options.comp) paths.push_back((dir / "Comp" / (name + ".png")).string());
  return paths;
}

Status create_frame_output_folders(const ShotOutputOptions& options) {
  for (const char* sub : {"Matte", "FG", "Processed", "Comp"}) {
    if (!options.comp && std::string(sub) == "Comp") continue;
    CK_TRY(create_output_directories((fs::path(options.dir) / sub).string()));
  }
  return ok_status();
}

Status write_frame_outputs(const FrameResult& result, const std::string& name, const ShotOutputOptions& options) {
  Image fg_linear;
  if (options.fg_linear) {
    fg_linear = result.fg;
    for (float& v : fg_linear.pixels) v = srgb_to_linear(v);
  }
  WriteOptions exr;
  exr.format = options.exr_float ? SampleFormat::kFloat : SampleFormat::kHalf;
  exr.compression = !options.exr_compression.empty() ? options.exr_compression : options.exr_float ? "zip" : "pxr24";
  WriteOptions matte = exr, fg = exr, rgba = exr;
  matte.channel_names = {"Y"};
  fg.channel_names = {"R", "G", "B"};
  rgba.channel_names = {"R", "G", "B", "A"};
  const std::vector<std::string> paths = frame_output_paths(options, name);
  struct Output {
    const Image* image;
    WriteOptions options;
  };
  std::vector<Output> outputs{{&result.alpha, matte}, {options.fg_linear ? &fg_linear : &result.fg, fg},
                              {&result.processed, rgba}};
  WriteOptions png;
  png.png_compression = options.png_compression;
  if (options.comp) outputs.push_back({&result.comp, png});

  // Each encoder runs on one thread: the files are compressed concurrently, then renamed into
  // place together.
  OutputSet files;
  std::vector<std::future<Status>> writes;
  for (size_t i = 0; i < outputs.size(); ++i) {
    writes.push_back(std::async(std::launch::async, [&, i] {
      return add_image(files, paths[i], *outputs[i].image, outputs[i].options);
    }));
  }
  Status written = ok_status();
  for (auto& w : writes) {
    Status st = w.get();
    if (written.ok() && !st.ok()) written = std::move(st);
  }
  CK_TRY(written);
  return files.commit();
}

}  // namespace ck
