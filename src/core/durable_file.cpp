#include "corridorkey/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ck {

namespace {

Error io_error(const std::string& what, const std::string& path, int errnum) {
  const char* hint = errnum == ENOSPC ? " (disk full)" : errnum == EFBIG ? " (file size limit)" : "";
  return err(ErrorCode::kIo, what, " '", path, "': ", std::strerror(errnum), hint);
}

}  // namespace

Result<FileSink> FileSink::create_new(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return io_error("cannot create", path, errno);
  return FileSink(fd, path);
}

Result<FileSink> FileSink::open_append(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) return io_error("cannot open", path, errno);
  return FileSink(fd, path);
}

FileSink::FileSink(FileSink&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileSink::write(const void* data, size_t size) {
  if (fd_ < 0) return err(ErrorCode::kInternal, "write to closed file '", path_, "'");
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path_, errno);
    }
    if (n == 0) return io_error("cannot write", path_, EIO);
    p += n;
    size -= static_cast<size_t>(n);
  }
  return ok_status();
}

Status FileSink::finish() {
  if (fd_ < 0) return err(ErrorCode::kInternal, "finish of closed file '", path_, "'");
  const int fd = fd_;
  fd_ = -1;
  // Delayed allocation can report ENOSPC only here, and a failed close loses data too.
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    return io_error("cannot flush", path_, e);
  }
  if (::close(fd) != 0) return io_error("cannot close", path_, errno);
  return ok_status();
}

Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  // Some filesystems do not sync directories (EINVAL); the rename itself has happened.
  if (rc != 0 && e != EINVAL && e != EROFS) return io_error("cannot flush directory", dir, e);
  return ok_status();
}

}  // namespace ck
