// corridorkey hint: automatic alpha hints written as files, for artists who touch them up
// before keying (the same hints `process` makes when a clip has no AlphaHint/).
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "corridorkey/alpha_hint.hpp"
#include "corridorkey/frames.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/pending_outputs.hpp"

namespace ck::cli {

namespace {

namespace fs = std::filesystem;

struct HintCommandOptions {
  std::vector<std::string> clips;
  std::string input, output_dir, screen = "auto";
  HintOptions hint;
  bool linear = false, overwrite = false, key = false;
  int64_t max_pixels = 0;
};

// Hints for every frame of `input`, into `output_dir` as 16-bit PNGs named like the plate's frames.
Status write_hints(const HintCommandOptions& o, const std::string& input, const std::string& output_dir) {
  const ReadOptions limits{o.max_pixels};
  CK_ASSIGN(std::unique_ptr<FrameSource> plate, open_frame_source(input, limits));
  std::vector<int64_t> frames = plate->frames();
  if (plate->is_still()) frames = {0};
  std::error_code ec;
  if (fs::exists(output_dir, ec) && !fs::is_empty(output_dir, ec) && !o.overwrite) {
    return err(ErrorCode::kInvalidArgument, "'", output_dir, "' already holds files; --overwrite replaces them");
  }
  CK_TRY(create_output_directories(output_dir));
  HintOptions options = o.hint;
  options.screen = screen_colour_from_name(o.screen).value_or(ScreenColour::kAuto);
  options.input_is_linear = o.linear;
  WriteOptions bits16;
  bits16.format = SampleFormat::kUint16;
  for (int64_t frame : frames) {
    CK_ASSIGN(const Image image, plate->read(frame));
    if (!options.screen_estimate) {  // one screen for the whole shot: hints that hold still
      Result<ScreenEstimate> screen = estimate_screen(view_of(image), options.screen, o.linear);
      if (!screen.ok()) return err(screen.error().code, plate->describe(frame), ": ", screen.error().message);
      options.screen_estimate = screen.value();
      std::cout << input << ": " << screen_colour_name(screen->colour) << " screen (" << screen->rgb[0] << ", "
                << screen->rgb[1] << ", " << screen->rgb[2] << "), " << static_cast<int>(screen->coverage * 100)
                << "% of the first frame\n";
    }
    CK_ASSIGN(const AlphaHint made, make_alpha_hint(view_of(image), options));
    const std::string name = plate->output_name(frame);
    CK_TRY(write_image((fs::path(output_dir) / (name + ".png")).string(), made.hint, bits16));
    if (o.key) CK_TRY(write_image((fs::path(output_dir) / (name + ".key.png")).string(), made.key, bits16));
  }
  std::cout << "wrote " << frames.size() << " hint" << (frames.size() == 1 ? "" : "s") << " into " << output_dir << "\n";
  return ok_status();
}

Status run_hint(const HintCommandOptions& o) {
  if (!o.input.empty()) {
    if (o.output_dir.empty()) return err(ErrorCode::kInvalidArgument, "--input needs --output-dir");
    return write_hints(o, o.input, o.output_dir);
  }
  if (o.clips.empty()) return err(ErrorCode::kInvalidArgument, "give clip folders or --input");
  for (const std::string& clip : o.clips) {
    const fs::path input = fs::path(clip) / "Input";
    std::error_code ec;
    if (!fs::is_directory(input, ec)) return err(ErrorCode::kIo, "clip '", clip, "' has no Input/ folder");
    CK_TRY(write_hints(o, input.string(), (fs::path(clip) / "AlphaHint").string()));
  }
  return ok_status();
}

}  // namespace

void add_hint_command(CLI::App& app, std::function<int()>& run_fn) {
  auto o = std::make_shared<HintCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "hint", "Write automatic alpha hints (a colour-difference key, cleaned, eroded and blurred)\n"
              "  hint CLIP_DIR...                          into each clip's AlphaHint/\n"
              "  hint --input SEQ|VIDEO|IMAGE --output-dir DIR");
  cmd->add_option("clips", o->clips, "clip folders (Input/ inside)");
  cmd->add_option("--input", o->input, "a plate sequence, video or image");
  cmd->add_option("--output-dir", o->output_dir, "where the hints go (16-bit PNG, named like the plate's frames)");
  add_screen_option(*cmd, o->screen);
  cmd->add_option("--erode", o->hint.erode, "erosion, as a fraction of the plate's shorter side")
      ->check(CLI::Range(0.0f, 0.2f))
      ->capture_default_str();
  cmd->add_option("--blur", o->hint.blur, "blur sigma, as a fraction of the plate's shorter side")
      ->check(CLI::Range(0.0f, 0.2f))
      ->capture_default_str();
  cmd->add_flag("--linear", o->linear, "the plate is scene-linear");
  cmd->add_flag("--key", o->key, "also write the colour-difference key before clean-up (<name>.key.png)");
  cmd->add_flag("--overwrite", o->overwrite, "replace hints already there");
  add_max_pixels_option(*cmd, o->max_pixels);
  cmd->callback([o, &run_fn] { run_fn = exit_code_of("hint", [o] { return run_hint(*o); }); });
}

}  // namespace ck::cli
