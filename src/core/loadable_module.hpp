// Optional parts of the library built as shared modules and loaded on first use (image files
// through OpenImageIO, video through FFmpeg), so that a process that never touches such files
// does not map their libraries' dependency chains.
#pragma once

#include <string>

#include "corridorkey/status.hpp"

namespace ck {

// Loads the module the build put at `build_path` (else the file of that name next to the
// running program, or in ../lib beside it) and returns what its `entry` function returns: a
// table whose first member is an int version, which must equal `version`. Kept loaded for the
// life of the process. `what` names the support in the error ("image file support (OpenImageIO)").
Result<const void*> load_module_table(const std::string& build_path, const char* entry, int version,
                                      const std::string& what);

}  // namespace ck
