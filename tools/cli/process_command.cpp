// corridorkey process: keys frames as the original CorridorKey does and writes
// DIR/Matte/<name>.exr, DIR/FG/<name>.exr, DIR/Processed/<name>.exr and DIR/Comp/<name>.png:
// one frame (--image), or whole shots (clip folders, --input; process_shots.cpp).
#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "corridorkey/engine.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/pending_outputs.hpp"
#include "corridorkey/shot.hpp"
#include "clip_settings.hpp"
#include "process_options.hpp"

namespace ck::cli {

namespace {

namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Status run(const ProcessOptions& o) {
  CK_TRY(check_engine_flags(o.engine));
  const auto t0 = std::chrono::steady_clock::now();
  const ReadOptions limits{o.max_pixels};
  CK_ASSIGN(const Image plate, read_image(o.image, limits));
  std::vector<std::string> warnings;
  CK_ASSIGN(const FrameHint hint, hint_for_frame(plate, o.hint, o.screen, o.frame.input_is_linear, limits, warnings));
  for (const std::string& w : warnings) std::cerr << "corridorkey process: warning: " << w << "\n";
  const double read_s = seconds_since(t0);

  CK_ASSIGN(const std::string checkpoint, resolve_checkpoint(o.checkpoint));
  FrameOptions frame = o.frame;
  frame.auto_despeckle = !o.no_despeckle;
  frame.generate_comp = !o.no_comp;
  frame.screen = hint.screen;
  CK_TRY(validate_frame_options(frame));

  // Output folders first: an unwritable destination fails before minutes of keying.
  ShotOutputOptions outputs;
  outputs.dir = o.output_dir;
  outputs.comp = !o.no_comp;
  outputs.exr_float = o.exr_float;
  outputs.fg_linear = o.fg_linear;
  outputs.exr_compression = o.exr_compression;
  outputs.png_compression = o.png_compression;
  CK_TRY(create_frame_output_folders(outputs));

  const auto t_load = std::chrono::steady_clock::now();
  CK_ASSIGN(auto engine, engine_for_screen(hint.screen, checkpoint, resolve_blue_checkpoint(o.blue_checkpoint), o.engine));
  const double load_s = seconds_since(t_load);

  const auto t_key = std::chrono::steady_clock::now();
  CK_ASSIGN(FrameResult r, engine->process_frame(view_of(plate), view_of(hint.hint), frame));
  const double key_s = seconds_since(t_key);
  for (const std::string& w : r.warnings) std::cerr << "corridorkey process: warning: " << w << "\n";

  const auto t_write = std::chrono::steady_clock::now();
  CK_TRY(write_frame_outputs(r, fs::path(o.image).stem().string(), outputs));
  const double write_s = seconds_since(t_write);
  std::cout << "keyed " << o.image << " (" << plate.width << "x" << plate.height << ") at S=" << o.engine.img_size
            << " into " << o.output_dir << " (hint: " << hint.source << "): read " << read_s << " s, weights " << load_s << " s, keying "
            << key_s << " s (prepare " << r.prepare_s << " s, network " << r.network_s << " s, finish " << r.finish_s
            << " s), write " << write_s << " s\n";
  return ok_status();
}

}  // namespace

void add_process_command(CLI::App& app, std::function<int()>& run_fn) {
  auto o = std::make_shared<ProcessOptions>();
  CLI::App* cmd = app.add_subcommand(
      "process",
      "Key a shot or a frame: Matte, FG and Processed EXRs and a Comp PNG per frame.\n"
      "  process CLIP_DIR...                 clips in CorridorKey's layout (Input/, AlphaHint/, Output/), or folders of clips\n"
      "  process --input SEQ|VIDEO [--hint SEQ|VIDEO|IMAGE|auto] --output-dir DIR\n"
      "  process --image PLATE [--hint HINT|auto] --output-dir DIR     one frame");
  cmd->add_option("clips", o->clips, "clip folders (Input/ or Input.<video>, AlphaHint/ or AlphaHint.<ext>), or folders of clips");
  cmd->add_option("--input", o->input, "plate: a sequence pattern (plate.%04d.exr, plate.####.exr), a folder or a video");
  cmd->add_option("--image", o->image, "one plate image (PNG, JPEG, TIFF, EXR, DPX)");
  cmd->add_option("--hint", o->hint,
                  "coarse alpha hint: a sequence, a video, one image for every frame (first channel used), or auto "
                  "(made from the plate; the default when a clip has no AlphaHint or no --hint is given)");
  add_screen_options(*cmd, o->screen, o->blue_checkpoint);
  cmd->add_option("--output-dir", o->output_dir, "output folder (Matte/, FG/, Processed/, Comp/ inside)");
  cmd->add_option("--checkpoint", o->checkpoint, "weights: .pth or safetensors (default: $CORRIDORKEY_CHECKPOINT)");
  add_engine_options(*cmd, o->engine);
  add_max_pixels_option(*cmd, o->max_pixels);
  cmd->add_flag("--linear", o->frame.input_is_linear, "the plate is scene-linear Rec.709 (typical for EXR), not sRGB");
  cmd->add_option("--despill", o->frame.despill_strength, "despill strength in [0, 1]")->capture_default_str();
  cmd->add_flag("--no-despeckle", o->no_despeckle, "keep small islands of matte");
  cmd->add_option("--despeckle-size", o->frame.despeckle_size, "smallest kept island, in pixels")
      ->capture_default_str();
  cmd->add_option("--refiner-scale", o->frame.refiner_scale, "weight of the refiner's corrections (0: coarse only)")
      ->capture_default_str();
  cmd->add_flag("--no-comp", o->no_comp, "do not write the checkerboard composite");
  cmd->add_flag("--exr-float", o->exr_float, "write 32-bit float EXR (default: half with PXR24 compression)");
  cmd->add_option("--exr-compression", o->exr_compression,
                  "EXR compression (default: pxr24 for half, zip for --exr-float, as the original)")
      ->check(CLI::IsMember({"pxr24", "zip", "zips", "piz", "dwaa", "dwab", "b44", "b44a", "rle", "none"}));
  cmd->add_option("--png-compression", o->png_compression, "Comp PNG's zlib level, 0-9 (default 1, as OpenCV writes)")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  cmd->add_flag("--fg-linear", o->fg_linear,
                "write FG linearised (default: sRGB-encoded values, as the original CorridorKey writes them)");
  // Shots.
  cmd->add_option("--frames", o->frames, "frames to key, inclusive input frame numbers: 1001-1100[,1200-1250]");
  cmd->add_flag("--skip-existing", o->skip_existing, "do not key frames whose outputs exist (default for clips)");
  cmd->add_flag("--overwrite", o->overwrite, "key every frame again, replacing existing outputs");
  cmd->add_flag("--force", o->force, "write into outputs made with other settings (the run manifest differs)");
  cmd->add_option("--video-out", o->video_out, "also write the key as video: prores (ProRes 4444 MOV) or ffv1 (FFV1 MKV)")
      ->check(CLI::IsMember({"prores", "ffv1"}));
  cmd->add_flag("--preview", o->preview, "also write an H.264 MP4 of the composite");
  cmd->add_option("--fps", o->fps, "frame rate of the videos written (default: the plate video's, else 24)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--input-colorspace", o->input_colorspace, "the plate's OpenColorIO colour space (e.g. ARRI LogC3, ACEScct)");
  cmd->add_option("--output-colorspace", o->output_colorspace, "convert Processed to this OpenColorIO colour space");
  cmd->add_option("--working-colorspace", o->working_colorspace,
                  "the config's linear Rec.709 space (default: found by its usual names)");
  cmd->add_option("--ocio-config", o->ocio_config, "OpenColorIO config (default: $OCIO)");
  cmd->add_option("--queue-depth", o->queue_depth, "frames held by each of the read-ahead and write-behind queues")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "progress as NDJSON events on stdout");
  cmd->add_flag("--no-progress", o->no_progress, "plain lines instead of a progress bar on a terminal");
  cmd->callback([o, cmd, &run_fn] {
    for (const std::string& flag : kClipSettingFlags) {
      if (cmd->count(flag) > 0) o->given_flags.insert(flag);
    }
    const int forms = (o->clips.empty() ? 0 : 1) + (o->input.empty() ? 0 : 1) + (o->image.empty() ? 0 : 1);
    if (forms != 1) {
      throw CLI::ValidationError("process", "give clip folders, --input or --image (one of them)");
    }
    if (!o->image.empty()) {
      if (o->output_dir.empty()) throw CLI::ValidationError("process", "--image needs --output-dir");
      run_fn = exit_code_of("process", [o] { return run(*o); });
    } else {
      run_fn = [o] { return run_shots(*o); };
    }
  });
}

}  // namespace ck::cli
