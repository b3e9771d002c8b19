// Whole .pth checkpoints: zip, pickle, storages and strided tensors together.
#include "memory_file.hpp"
#include "weights/pth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto sd = ck::read_pth(ck::fuzz::memory_file(data, size));
  if (!sd.ok()) return 0;
  volatile float sink = 0;
  for (const auto& [name, t] : *sd) {
    if (t.dtype() == ck::DType::F32 && t.numel() > 0) sink = sink + t.data<float>()[t.numel() - 1];
  }
  return 0;
}
