// corridorkey infer: keys one plate with its alpha hint through the network and writes the
// raw alpha.png and foreground.png at the plate's size (8-bit), optionally every stage tensor.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "corridorkey/engine.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/pending_outputs.hpp"
#include "corridorkey/weights_files.hpp"

namespace ck::cli {

namespace {

struct InferOptions {
  std::string image, hint, checkpoint, output_dir = ".", dump_tensors, screen = "auto", blue_checkpoint;
  EngineOptions engine;
  int64_t max_pixels = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Keeps every stage tensor of the frame's network evaluation.
class StageCollector : public NetworkObserver {
 public:
  bool wants_stage_tensors() const override { return true; }
  void on_stage_tensor(StageTensor tensor) override { tensors.push_back(std::move(tensor)); }
  std::vector<StageTensor> tensors;
};

Status run(const InferOptions& o) {
  CK_TRY(check_engine_flags(o.engine));
  CK_ASSIGN(const std::string checkpoint, resolve_checkpoint(o.checkpoint));
  const ReadOptions limits{o.max_pixels};
  CK_ASSIGN(const Image plate, read_image(o.image, limits));
  std::vector<std::string> hint_warnings;
  CK_ASSIGN(const FrameHint hint, hint_for_frame(plate, o.hint, o.screen, false, limits, hint_warnings));
  for (const std::string& w : hint_warnings) std::cerr << "corridorkey infer: warning: " << w << "\n";

  const auto t_load = std::chrono::steady_clock::now();
  CK_ASSIGN(const auto engine,
            engine_for_screen(hint.screen, checkpoint, resolve_blue_checkpoint(o.blue_checkpoint), o.engine));
  const double load_s = seconds_since(t_load);

  // The frame pipeline's resizes (antialiased bilinear to S, Lanczos-4 back): its alpha and
  // fg outputs are the network's raw alpha and foreground at the plate's size.
  FrameOptions frame;
  frame.auto_despeckle = false;
  frame.generate_comp = false;
  frame.screen = hint.screen;
  StageCollector stages;
  CK_ASSIGN(const FrameResult r,
            engine->process_frame(view_of(plate), view_of(hint.hint), frame, o.dump_tensors.empty() ? nullptr : &stages));
  for (const std::string& w : r.warnings) {
    std::cerr << "corridorkey infer: warning: " << w << " (" << hint.source << ")\n";
  }

  CK_TRY(create_output_directories(o.output_dir));
  const std::string alpha_path = (std::filesystem::path(o.output_dir) / "alpha.png").string();
  const std::string fg_path = (std::filesystem::path(o.output_dir) / "foreground.png").string();
  // The outputs appear together or not at all.
  OutputSet files;
  CK_TRY(add_image(files, alpha_path, r.alpha, {}));
  CK_TRY(add_image(files, fg_path, r.fg, {}));
  if (!o.dump_tensors.empty()) {
    CK_TRY(add_stage_tensors(files, o.dump_tensors, stages.tensors,
                             {{"img_size", std::to_string(o.engine.img_size)}}));
  }
  CK_TRY(files.commit());
  std::cout << "keyed " << o.image << " (" << plate.width << "x" << plate.height << ") at S=" << o.engine.img_size
            << ": weights " << load_s << " s, network " << r.network_s << " s -> " << alpha_path << ", " << fg_path
            << (o.dump_tensors.empty() ? "" : ", " + o.dump_tensors) << "\n";
  return ok_status();
}

}  // namespace

void add_infer_command(CLI::App& app, std::function<int()>& run_fn) {
  auto opts = std::make_shared<InferOptions>();
  CLI::App* cmd = app.add_subcommand("infer", "Key one image with its alpha hint; write alpha.png and foreground.png");
  cmd->add_option("--image", opts->image, "plate (RGB image)")->required();
  cmd->add_option("--hint", opts->hint, "coarse alpha hint (first channel used), or auto (the default: made from the plate)");
  add_screen_options(*cmd, opts->screen, opts->blue_checkpoint);
  cmd->add_option("--checkpoint", opts->checkpoint,
                  "weights: .pth or safetensors (default: $CORRIDORKEY_CHECKPOINT)");
  cmd->add_option("--output-dir", opts->output_dir, "where alpha.png and foreground.png go")->capture_default_str();
  cmd->add_option("--dump-tensors", opts->dump_tensors, "also write every stage tensor to this safetensors file");
  add_engine_options(*cmd, opts->engine);
  add_max_pixels_option(*cmd, opts->max_pixels);
  cmd->callback([opts, &run_fn] { run_fn = exit_code_of("infer", [opts] { return run(*opts); }); });
}

}  // namespace ck::cli
