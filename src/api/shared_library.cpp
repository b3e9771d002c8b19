// libcorridorkey.so is the library's archives linked whole (src/CMakeLists.txt); this file
// only gives the shared library target a source of its own.
#include "corridorkey/corridorkey.h"
