#include "backends/cpu/cpu_backend.hpp"

namespace ck {
std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<cpu::CpuBackend>(); }
}  // namespace ck
