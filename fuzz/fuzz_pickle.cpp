// The restricted unpickler on raw bytes: no crash, no unbounded time or memory, no cycle.
#include <string_view>

#include "weights/pickle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)ck::pickle::unpickle(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz input");
  return 0;
}
