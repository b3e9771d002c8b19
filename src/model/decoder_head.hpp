// CorridorKey's SegFormer-style decoder heads (alpha_decoder: 1 channel, fg_decoder: 3), run
// together.
//
// PyTorch computes, per head:
//   c_i = linear_c{i}(feature_i)                      (256 channels at each scale)
//   fused = linear_fuse(cat[up(c4), up(c3), up(c2), c1])   1x1 conv 1024 -> 256, no bias
//   logits = classifier(relu(bn(fused)))
// Bilinear upsampling and a per-pixel linear map commute, and BatchNorm in eval mode is an
// affine map, so each 256x256 block of linear_fuse and the BatchNorm scale are folded into
// linear_c{i} at load time: logits = classifier(relu(sum_i up(P_i feature_i) + b)). The
// 1024-channel concatenation at S/4 is never built. Folding runs in double precision.
//
// Both heads read the same features, so their folded projections are stacked into one
// 512-output projection per scale (alpha's 256 channels, then fg's), the sum is taken on
// channels-last maps (no layout changes), and the two classifiers form one 1x1 convolution
// 512 -> 4 whose rows each read their own head's half.
#pragma once

#include <array>

#include "model/greenformer_config.hpp"
#include "model/hiera.hpp"
#include "model/layers.hpp"

namespace ck {

class DecoderHeads {
 public:
  static Result<DecoderHeads> load(const WeightReader& w, const GreenFormerConfig& cfg);
  Status upload_to(Backend& be);

  // features at S/4, S/8, S/16, S/32 -> logits (1, S/4, S/4, 4) channels-last: alpha, then
  // fg's three. The fused map (2 * decoder_dim channels at S/4: 512 MiB at S = 2048) is made
  // `band_rows` rows at a time (0: whole), each band with a margin of rows that the coarser
  // scales' upsampling needs (the logits are the same to the bit: every output row is
  // computed from the same source rows with the same weights).
  Result<Tensor> forward(Backend& be, const std::array<TokenGrid, 4>& features, int64_t band_rows = 0) const;

 private:
  // folded[i]: (2 * decoder_dim, C_i), each head's diag(bn_scale) W_fuse[block of c_{i+1}]
  // W_c{i+1}; the scale 0 projection carries every bias (upsampling preserves constants).
  std::array<Linear, 4> folded_;
  Conv2d classifier_;  // NHWC 1x1, (4, 2 * decoder_dim): block-diagonal
};

}  // namespace ck
