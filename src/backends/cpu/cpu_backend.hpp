// The optimised CPU backend: oneDNN for GEMM and most convolutions (measured faster than
// anything hand-written here), our own Winograd F(4x4, 3x3) kernel for the refiner's 3x3
// convolutions (straight on the channels-last map, GroupNorm fused in), vectorisable loops
// with OpenMP for norms, element-wise ops and resizes, a streaming (flash-style) fp32
// attention whose memory does not grow with the token count, and a bf16 global attention on
// our own AVX512-BF16 register GEMM (bf16_pair_gemm.hpp).
//
// Its kernels are built once per instruction-set level (cpu_level.hpp); this is the interface
// every level's build implements (cpu_backend_impl.hpp), and the factory that picks one.
#pragma once

#include <cstddef>
#include <memory>

#include "backends/backend.hpp"
#include "backends/cpu/cpu_level.hpp"

namespace ck::cpu {

class CpuBackend : public Backend {
 public:
  std::string_view name() const override { return "cpu"; }
  // The instruction-set level whose kernels this backend runs.
  virtual CpuLevel level() const = 0;
  // bf16 GEMMs and attention need AVX512-BF16; without it bf16 would be slower than fp32.
  virtual bool bf16_supported() const = 0;
  // Largest share of a convolution's input and output (bytes) converted to oneDNN's layout at
  // once; bigger maps run in bands of rows. Exposed so tests can force banding on small maps.
  virtual void set_conv_band_bytes(size_t bytes) = 0;
  // fp32 3x3 NHWC convolutions with padding equal to the dilation, channels in multiples of
  // 16, go through our Winograd F(4x4) kernel; on by default. Off, they take oneDNN's direct
  // kernel.
  virtual void set_winograd(bool enabled) = 0;
};

// The CPU backend at the active level (active_cpu_level()), or the error that says why this
// CPU cannot run it.
Result<std::unique_ptr<CpuBackend>> create_cpu_backend();
// At a given level, for tests and benchmarks: an error when the CPU (or the build) lacks it.
Result<std::unique_ptr<CpuBackend>> create_cpu_backend(CpuLevel level);

}  // namespace ck::cpu
