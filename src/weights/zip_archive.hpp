// Read-only access to the entries of a zip file (the container of PyTorch .pth checkpoints).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "corridorkey/status.hpp"

namespace ck {

class ZipArchive {
 public:
  static Result<std::unique_ptr<ZipArchive>> open(const std::string& path);
  ~ZipArchive();

  const std::vector<std::string>& names() const { return names_; }
  // Uncompressed size of an entry, or an error naming the missing entry.
  Result<uint64_t> entry_size(const std::string& name) const;
  // Reads exactly `size` bytes of an entry into dst; any shortfall is an error.
  Status read(const std::string& name, void* dst, uint64_t size) const;
  Result<std::string> read_all(const std::string& name) const;
  const std::string& path() const { return path_; }

 private:
  ZipArchive() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> names_;
  std::string path_;
};

}  // namespace ck
