// Files written so that success means the bytes are on disk: every write checked (short
// writes retried, EINTR handled), then fsync and close checked. A full disk, a file-size limit
// or an I/O error is an error naming the file, never a silently short file.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <string>

#include "corridorkey/status.hpp"

namespace ck {

class FileSink {
 public:
  // Creates `path`, which must not exist yet (temporaries have unique names).
  static Result<FileSink> create_new(const std::string& path);
  // Opens `path` to add to its end, creating it if it does not exist (a download resumed).
  static Result<FileSink> open_append(const std::string& path);
  FileSink(FileSink&& other) noexcept;
  FileSink& operator=(FileSink&&) = delete;
  FileSink(const FileSink&) = delete;
  ~FileSink();  // closes without syncing if finish() was not called

  Status write(const void* data, size_t size);
  // fsync, then close; both checked. The sink is closed afterwards whatever happened.
  Status finish();
  const std::string& path() const { return path_; }

 private:
  FileSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// Makes a rename or a new file in `dir` durable (fsync of the directory).
Status sync_directory(const std::string& dir);

}  // namespace ck

#pragma GCC visibility pop
