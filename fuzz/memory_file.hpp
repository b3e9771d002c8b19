// The readers under test take file paths (safetensors is memory-mapped, zip archives are
// opened by libzip): each input is written to one in-memory file, reached by its /proc path.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace ck::fuzz {

inline const std::string& memory_file(const uint8_t* data, size_t size) {
  static const int fd = memfd_create("ck_fuzz_input", MFD_CLOEXEC);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))) __builtin_trap();
  return path;
}

}  // namespace ck::fuzz
