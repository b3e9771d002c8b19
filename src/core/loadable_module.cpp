#include "core/loadable_module.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <vector>

namespace ck {

namespace {

// Where the module is: beside the shared object holding this code (the Python extension, a
// shared library), the path the build gave it, else next to the running program (an installed
// or relocated binary) or in ../lib beside it.
std::vector<std::string> module_candidates(const std::string& build_path) {
  namespace fs = std::filesystem;
  const std::string name = fs::path(build_path).filename().string();
  std::vector<std::string> paths;
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&module_candidates), &self) != 0 && self.dli_fname != nullptr) {
    const fs::path object(self.dli_fname);
    if (object.extension() == ".so" || object.string().find(".so.") != std::string::npos) {
      paths.push_back((object.parent_path() / name).string());
    }
  }
  paths.push_back(build_path);
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    const fs::path dir = fs::path(std::string(exe, static_cast<size_t>(n))).parent_path();
    paths.push_back((dir / name).string());
    paths.push_back((dir.parent_path() / "lib" / name).string());
  }
  return paths;
}

}  // namespace

Result<const void*> load_module_table(const std::string& build_path, const char* entry, int version,
                                      const std::string& what) {
  std::string tried;
  for (const std::string& path : module_candidates(build_path)) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      tried += "\n  " + path + ": " + (why ? why : "not loadable");
      continue;
    }
    using Entry = const void* (*)();
    auto function = reinterpret_cast<Entry>(dlsym(handle, entry));
    const void* table = function ? function() : nullptr;
    if (table == nullptr || *static_cast<const int*>(table) != version) {
      tried += "\n  " + path + ": not this build's module";
      dlclose(handle);
      continue;
    }
    return table;
  }
  return err(ErrorCode::kUnsupported, what, " could not be loaded; tried:", tried);
}

}  // namespace ck
