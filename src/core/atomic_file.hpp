// Writes a file all-or-nothing: into a temporary beside the target, then renamed over it.
// On any failure the temporary is removed and the target is left as it was.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "core/status.hpp"

namespace ck {

// `write` fills the stream; a stream error or an error returned by `write` aborts the file.
Status write_file_atomically(const std::string& path, const std::function<Status(std::ostream&)>& write);

// For libraries that write by file name: `write` is given the temporary's path, which keeps
// the target's extension (image libraries choose the format by it).
Status write_path_atomically(const std::string& path, const std::function<Status(const std::string&)>& write);

}  // namespace ck
