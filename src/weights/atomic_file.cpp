#include "weights/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>

namespace ck {

Status write_file_atomically(const std::string& path, const std::function<Status(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return err(ErrorCode::kIo, "cannot write '", path, "': ", std::strerror(errno));
  Status st = write(out);
  out.flush();
  const bool stream_ok = static_cast<bool>(out);
  out.close();
  if (st.ok() && (!stream_ok || out.fail())) st = err(ErrorCode::kIo, "write to '", path, "' failed (disk full?)");
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    st = err(ErrorCode::kIo, "cannot move the finished file into '", path, "': ", std::strerror(errno));
  }
  if (!st.ok()) std::remove(tmp.c_str());
  return st;
}

}  // namespace ck
