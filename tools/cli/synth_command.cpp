// corridorkey synth OUT_DIR: synthetic shots with their ground truth, as clip folders in
// CorridorKey's layout (Input/, AlphaHint/) plus Truth/Alpha and Truth/FG, for training the
// demo model, measuring keys (`corridorkey eval`) and trying the tool without footage.
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "corridorkey/frames.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/pending_outputs.hpp"
#include "corridorkey/synthetic_plates.hpp"

namespace ck::cli {

namespace {

namespace fs = std::filesystem;

struct SynthOptions {
  std::string out_dir, screen = "green";
  int shots = 4, frames = 1, width = 512, height = 512;
  uint64_t seed = 1;
  bool no_hint = false;
};

// The clip's folders hold `<name>.####.png` sequences.
Result<SequencePattern> sequence(const fs::path& folder, const std::string& name) {
  return SequencePattern::parse((folder / (name + ".####.png")).string());
}

Status write_shot(const SynthOptions& o, ScreenColour screen, uint64_t seed) {
  const std::string name = std::string(screen_colour_name(screen)) + "_" + std::to_string(seed);
  const fs::path clip = fs::path(o.out_dir) / name;
  std::vector<std::string> folders = {"Input", "Truth/Alpha", "Truth/FG"};
  if (!o.no_hint) folders.push_back("AlphaHint");
  for (const std::string& f : folders) CK_TRY(create_output_directories((clip / f).string()));
  WriteOptions bits16;
  bits16.format = SampleFormat::kUint16;
  CK_ASSIGN(const SequencePattern input, sequence(clip / "Input", name));
  CK_ASSIGN(const SequencePattern alpha, sequence(clip / "Truth/Alpha", name));
  CK_ASSIGN(const SequencePattern fg, sequence(clip / "Truth/FG", name));
  CK_ASSIGN(const SequencePattern hint, sequence(clip / "AlphaHint", name));
  for (int frame = 1; frame <= o.frames; ++frame) {
    const SyntheticPlate p = make_synthetic_plate({o.width, o.height, screen, seed, frame - 1});
    CK_TRY(write_image_8bit(input.path_of(frame), p.plate));
    CK_TRY(write_image(alpha.path_of(frame), p.alpha, bits16));
    CK_TRY(write_image(fg.path_of(frame), p.fg, bits16));
    if (!o.no_hint) CK_TRY(write_image(hint.path_of(frame), p.hint, bits16));
  }
  std::cout << clip.string() << "\n";
  return ok_status();
}

Status synth(const SynthOptions& o) {
  for (int i = 0; i < o.shots; ++i) {
    const uint64_t seed = o.seed + static_cast<uint64_t>(i);
    // "both": each shot as a green plate and its blue twin (the same subject and light).
    if (o.screen != "blue") CK_TRY(write_shot(o, ScreenColour::kGreen, seed));
    if (o.screen != "green") CK_TRY(write_shot(o, ScreenColour::kBlue, seed));
  }
  return ok_status();
}

}  // namespace

void add_synth_command(CLI::App& app, std::function<int()>& run_fn) {
  auto o = std::make_shared<SynthOptions>();
  CLI::App* cmd = app.add_subcommand(
      "synth", "Write synthetic green/blue-screen shots with ground truth (clip folders plus Truth/Alpha, Truth/FG)");
  cmd->add_option("out_dir", o->out_dir, "where the clips go")->required();
  cmd->add_option("--shots", o->shots, "how many shots")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--frames", o->frames, "frames per shot (the subject moves)")->check(CLI::Range(1, 10000))->capture_default_str();
  cmd->add_option("--width", o->width, "plate width")->check(CLI::Range(16, 8192))->capture_default_str();
  cmd->add_option("--height", o->height, "plate height")->check(CLI::Range(16, 8192))->capture_default_str();
  cmd->add_option("--screen", o->screen, "green, blue, or both (twins)")
      ->check(CLI::IsMember({"green", "blue", "both"}))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "the first shot's seed (shots take seed, seed + 1, ...)")->capture_default_str();
  cmd->add_flag("--no-hint", o->no_hint, "no AlphaHint/ folder (for automatic hints)");
  cmd->callback([o, &run_fn] { run_fn = exit_code_of("synth", [o] { return synth(*o); }); });
}

}  // namespace ck::cli
