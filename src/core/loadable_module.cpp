#include "core/loadable_module.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <vector>

namespace ck {

namespace {

// Where the module is, first found first: beside the shared object holding this code (the
// Python extension) or in its corridorkey/ folder (libcorridorkey.so); in the install folder
// relative to the running program (an installed CLI, wherever its prefix was moved); where the
// build put it; where `cmake --install` put it; next to the program.
std::vector<std::string> module_candidates(const ModuleLocation& where) {
  namespace fs = std::filesystem;
  const std::string name = fs::path(where.build_path).filename().string();
  std::vector<std::string> paths;
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&module_candidates), &self) != 0 && self.dli_fname != nullptr) {
    const fs::path object(self.dli_fname);
    if (object.extension() == ".so" || object.string().find(".so.") != std::string::npos) {
      paths.push_back((object.parent_path() / name).string());
      paths.push_back((object.parent_path() / "corridorkey" / name).string());
    }
  }
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  const fs::path exe_dir = n > 0 ? fs::path(std::string(exe, static_cast<size_t>(n))).parent_path() : fs::path();
  if (!exe_dir.empty() && !where.relative_dir.empty()) {
    paths.push_back((exe_dir.parent_path() / where.relative_dir / name).string());
  }
  paths.push_back(where.build_path);
  if (!where.install_dir.empty()) paths.push_back((fs::path(where.install_dir) / name).string());
  if (!exe_dir.empty()) paths.push_back((exe_dir / name).string());
  return paths;
}

}  // namespace

Result<const void*> load_module_table(const ModuleLocation& where, const char* entry, int version, const std::string& what) {
  std::string tried;
  for (const std::string& path : module_candidates(where)) {
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
