#include "backends/cpu/cpu_level.hpp"

#include <omp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>
#include <oneapi/dnnl/dnnl.hpp>

namespace ck::cpu {

namespace {

struct Feature {
  const char* name;  // as /proc/cpuinfo and GCC's __builtin_cpu_supports spell it
  bool present;
};

// GCC's checks include the operating system's support (XSAVE state for AVX and AVX-512).
std::vector<Feature> avx2_features() {
  __builtin_cpu_init();
  return {{"avx2", __builtin_cpu_supports("avx2") != 0}, {"fma", __builtin_cpu_supports("fma") != 0},
          {"bmi1", __builtin_cpu_supports("bmi") != 0},  {"bmi2", __builtin_cpu_supports("bmi2") != 0},
          {"f16c", __builtin_cpu_supports("f16c") != 0}, {"lzcnt", __builtin_cpu_supports("lzcnt") != 0},
          {"movbe", __builtin_cpu_supports("movbe") != 0}};
}

std::vector<Feature> avx512_features() {
  __builtin_cpu_init();
  return {{"avx512f", __builtin_cpu_supports("avx512f") != 0},
          {"avx512bw", __builtin_cpu_supports("avx512bw") != 0},
          {"avx512dq", __builtin_cpu_supports("avx512dq") != 0},
          {"avx512vl", __builtin_cpu_supports("avx512vl") != 0},
          {"avx512cd", __builtin_cpu_supports("avx512cd") != 0}};
}

bool all_present(const std::vector<Feature>& features) {
  for (const Feature& f : features) {
    if (!f.present) return false;
  }
  return true;
}

bool has_avx512_bf16() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") != 0;
}

bool has_amx_bf16() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("amx-tile") != 0 && __builtin_cpu_supports("amx-bf16") != 0;
}

// Linux (5.16 and later) gives a process AMX's 8 KB tile state only on request.
bool request_amx_state() {
  constexpr long kArchRequestXcompPerm = 0x1023;  // ARCH_REQ_XCOMP_PERM, <asm/prctl.h>
  constexpr long kXfeatureTileData = 18;          // XFEATURE_XTILEDATA
  return syscall(SYS_arch_prctl, kArchRequestXcompPerm, kXfeatureTileData) == 0;
}

// The highest oneDNN ISA at or below a level, for the cap.
dnnl::cpu_isa dnnl_isa_for(CpuLevel level) {
  switch (level) {
    case CpuLevel::kAvx2: return dnnl::cpu_isa::avx2;
    case CpuLevel::kAvx512: return dnnl::cpu_isa::avx512_core;
    case CpuLevel::kAvx512Bf16: return dnnl::cpu_isa::avx512_core_bf16;
    case CpuLevel::kAmx: return dnnl::cpu_isa::avx512_core_amx;
  }
  return dnnl::cpu_isa::avx2;
}

Result<CpuLevel> first_active_level() {
  CK_ASSIGN(CpuLevel level, detected_cpu_level());
  CK_ASSIGN(const std::optional<CpuLevel> cap, cpu_level_cap());
  if (cap && *cap < level) {
    level = *cap;
    try {
      dnnl::set_max_cpu_isa(dnnl_isa_for(level));
    } catch (const dnnl::error&) {
      // oneDNN has already chosen (a primitive was created first): only our kernels are capped.
    }
  }
  // Without the permission oneDNN would not use AMX either; the level drops to what runs.
  if (level == CpuLevel::kAmx && !request_amx_state()) level = CpuLevel::kAvx512Bf16;
  return level;
}

}  // namespace

const char* cpu_level_name(CpuLevel level) {
  switch (level) {
    case CpuLevel::kAvx2: return "avx2";
    case CpuLevel::kAvx512: return "avx512";
    case CpuLevel::kAvx512Bf16: return "avx512_bf16";
    case CpuLevel::kAmx: return "amx";
  }
  return "?";
}

Result<CpuLevel> parse_cpu_level(std::string_view name) {
  for (const CpuLevel level : {CpuLevel::kAvx2, CpuLevel::kAvx512, CpuLevel::kAvx512Bf16, CpuLevel::kAmx}) {
    if (name == cpu_level_name(level)) return level;
  }
  return err(ErrorCode::kInvalidArgument, "CPU level '", name, "' is not one of: avx2, avx512, avx512_bf16, amx");
}

Result<CpuLevel> detected_cpu_level() {
  std::string missing;
  for (const Feature& f : avx2_features()) {
    if (!f.present) missing += std::string(missing.empty() ? "" : ", ") + f.name;
  }
  if (!missing.empty()) {
    return err(ErrorCode::kUnsupported, "this CPU lacks ", missing,
               ": corridorkey-cpp needs an x86-64-v3 CPU (AVX2 and FMA: Intel Haswell, AMD Zen or later)");
  }
  if (!all_present(avx512_features())) return CpuLevel::kAvx2;
  if (!has_avx512_bf16()) return CpuLevel::kAvx512;
  if (!has_amx_bf16()) return CpuLevel::kAvx512Bf16;
  return CpuLevel::kAmx;
}

Result<std::optional<CpuLevel>> cpu_level_cap() {
  const char* value = std::getenv("CORRIDORKEY_CPU_LEVEL");
  if (value == nullptr || *value == '\0') return std::optional<CpuLevel>{};
  auto level = parse_cpu_level(value);
  if (!level) return err(ErrorCode::kInvalidArgument, "CORRIDORKEY_CPU_LEVEL: ", level.error().message);
  return std::optional<CpuLevel>{*level};
}

Result<CpuLevel> active_cpu_level() {
  // Decided once per process: oneDNN's cap and the AMX request cannot be taken back.
  static const Result<CpuLevel> level = first_active_level();
  return level;
}

int cpu_threads() { return omp_get_max_threads(); }

}  // namespace ck::cpu
