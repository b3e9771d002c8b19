// The run manifest: a JSON file in a shot's output folder recording the settings its outputs
// were made with (engine version, weights, network and frame options), so that a rerun does not
// silently mix frames keyed differently.
#pragma once

#include <map>
#include <string>

#include "corridorkey/status.hpp"

namespace ck {

using RunSettings = std::map<std::string, std::string>;

// Compares `settings` with the manifest in `dir`, if any. Different settings are an error
// naming them unless `redo_all` (every frame will be keyed again) or `force_mix`. Then writes
// the manifest (atomically) with these settings.
Status check_and_write_run_manifest(const std::string& dir, const RunSettings& settings, bool redo_all,
                                    bool force_mix);

}  // namespace ck
