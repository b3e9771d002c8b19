// What this machine and build offer, for `corridorkey doctor` and bug reports.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <string>
#include <vector>

#include "corridorkey/status.hpp"

namespace ck {

struct SystemInfo {
  std::string version;     // the engine's version
  std::string cpu_level;   // the kernels' level this CPU runs (avx2, avx512, ...), or why none
  std::vector<std::string> cpu_features;  // the x86 features the levels use, as this CPU has them
  int threads = 0;         // CPU threads an engine uses by default
  std::string onednn;      // oneDNN's version
  std::string revision;    // the source revision built (git describe), or "unknown"
  std::string build;       // build options: type, kernel levels compiled in, sanitizers
  std::vector<std::string> precisions;  // precisions this CPU can run ("fp32", "bf16")
};

SystemInfo system_info();

}  // namespace ck

#pragma GCC visibility pop
