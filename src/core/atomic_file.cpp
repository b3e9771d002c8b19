#include "core/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ck {

Status write_path_atomically(const std::string& path, const std::function<Status(const std::string&)>& write) {
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + std::filesystem::path(path).extension().string();
  Status st = write(tmp);
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    st = err(ErrorCode::kIo, "cannot move the finished file into '", path, "': ", std::strerror(errno));
  }
  if (!st.ok()) std::remove(tmp.c_str());
  return st;
}

Status write_file_atomically(const std::string& path, const std::function<Status(std::ostream&)>& write) {
  return write_path_atomically(path, [&](const std::string& tmp) -> Status {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return err(ErrorCode::kIo, "cannot write '", path, "': ", std::strerror(errno));
    CK_TRY(write(out));
    out.flush();
    out.close();
    if (out.fail()) return err(ErrorCode::kIo, "write to '", path, "' failed (disk full?)");
    return ok_status();
  });
}

}  // namespace ck
