// Shots as the commands name them and the ShotJob each becomes (shot_specs.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "corridorkey/colour_management.hpp"
#include "corridorkey/shot.hpp"
#include "process_options.hpp"

namespace ck::cli {

struct ShotSpec {
  std::string name, input, hint, output_dir;
  bool is_clip = false;
  std::string clip_dir;  // a clip's folder (its saved settings are there: clip_settings.hpp)
};

// The entry of `dir` named `stem` (a folder, or a file stem.<ext>); empty if none.
// The shots the options name: --input/--hint/--output-dir, or clip folders and folders of clips.
Result<std::vector<ShotSpec>> shot_specs_of(const ProcessOptions& o);
// Refuses an output folder that is the plate's own folder.
Status check_output_folder(const ShotSpec& spec);

// What every shot of a run shares: frame ranges, deliverables, colour conversions, weights.
struct SharedSettings {
  std::vector<FrameRange> frames;
  std::vector<VideoCodec> deliverables;
  std::shared_ptr<ColourConversion> to_working, from_working;
  std::string weights_id;
};
// `checkpoint` empty: no weights checksum (commands that key nothing).
Result<SharedSettings> shared_settings(const ProcessOptions& o, const std::string& checkpoint);
Result<ShotJob> build_job(const ProcessOptions& o, const ShotSpec& spec, const SharedSettings& shared);

// Increasing frame numbers as runs: {1001, 1002, 1003, 1007} -> "1001-1003" + separator + "1007".
std::string frame_runs(const std::vector<int64_t>& frames, const std::string& separator);

}  // namespace ck::cli
