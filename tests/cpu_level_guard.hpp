// For test binaries run once per instruction-set level (tests/CMakeLists.txt sets
// CORRIDORKEY_CPU_LEVEL): when this CPU lacks the requested level, every test is skipped with
// a message saying so, rather than passing at the lower level the backend would fall back to.
#pragma once

#include <gtest/gtest.h>

#include "backends/cpu/cpu_level.hpp"

namespace ck::test {

class CpuLevelGuard : public ::testing::Environment {
 public:
  void SetUp() override {
    auto cap = cpu::cpu_level_cap();
    ASSERT_TRUE(cap.ok()) << cap.error().message;
    auto detected = cpu::detected_cpu_level();
    ASSERT_TRUE(detected.ok()) << detected.error().message;
    const std::optional<cpu::CpuLevel> wanted = *cap;
    const cpu::CpuLevel highest = *detected;
    if (wanted && *wanted > highest) {
      GTEST_SKIP() << "this CPU lacks the '" << cpu::cpu_level_name(*wanted) << "' level (its highest is '"
                   << cpu::cpu_level_name(highest) << "')";
    }
  }
};

// One per test binary that includes this header.
inline ::testing::Environment* const cpu_level_guard = ::testing::AddGlobalTestEnvironment(new CpuLevelGuard);

}  // namespace ck::test
