// safetensors: header parsing, offsets, dtypes, coverage, and reading every tensor it accepts.
#include "memory_file.hpp"
#include "weights/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = ck::read_safetensors(ck::fuzz::memory_file(data, size));
  if (!file.ok()) return 0;
  // Every accepted tensor must be readable to its last byte.
  volatile uint8_t sink = 0;
  for (const auto& [name, t] : file->tensors) {
    const auto* bytes = static_cast<const uint8_t*>(t.raw());
    for (size_t i = 0; i < t.nbytes(); ++i) sink = sink ^ bytes[i];
  }
  return 0;
}
