// Videos made from a shot's finished frames: the key (despilled foreground with its alpha) as
// ProRes 4444 or FFV1, and the composite as an H.264 preview.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corridorkey/frames.hpp"
#include "corridorkey/shot.hpp"

namespace ck {

// Reads each frame's Processed (and Comp) files in order and encodes the deliverables the job
// asks for; returns the videos written.
Result<std::vector<std::string>> write_deliverables(const ShotJob& job, const std::vector<int64_t>& frames);

// A Processed frame (linear, premultiplied RGBA) as a deliverable carries it: straight colour,
// sRGB-encoded, with its alpha.
Image deliverable_key_frame(const Image& processed);

}  // namespace ck
