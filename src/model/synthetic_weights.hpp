// Deterministic synthetic GreenFormer weights at a realistic scale, so that the full-size
// network can be tested without a 380 MB file. tools/reference/synthetic_weights.py is the
// same generator in numpy; both produce bit-identical float32 tensors.
//
// Each tensor is a counter-based stream: z_i = splitmix64(fnv1a64(name) + seed + (i+1)*phi),
// u_i = (z_i >> 40) * 2^-23 - 1 (exact in float32, in [-1, 1)), value = offset + u_i * amp,
// with offset/amp fixed per WeightRole (see synthetic_role_params).
#pragma once

#include <cstdint>
#include <string_view>

#include "model/greenformer_config.hpp"
#include "model/weight_spec.hpp"

namespace ck {

uint64_t fnv1a64(std::string_view s);

struct SyntheticParams {
  float offset;
  float amplitude;
};
SyntheticParams synthetic_role_params(const TensorSpec& spec);

// Fills `out` (contiguous F32, spec.shape) with the tensor's synthetic values.
void fill_synthetic(const TensorSpec& spec, uint64_t seed, float* out);

Result<StateDict> make_synthetic_weights(const GreenFormerConfig& cfg, int64_t pos_grid, uint64_t seed = 0);

}  // namespace ck
