// read_image / write_image through the image I/O module, loaded the first time an image file
// is read or written (see image_io_module.hpp for why it is a separate module).
#include "corridorkey/image_file.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <filesystem>

#include "io/image_io_module.hpp"

namespace ck {

namespace {

// Where the module is: the path the build gave it, else next to the running program (an
// installed or relocated binary).
std::vector<std::string> module_candidates() {
  std::vector<std::string> paths{CK_IMAGE_IO_MODULE};
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    const std::filesystem::path dir = std::filesystem::path(std::string(exe, static_cast<size_t>(n))).parent_path();
    const std::string name = std::filesystem::path(CK_IMAGE_IO_MODULE).filename().string();
    paths.push_back((dir / name).string());
    paths.push_back((dir.parent_path() / "lib" / name).string());
  }
  return paths;
}

struct LoadedModule {
  const ImageIoModule* module = nullptr;
  std::string error;  // why it could not be loaded
};

LoadedModule load_module() {
  LoadedModule loaded;
  std::string tried;
  for (const std::string& path : module_candidates()) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      tried += "\n  " + path + ": " + (why ? why : "not loadable");
      continue;
    }
    using Entry = const ImageIoModule* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "ck_image_io_module"));
    const ImageIoModule* module = entry ? entry() : nullptr;
    if (module == nullptr || module->version != kImageIoModuleVersion) {
      tried += "\n  " + path + ": not this build's image I/O module";
      dlclose(handle);
      continue;
    }
    loaded.module = module;  // kept loaded for the life of the process
    return loaded;
  }
  loaded.error = "image file support (OpenImageIO) could not be loaded; tried:" + tried;
  return loaded;
}

Result<const ImageIoModule*> image_io() {
  static const LoadedModule loaded = load_module();  // once, thread-safe
  if (loaded.module == nullptr) return err(ErrorCode::kUnsupported, loaded.error);
  return loaded.module;
}

}  // namespace

Result<Image> read_image(const std::string& path, const ReadOptions& options) {
  CK_ASSIGN(const ImageIoModule* io, image_io());
  return io->read(path, options);
}

Status add_image(OutputSet& set, const std::string& path, const Image& image, const WriteOptions& options) {
  CK_ASSIGN(const ImageIoModule* io, image_io());
  CK_ASSIGN(const std::vector<unsigned char> bytes, io->encode(path, image, options));
  return set.add(path, [&](FileSink& out) { return out.write(bytes.data(), bytes.size()); });
}

Status write_image(const std::string& path, const Image& image, const WriteOptions& options) {
  OutputSet set;
  CK_TRY(add_image(set, path, image, options));
  return set.commit();
}

Status write_image_8bit(const std::string& path, const Image& image) { return write_image(path, image, {}); }

}  // namespace ck
