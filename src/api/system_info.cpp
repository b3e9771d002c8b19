#include "corridorkey/system_info.hpp"

#include <dnnl.hpp>

#include "backends/cpu/cpu_level.hpp"

namespace ck {

SystemInfo system_info() {
  SystemInfo info;
  info.version = CK_VERSION;
  const Result<cpu::CpuLevel> level = cpu::active_cpu_level();
  info.cpu_level = level.ok() ? cpu::cpu_level_name(level.value()) : level.error().message;
  __builtin_cpu_init();
#define CK_FEATURE(name) \
  if (__builtin_cpu_supports(name)) info.cpu_features.push_back(name);
  CK_FEATURE("sse4.2")
  CK_FEATURE("avx")
  CK_FEATURE("avx2")
  CK_FEATURE("fma")
  CK_FEATURE("f16c")
  CK_FEATURE("avx512f")
  CK_FEATURE("avx512bw")
  CK_FEATURE("avx512vl")
  CK_FEATURE("avx512bf16")
  CK_FEATURE("amx-tile")
  CK_FEATURE("amx-bf16")
#undef CK_FEATURE
  info.threads = cpu::cpu_threads();
  const dnnl_version_t* v = dnnl_version();
  info.revision = CK_REVISION;
  info.build = CK_BUILD_OPTIONS;
  info.precisions = {"fp32"};
  if (level.ok() && level.value() >= cpu::CpuLevel::kAvx512Bf16) info.precisions.push_back("bf16");
  info.onednn = "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  return info;
}

}  // namespace ck
