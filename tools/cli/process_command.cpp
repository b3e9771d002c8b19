// corridorkey process: keys one frame as the original CorridorKey does and writes
// DIR/Matte/<name>.exr, DIR/FG/<name>.exr, DIR/Processed/<name>.exr and DIR/Comp/<name>.png.
#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "corridorkey/colour.hpp"
#include "corridorkey/engine.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/pending_outputs.hpp"

namespace ck::cli {

namespace {

namespace fs = std::filesystem;

struct ProcessOptions {
  std::string image, hint, checkpoint, output_dir;
  EngineOptions engine;
  int64_t max_pixels = 0;
  FrameOptions frame;
  bool no_despeckle = false, no_comp = false, exr_float = false, fg_linear = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Output {
  std::string path;
  const Image* image;
  WriteOptions options;
};

Status run(const ProcessOptions& o) {
  CK_TRY(check_engine_flags(o.engine));
  const auto t0 = std::chrono::steady_clock::now();
  const ReadOptions limits{o.max_pixels};
  CK_ASSIGN(const Image plate, read_image(o.image, limits));
  CK_ASSIGN(const Image hint, read_image(o.hint, limits));
  const double read_s = seconds_since(t0);

  CK_ASSIGN(const std::string checkpoint, resolve_checkpoint(o.checkpoint));
  FrameOptions frame = o.frame;
  frame.auto_despeckle = !o.no_despeckle;
  frame.generate_comp = !o.no_comp;
  CK_TRY(validate_frame_options(frame));

  // Output folders first: an unwritable destination fails before minutes of keying.
  const fs::path dir(o.output_dir);
  for (const char* sub : {"Matte", "FG", "Processed", "Comp"}) {
    if (o.no_comp && std::string(sub) == "Comp") continue;
    CK_TRY(create_output_directories((dir / sub).string()));
  }

  const auto t_load = std::chrono::steady_clock::now();
  CK_ASSIGN(auto engine, Engine::create(checkpoint, o.engine));
  const double load_s = seconds_since(t_load);

  const auto t_key = std::chrono::steady_clock::now();
  CK_ASSIGN(FrameResult r, engine->process_frame(view_of(plate), view_of(hint), frame));
  const double key_s = seconds_since(t_key);
  for (const std::string& w : r.warnings) std::cerr << "corridorkey process: warning: " << w << "\n";
  if (o.fg_linear) {
    for (float& v : r.fg.pixels) v = srgb_to_linear(v);
  }

  const std::string name = fs::path(o.image).stem().string();
  WriteOptions exr;
  exr.format = o.exr_float ? SampleFormat::kFloat : SampleFormat::kHalf;
  exr.compression = o.exr_float ? "zip" : "pxr24";
  WriteOptions matte = exr, fg = exr, rgba = exr;
  matte.channel_names = {"Y"};
  fg.channel_names = {"R", "G", "B"};
  rgba.channel_names = {"R", "G", "B", "A"};
  std::vector<Output> outputs{{(dir / "Matte" / (name + ".exr")).string(), &r.alpha, matte},
                              {(dir / "FG" / (name + ".exr")).string(), &r.fg, fg},
                              {(dir / "Processed" / (name + ".exr")).string(), &r.processed, rgba}};
  if (!o.no_comp) outputs.push_back({(dir / "Comp" / (name + ".png")).string(), &r.comp, {}});

  const auto t_write = std::chrono::steady_clock::now();
  // The files are compressed and written concurrently (each encoder runs on one thread),
  // then renamed into place together: a frame's outputs are all there or none is.
  OutputSet frame_files;
  std::vector<std::future<Status>> writes;
  for (const Output& out : outputs) {
    writes.push_back(std::async(std::launch::async,
                                [&out, &frame_files] { return add_image(frame_files, out.path, *out.image, out.options); }));
  }
  Status written = ok_status();
  for (auto& w : writes) {
    Status st = w.get();
    if (written.ok() && !st.ok()) written = std::move(st);
  }
  CK_TRY(written);
  CK_TRY(frame_files.commit());
  const double write_s = seconds_since(t_write);
  std::cout << "keyed " << o.image << " (" << plate.width << "x" << plate.height << ") at S=" << o.engine.img_size
            << " into " << o.output_dir << ": read " << read_s << " s, weights " << load_s << " s, keying "
            << key_s << " s (prepare " << r.prepare_s << " s, network " << r.network_s << " s, finish " << r.finish_s
            << " s), write " << write_s << " s\n";
  return ok_status();
}

}  // namespace

void add_process_command(CLI::App& app, std::function<int()>& run_fn) {
  auto o = std::make_shared<ProcessOptions>();
  CLI::App* cmd = app.add_subcommand("process", "Key one frame: Matte, FG and Processed EXRs and a Comp PNG");
  cmd->add_option("--image", o->image, "plate (PNG, JPEG, TIFF, EXR, DPX)")->required();
  cmd->add_option("--hint", o->hint, "coarse alpha hint (first channel used)")->required();
  cmd->add_option("--output-dir", o->output_dir, "output folder (Matte/, FG/, Processed/, Comp/ inside)")->required();
  cmd->add_option("--checkpoint", o->checkpoint, "weights: .pth or safetensors (default: $CORRIDORKEY_CHECKPOINT)");
  add_engine_options(*cmd, o->engine);
  add_max_pixels_option(*cmd, o->max_pixels);
  cmd->add_flag("--linear", o->frame.input_is_linear, "the plate is scene-linear (typical for EXR), not sRGB");
  cmd->add_option("--despill", o->frame.despill_strength, "despill strength in [0, 1]")->capture_default_str();
  cmd->add_flag("--no-despeckle", o->no_despeckle, "keep small islands of matte");
  cmd->add_option("--despeckle-size", o->frame.despeckle_size, "smallest kept island, in pixels")
      ->capture_default_str();
  cmd->add_option("--refiner-scale", o->frame.refiner_scale, "weight of the refiner's corrections (0: coarse only)")
      ->capture_default_str();
  cmd->add_flag("--no-comp", o->no_comp, "do not write the checkerboard composite");
  cmd->add_flag("--exr-float", o->exr_float, "write 32-bit float EXR (default: half with PXR24 compression)");
  cmd->add_flag("--fg-linear", o->fg_linear,
                "write FG linearised (default: sRGB-encoded values, as the original CorridorKey writes them)");
  cmd->callback([o, &run_fn] { run_fn = exit_code_of("process", [o] { return run(*o); }); });
}

}  // namespace ck::cli
