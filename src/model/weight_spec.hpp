// Every tensor a GreenFormer checkpoint holds, by PyTorch name and shape, and the check of a
// loaded state dict against it (one report of missing, unexpected and mismatched tensors).
#pragma once

#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "model/greenformer_config.hpp"
#include "weights/state_dict.hpp"

namespace ck {

// What a tensor is, which decides how synthetic weights fill it.
enum class WeightRole {
  kPosEmbed,
  kDenseWeight,  // Linear (out, in) or conv (out, in, kh, kw): fan_in = numel / out
  kDenseBias,
  kNormWeight,   // LayerNorm / GroupNorm / BatchNorm gamma
  kNormBias,     // ... beta
  kBnMean,
  kBnVar,
};

struct TensorSpec {
  std::string name;
  Shape shape;
  WeightRole role;
};

// The canonical state dict (no num_batches_tracked, no prefixes). pos_embed is listed on a
// pos_grid x pos_grid token grid (512 for the official 2048-trained weights).
std::vector<TensorSpec> greenformer_weight_spec(const GreenFormerConfig& cfg, int64_t pos_grid);

// Checks names and shapes. pos_embed may be on any square grid. The error lists every
// missing, unexpected and mismatched tensor at once.
Status validate_state_dict(const StateDict& sd, const GreenFormerConfig& cfg);

// Reads the shape-determining sizes (embed dim, blocks per stage, decoder and refiner widths)
// off the tensors. Head counts are not visible in weights: num_heads follows head_dim 56 when
// embed_dim allows it (CorridorKey), else 1.
Result<GreenFormerConfig> infer_config(const StateDict& sd);

// Side of the square token grid of a pos_embed (1, g*g, C), or an error.
Result<int64_t> pos_embed_grid(const Tensor& pos_embed);

}  // namespace ck
