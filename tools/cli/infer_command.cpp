// corridorkey infer: keys one plate with its alpha hint through the network and writes the
// raw alpha.png and foreground.png at the plate's size (8-bit), optionally every stage tensor.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "backends/backend.hpp"
#include "commands.hpp"
#include "core/pending_outputs.hpp"
#include "image/resample.hpp"
#include "pipeline/frame_steps.hpp"
#include "io/image_file.hpp"
#include "model/greenformer.hpp"
#include "weights/checkpoint.hpp"
#include "weights/safetensors.hpp"

namespace ck::cli {

namespace {

struct InferOptions {
  std::string image, hint, checkpoint, output_dir = ".", dump_tensors;
  int img_size = 512;
  int threads = 0;
  Precision precision = Precision::kFP32;
  int buffer_cache_mib = -1;
  int64_t max_pixels = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Status run(const InferOptions& o) {
  if (o.img_size <= 0 || o.img_size % 32 != 0) {
    return err(ErrorCode::kInvalidArgument, "--img-size ", o.img_size, " is not a positive multiple of 32");
  }
  CK_ASSIGN(const std::string checkpoint, resolve_checkpoint(o.checkpoint));
  const ReadOptions limits{o.max_pixels};
  CK_ASSIGN(const Image plate_image, read_image(o.image, limits));
  CK_ASSIGN(const Image hint_image, read_image(o.hint, limits));
  CK_ASSIGN(const Planar plate, view_to_planar(view_of(plate_image), 0, 3, "plate"));
  CK_ASSIGN(Planar hint, view_to_planar(view_of(hint_image), 0, 1, "hint"));
  if (hint.width != plate.width || hint.height != plate.height) {
    std::cerr << "corridorkey infer: warning: hint '" << o.hint << "' is " << hint.width << "x" << hint.height
              << ", the plate is " << plate.width << "x" << plate.height << "; resizing the hint (bilinear)\n";
    hint = resample(hint, plate.width, plate.height, ResampleFilter::kAntialiasedBilinear);
  }

  auto backend = make_cpu_backend();
  if (o.threads > 0) backend->set_num_threads(o.threads);
  const auto t_load = std::chrono::steady_clock::now();
  // The checkpoint's tensors the network does not keep (the resized pos_embed's source) go
  // with it once the network is built.
  auto net = [&]() -> Result<GreenFormer> {
    CK_ASSIGN(const Checkpoint ck, load_checkpoint(checkpoint));
    return GreenFormer::create(ck.tensors, o.img_size, *backend, o.precision);
  }();
  if (!net.ok()) return err(net.error().code, "'", checkpoint, "': ", net.error().message);
  const double load_s = seconds_since(t_load);
  prepare_buffer_pool(o.buffer_cache_mib);

  // The frame pipeline's resizes (antialiased bilinear to S, Lanczos-4 back), without its
  // despeckle, despill and composite: the network's raw alpha and foreground.
  CK_ASSIGN(const Tensor x, normalise_network_input(prepare_network_planes(plate, hint, o.img_size, false)));
  StageTensors stages;
  const auto t_net = std::chrono::steady_clock::now();
  CK_ASSIGN(const GreenFormerOutput out, net->forward(x, o.dump_tensors.empty() ? nullptr : &stages));
  const double net_s = seconds_since(t_net);
  const auto back = [&](const Tensor& map) {
    const int64_t c = map.size(1), s = o.img_size;
    const Planar p{o.img_size, o.img_size, static_cast<int>(c),
                   std::vector<float>(map.data<float>(), map.data<float>() + c * s * s)};
    return to_interleaved(resample(p, plate.width, plate.height, ResampleFilter::kLanczos4));
  };
  const Image alpha = back(out.alpha), fg = back(out.fg);
  CK_TRY(create_output_directories(o.output_dir));
  const std::string alpha_path = (std::filesystem::path(o.output_dir) / "alpha.png").string();
  const std::string fg_path = (std::filesystem::path(o.output_dir) / "foreground.png").string();
  // The outputs appear together or not at all.
  OutputSet files;
  CK_TRY(add_image(files, alpha_path, alpha, {}));
  CK_TRY(add_image(files, fg_path, fg, {}));
  if (!o.dump_tensors.empty()) {
    StateDict dump(stages.begin(), stages.end());
    CK_TRY(add_safetensors(files, o.dump_tensors, dump, {{"img_size", std::to_string(o.img_size)}}));
  }
  CK_TRY(files.commit());
  std::cout << "keyed " << o.image << " (" << plate.width << "x" << plate.height << ") at S=" << o.img_size
            << ": weights " << load_s << " s, network " << net_s << " s -> " << alpha_path << ", " << fg_path
            << (o.dump_tensors.empty() ? "" : ", " + o.dump_tensors) << "\n";
  return ok_status();
}

}  // namespace

void add_infer_command(CLI::App& app, std::function<int()>& run_fn) {
  auto opts = std::make_shared<InferOptions>();
  CLI::App* cmd = app.add_subcommand("infer", "Key one image with its alpha hint; write alpha.png and foreground.png");
  cmd->add_option("--image", opts->image, "plate (RGB image)")->required();
  cmd->add_option("--hint", opts->hint, "coarse alpha hint (first channel used)")->required();
  cmd->add_option("--checkpoint", opts->checkpoint,
                  "weights: .pth or safetensors (default: $CORRIDORKEY_CHECKPOINT)");
  cmd->add_option("--img-size", opts->img_size, "network resolution S, a multiple of 32")->capture_default_str();
  cmd->add_option("--output-dir", opts->output_dir, "where alpha.png and foreground.png go")->capture_default_str();
  cmd->add_option("--dump-tensors", opts->dump_tensors, "also write every stage tensor to this safetensors file");
  cmd->add_option("--threads", opts->threads, "CPU threads (default: all cores)");
  add_precision_option(*cmd, opts->precision);
  add_buffer_cache_option(*cmd, opts->buffer_cache_mib);
  add_max_pixels_option(*cmd, opts->max_pixels);
  cmd->callback([opts, &run_fn] { run_fn = exit_code_of("infer", [opts] { return run(*opts); }); });
}

}  // namespace ck::cli
