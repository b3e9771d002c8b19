// What a frame of the network holds at most, estimated from its shape, and the memory plan
// that fits a budget. The figures count the tensors the network allocates (activations at
// their widest moments: stage 0's attention, the decoders' fused map, the refiner's maps or
// bands), not the libraries' working buffers; tests hold them against the buffer pool's
// measured peak.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "model/greenformer.hpp"

namespace ck {

struct FrameMemoryEstimate {
  size_t input = 0;     // the network's input (S*S, 4)
  size_t encoder = 0;   // stage 0's block at its attention
  size_t decoders = 0;  // the features and the decoders' fused map at S/4
  size_t refiner = 0;   // whole maps, or bands and the output
  size_t peak() const;
};

FrameMemoryEstimate estimate_frame_memory(const GreenFormerConfig& cfg, int64_t img_size, const NetworkMemoryPlan& plan);

// The fastest plan whose weights and frame fit `budget_bytes`: whole maps when they fit, else
// the refiner in the tallest bands that do (at least kMinBandRows), else an error saying what
// the least budget is.
inline constexpr int64_t kMinBandRows = 16;
Result<NetworkMemoryPlan> plan_for_budget(const GreenFormerConfig& cfg, int64_t img_size, size_t weight_bytes,
                                          size_t budget_bytes);

// "refiner in bands of 128 rows" / "whole maps", for messages.
std::string describe_memory_plan(const NetworkMemoryPlan& plan);

}  // namespace ck
