// Zip archives as .pth checkpoints are: every entry listed, sized and read.
#include <vector>

#include "memory_file.hpp"
#include "weights/zip_archive.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto zip = ck::ZipArchive::open(ck::fuzz::memory_file(data, size));
  if (!zip.ok()) return 0;
  for (const std::string& name : (*zip)->names()) {
    auto n = (*zip)->entry_size(name);
    if (!n.ok() || *n > (1u << 20)) continue;  // a claimed size is only a claim: read up to 1 MiB
    std::vector<uint8_t> buf(*n);
    (void)(*zip)->read(name, buf.data(), buf.size());
  }
  return 0;
}
