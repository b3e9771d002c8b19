// Picks the build of the CPU backend for the active instruction-set level. Compiled for
// baseline x86-64 (cpu_level.hpp).
#include "backends/cpu/cpu_backend.hpp"

namespace ck::cpu {

// Each level's entry point (cpu_backend_impl.hpp, compiled per level by CMake).
#ifdef CK_CPU_NATIVE_ONLY
std::unique_ptr<CpuBackend> make_cpu_backend_native(CpuLevel level);
#else
std::unique_ptr<CpuBackend> make_cpu_backend_avx2(CpuLevel level);
std::unique_ptr<CpuBackend> make_cpu_backend_avx512(CpuLevel level);
#endif

Result<std::unique_ptr<CpuBackend>> create_cpu_backend(CpuLevel level) {
  CK_ASSIGN(const CpuLevel detected, detected_cpu_level());
  if (level > detected) {
    return err(ErrorCode::kUnsupported, "this CPU does not support the '", cpu_level_name(level),
               "' level (its highest is '", cpu_level_name(detected), "')");
  }
  try {
#ifdef CK_CPU_NATIVE_ONLY
    // Built for this machine's CPU (-march=native): one build serves every level it has.
    return make_cpu_backend_native(level);
#else
    return level >= CpuLevel::kAvx512 ? make_cpu_backend_avx512(level) : make_cpu_backend_avx2(level);
#endif
  } catch (const std::bad_alloc&) {
    return err(ErrorCode::kOutOfMemory, "out of memory creating the CPU backend");
  }
}

Result<std::unique_ptr<CpuBackend>> create_cpu_backend() {
  CK_ASSIGN(const CpuLevel level, active_cpu_level());
  return create_cpu_backend(level);
}

}  // namespace ck::cpu

namespace ck {

std::unique_ptr<Backend> make_cpu_backend() {
  auto backend = cpu::create_cpu_backend();
  return backend ? std::move(*backend) : nullptr;
}

Result<std::unique_ptr<Backend>> create_cpu_backend() {
  CK_ASSIGN(std::unique_ptr<cpu::CpuBackend> backend, cpu::create_cpu_backend());
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace ck
