// The ops the network runs, on its shapes: one table for the op cross-check (every CPU kernel
// against the reference kernel, tests/unit/test_op_crosscheck.cpp) and for ck_opbench (their
// speed, bench/opbench). A new op gets its cases here, once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/backend.hpp"

namespace ck::opcases {

// kCheck cuts spatial extents and token counts down where the kernel's code path does not
// depend on them (the cross-check runs on two cores in CI); kBench uses the sizes a frame at
// S = 512 has.
enum class Scale { kCheck, kBench };

struct OpCase {
  std::string name;
  Shape out_shape;
  double work = 0;          // FLOPs (2 x multiply-adds) or bytes moved, for the rate
  const char* unit = "GB/s";  // "GFLOP/s" or "GB/s"
  bool bf16 = false;        // needs bf16 support (checked by tests/unit/test_bf16_kernels.cpp)
  // Runs the op on a backend, writing `out`; the inputs are captured by the case.
  std::function<Status(Backend& be, Tensor& out)> run;
};

// Every case whose name contains `filter` (all when empty), inputs filled deterministically.
std::vector<OpCase> make_op_cases(Scale scale, const std::string& filter = "");

}  // namespace ck::opcases
