// read_image / write_image through the image I/O module, loaded the first time an image file
// is read or written (see image_io_module.hpp for why it is a separate module).
#include "corridorkey/image_file.hpp"

#include "core/loadable_module.hpp"
#include "io/image_io_module.hpp"

namespace ck {

namespace {

Result<const ImageIoModule*> image_io() {
  static const Result<const void*> loaded = load_module_table(  // once, thread-safe
      CK_MODULE_LOCATION(CK_IMAGE_IO_MODULE), "ck_image_io_module", kImageIoModuleVersion, "image file support (OpenImageIO)");
  if (!loaded.ok()) return loaded.error();
  return static_cast<const ImageIoModule*>(loaded.value());
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
