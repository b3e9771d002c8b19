// The options of `corridorkey process`, shared by its one-frame and shot forms.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "corridorkey/engine.hpp"

namespace ck::cli {

struct ProcessOptions {
  // Forms: clip folders (positional), --input/--hint shots, --image/--hint one frame.
  std::vector<std::string> clips;
  std::string input, image, hint, checkpoint, output_dir;
  std::string screen = "auto";  // --screen-color
  std::string blue_checkpoint;  // --blue-checkpoint
  EngineOptions engine;
  int64_t max_pixels = 0;
  FrameOptions frame;
  bool no_despeckle = false, no_comp = false, exr_float = false, fg_linear = false;
  std::string exr_compression;
  int png_compression = 1;
  // Shots.
  std::string frames;             // --frames 1001-1100,1200
  bool skip_existing = false, overwrite = false, force = false;
  bool json = false, no_progress = false;
  std::vector<std::string> video_out;  // prores, ffv1
  bool preview = false;                // H.264 of the composite
  double fps = 0;
  int queue_depth = 2;
  std::string input_colorspace, output_colorspace, working_colorspace, ocio_config;
  // The flags given on the command line among those a clip's saved settings also set
  // (clip_settings.hpp): the command line wins.
  std::set<std::string> given_flags;
};

// Exit codes of `process` (docs in README): 0 every frame keyed (or already there), 1 the run
// failed (nothing or only some frames written), 2 a bad command line, 3 some frames failed.
inline constexpr int kExitFramesFailed = 3;

// Keys clip folders or an --input shot; returns the exit code.
int run_shots(const ProcessOptions& options);

}  // namespace ck::cli
