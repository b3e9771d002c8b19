// CorridorKey's refiner: a dilated residual CNN at full resolution that predicts corrections
// (delta logits) to the coarse alpha and foreground.
//   stem: conv3x3 7->C, GroupNorm, ReLU
//   res1..res4 (dilation 1, 2, 4, 8): relu(gn2(conv2(relu(gn1(conv1(x))))) + x)
//   final: conv1x1 C->4, times 10
#pragma once

#include <array>

#include "model/greenformer_config.hpp"
#include "model/layers.hpp"

namespace ck {

// Maps are NHWC (1, H, W, C) inside the refiner.
struct RefinerBlock {
  Conv2d conv1, conv2;
  GroupNorm gn1, gn2;
  Result<Tensor> forward(Backend& be, const Tensor& x) const;
};

class Refiner {
 public:
  static Result<Refiner> load(const WeightReader& w, const GreenFormerConfig& cfg);
  Status upload_to(Backend& be);

  // rgb (1, 3, S, S) normalised image, coarse (1, 4, S, S) [alpha, fg] probabilities
  // -> delta logits (1, 4, S, S), times `output_scale` (CorridorKey's refiner_scale; the
  // scale is applied to the final 1x1 convolution's weights, a 64 x 4 copy). `coarse` is
  // let go once copied into the refiner's input: passed by move, its memory is free for the
  // refiner's own maps (67 MB at S = 2048).
  // input (S*S, 4): the network's input per pixel (RGB, hint); coarse (1, S, S, 4):
  // sigmoid of the upsampled logits. -> delta logits (1, S, S, 4), times output_scale.
  Result<Tensor> forward(Backend& be, const Tensor& input, Tensor coarse, float output_scale = 1.0f) const;

 private:
  Conv2d stem_conv_;  // refiner.stem.0
  GroupNorm stem_gn_;  // refiner.stem.1
  std::array<RefinerBlock, 4> blocks_;
  Conv2d final_;  // refiner.final with the x10 output scale folded into weight and bias
};

}  // namespace ck
