// A clip's keying settings, saved in its folder (corridorkey.json) by the keying station
// (`corridorkey serve`) and used by `corridorkey process` for that clip: the frame options an
// artist chose by eye and the automatic hint's shape. Options given on process's command line
// win over the file.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "corridorkey/alpha_hint.hpp"
#include "corridorkey/engine.hpp"

namespace ck::cli {

inline constexpr const char* kClipSettingsName = "corridorkey.json";

struct ClipSettings {
  FrameOptions frame;  // despill, despeckle, refiner scale, screen (kAuto: estimated)
  HintOptions hint;    // the automatic hint's erode, blur and speck size (when the clip has no AlphaHint)
};

// The clip's saved settings, or nothing when it has none; a file that does not parse, or a
// value out of range, is an error naming the file and the key.
Result<std::optional<ClipSettings>> read_clip_settings(const std::string& clip_dir);
// Writes them whole (a temporary renamed into place: never half a file).
Status write_clip_settings(const std::string& clip_dir, const ClipSettings& settings);

// As JSON, and back (checked: ranges as the engine's).
std::string clip_settings_json(const ClipSettings& settings);
Result<ClipSettings> parse_clip_settings(const std::string& json, const std::string& source);

// process's flags that override a clip's saved settings when given.
inline const std::set<std::string> kClipSettingFlags = {"--despill", "--no-despeckle", "--despeckle-size",
                                                        "--refiner-scale", "--screen-color"};
// Applies `settings` to a job's frame options and hint, except what `given` flags set.
void apply_clip_settings(const ClipSettings& settings, const std::set<std::string>& given, FrameOptions& frame,
                         std::optional<HintOptions>& auto_hint);

}  // namespace ck::cli
