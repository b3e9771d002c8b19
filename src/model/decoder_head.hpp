// CorridorKey's SegFormer-style decoder heads (alpha_decoder: 1 channel, fg_decoder: 3).
//
// PyTorch computes, per head:
//   c_i = linear_c{i}(feature_i)                      (256 channels at each scale)
//   fused = linear_fuse(cat[up(c4), up(c3), up(c2), c1])   1x1 conv 1024 -> 256, no bias
//   logits = classifier(relu(bn(fused)))
// Bilinear upsampling and a per-pixel linear map commute, and BatchNorm in eval mode is an
// affine map, so each 256x256 block of linear_fuse and the BatchNorm scale are folded into
// linear_c{i} at load time: logits = classifier(relu(sum_i up(P_i feature_i) + b)). The
// 1024-channel concatenation at S/4 is never built. Folding runs in double precision.
#pragma once

#include <array>

#include "model/greenformer_config.hpp"
#include "model/hiera.hpp"
#include "model/layers.hpp"

namespace ck {

class DecoderHead {
 public:
  // prefix: "alpha_decoder" or "fg_decoder"; out_channels 1 or 3.
  static Result<DecoderHead> load(const WeightReader& w, const GreenFormerConfig& cfg, const std::string& prefix,
                                  int64_t out_channels);

  // features at S/4, S/8, S/16, S/32 -> logits (1, out, S/4, S/4).
  Result<Tensor> forward(Backend& be, const std::array<TokenGrid, 4>& features) const;

 private:
  // folded[i]: (decoder_dim, C_i) = diag(bn_scale) W_fuse[block of c_{i+1}] W_c{i+1}; the
  // scale 0 projection carries every bias (upsampling preserves constants).
  std::array<Linear, 4> folded_;
  Conv2d classifier_;
};

}  // namespace ck
