// Optional parts of the library built as shared modules and loaded on first use (image files
// through OpenImageIO, video through FFmpeg), so that a process that never touches such files
// does not map their libraries' dependency chains.
#pragma once

#include <string>

#include "corridorkey/status.hpp"

namespace ck {

// Where a module may be: where the build put it, the folder `cmake --install` puts it in, and
// that folder relative to the install prefix (for an install moved elsewhere).
struct ModuleLocation {
  std::string build_path;    // the module file in the build tree
  std::string install_dir;   // e.g. /usr/lib/corridorkey
  std::string relative_dir;  // e.g. lib/corridorkey, from the prefix (the program's folder's parent)
};

// Loads the module (module_candidates in the .cpp gives the places and their order) and returns
// what its `entry` function returns: a table whose first member is an int version, which must
// equal `version`. Kept loaded for the life of the process. `what` names the support in the
// error ("image file support (OpenImageIO)").
Result<const void*> load_module_table(const ModuleLocation& where, const char* entry, int version, const std::string& what);

// The location a module library's build definitions give (src/CMakeLists.txt, ck_loaded_module).
#define CK_MODULE_LOCATION(build_path_define) \
  ::ck::ModuleLocation { build_path_define, CK_MODULE_INSTALL_DIR, CK_MODULE_RELATIVE_DIR }

}  // namespace ck
