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

  // The whole of the network after the decoders, in bands of `band_rows` image rows, with no
  // full-resolution map of C channels (1 GiB each at S = 2048): each band is computed from
  // the logits and the plate's colour through every layer, with halos as wide as the layers'
  // receptive field (31 rows), and discarded once used. GroupNorm needs statistics of the
  // whole image before it can be applied, so each of the nine is gathered by a pass of its
  // own over the bands (recomputing the layers before it) before the last pass writes the
  // output: about 5.5 times the refiner's convolutions, for memory independent of S but
  // for a band of rows. Equal to the coarse-upsample-refine-sigmoid of forward() within
  // fp32 rounding (the statistics are summed band by band; Winograd tiles start where the
  // band does).
  // input (S*S, 4): the network's input per pixel; logits (1, S/4, S/4, 4): the decoders'
  // output. -> sigmoid(up(logits) + output_scale * delta) (1, S, S, 4), alpha then fg.
  Result<Tensor> forward_in_bands(Backend& be, const Tensor& input, const Tensor& logits, float output_scale,
                                  int64_t band_rows) const;
  // The rows by which a band's input reaches beyond its output: the stem's 1 and each
  // residual block's two dilated convolutions (2 * (1 + 2 + 4 + 8)).
  static constexpr int64_t kHaloRows = 31;
  int64_t channels() const { return stem_conv_.weight.size(0); }

 private:
  Conv2d stem_conv_;  // refiner.stem.0
  GroupNorm stem_gn_;  // refiner.stem.1
  std::array<RefinerBlock, 4> blocks_;
  Conv2d final_;  // refiner.final with the x10 output scale folded into weight and bias

  friend class RefinerBands;
};

}  // namespace ck
