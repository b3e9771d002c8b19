#include "weights/zip_archive.hpp"

#include <zip.h>

namespace ck {

struct ZipArchive::Impl {
  zip_t* zip = nullptr;
};

Result<std::unique_ptr<ZipArchive>> ZipArchive::open(const std::string& path) {
  int code = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (z == nullptr) {
    zip_error_t e;
    zip_error_init_with_code(&e, code);
    std::string msg = zip_error_strerror(&e);
    zip_error_fini(&e);
    return err(ErrorCode::kFormat, "'", path, "' is not a readable zip archive: ", msg);
  }
  std::unique_ptr<ZipArchive> a(new ZipArchive());
  a->impl_ = std::make_unique<Impl>();
  a->impl_->zip = z;
  a->path_ = path;
  const zip_int64_t n = zip_get_num_entries(z, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(z, static_cast<zip_uint64_t>(i), 0);
    if (name != nullptr) a->names_.emplace_back(name);
  }
  return a;
}

ZipArchive::~ZipArchive() {
  if (impl_ && impl_->zip) zip_discard(impl_->zip);
}

Result<uint64_t> ZipArchive::entry_size(const std::string& name) const {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(impl_->zip, name.c_str(), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
    return err(ErrorCode::kFormat, "'", path_, "' has no entry '", name, "'");
  }
  // The size is the archive's claim; callers allocate by it, so it must be possible: stored
  // entries (what PyTorch writes) are their compressed size, deflate expands at most 1032:1.
  if (!(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD)) {
    return err(ErrorCode::kFormat, "'", path_, "': entry '", name, "' has no sizes");
  }
  if (st.comp_method == ZIP_CM_STORE ? st.size != st.comp_size
      : st.comp_method == ZIP_CM_DEFLATE ? st.size / 1032 > st.comp_size
                                          : true) {
    if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE) {
      return err(ErrorCode::kFormat, "'", path_, "': entry '", name, "' uses compression method ", st.comp_method,
                 " (PyTorch stores entries uncompressed)");
    }
    return err(ErrorCode::kFormat, "'", path_, "': entry '", name, "' claims ", st.size, " bytes from ",
               st.comp_size, " stored: corrupt or crafted");
  }
  return static_cast<uint64_t>(st.size);
}

Status ZipArchive::read(const std::string& name, void* dst, uint64_t size) const {
  CK_ASSIGN(uint64_t have, entry_size(name));
  if (have < size) {
    return err(ErrorCode::kFormat, "'", path_, "': entry '", name, "' holds ", have, " bytes, ", size, " needed");
  }
  zip_file_t* f = zip_fopen(impl_->zip, name.c_str(), 0);
  if (f == nullptr) {
    return err(ErrorCode::kFormat, "'", path_, "': cannot open entry '", name, "': ", zip_strerror(impl_->zip));
  }
  auto* out = static_cast<uint8_t*>(dst);
  uint64_t done = 0;
  while (done < size) {
    const zip_int64_t got = zip_fread(f, out + done, size - done);
    if (got <= 0) break;
    done += static_cast<uint64_t>(got);
  }
  std::string msg = done < size ? zip_file_strerror(f) : "";
  zip_fclose(f);
  if (done < size) {
    return err(ErrorCode::kFormat, "'", path_, "': entry '", name, "' is truncated or corrupt (", done, " of ", size,
               " bytes read", msg.empty() ? "" : ": ", msg, ")");
  }
  return ok_status();
}

Result<std::string> ZipArchive::read_all(const std::string& name) const {
  CK_ASSIGN(uint64_t size, entry_size(name));
  std::string s(size, '\0');
  CK_TRY(read(name, s.data(), size));
  return s;
}

}  // namespace ck
