// GreenFormer, CorridorKey's network: the Hiera encoder, the alpha and foreground decoder
// heads and the refiner. Input (1, 4, S, S): ImageNet-normalised RGB and the raw alpha hint.
// Output: alpha (1, 1, S, S) and straight sRGB foreground (1, 3, S, S), both in [0, 1].
#pragma once

#include <map>
#include <utility>
#include <string>

#include "model/decoder_head.hpp"
#include "model/greenformer_config.hpp"
#include "model/hiera.hpp"
#include "corridorkey/precision.hpp"
#include "model/refiner.hpp"

namespace ck {

// Every intermediate the parity tests compare, by the reference harness's names: input,
// encoder_feature_0..3, alpha_logits, fg_logits, alpha_logits_up, fg_logits_up, alpha_coarse,
// fg_coarse, delta_logits, alpha_final, fg_final (float32 NCHW).
using StageTensors = std::map<std::string, Tensor>;

struct GreenFormerOutput {
  Tensor alpha;  // (1, 1, S, S)
  Tensor fg;     // (1, 3, S, S)
};

// Readies the calling thread's buffer pool (core/buffer_pool.hpp) for frames, once the network is built: lets
// go of the idle buffers building it left behind (its temporaries: no frame asks for them
// again; 110 MB at 512) and sets the budget of idle buffers kept outside frame plans to
// `idle_budget_mib`, or 64 MiB when that is negative. From the second frame on, a frame's
// buffers come from its planned arena, whatever the budget.
void prepare_buffer_pool(int idle_budget_mib = -1);

// How a frame's memory is traded for recomputation (see docs/ARCHITECTURE.md, "Memory").
struct NetworkMemoryPlan {
  // The refiner in bands of this many image rows, with no full-resolution map of its 64
  // channels (Refiner::forward_in_bands); 0: whole maps, the fastest.
  int64_t refiner_band_rows = 0;
  // The encoder's MLPs over this many tokens at a time (their hidden layer is 4x the
  // width: 470 MB at S = 2048 in stage 0 if whole), and its windowed attention over bands
  // of whole windows of about as many; 0: all tokens at once.
  int64_t token_chunk = 16384;
  // The decoders' fused map at S/4 (512 channels: 512 MiB at S = 2048 if whole) this many
  // rows at a time; 0: whole.
  int64_t decoder_band_rows = 64;
};

class GreenFormer {
 public:
  // Builds the network for input size S (a multiple of 32) from a canonical state dict
  // (see weights/checkpoint.hpp). The shapes are read off the weights and checked.
  // With Precision::kBF16 (see corridorkey/precision.hpp) the backend must support bf16.
  static Result<GreenFormer> create(const StateDict& weights, int img_size, Backend& backend,
                                    Precision precision = Precision::kFP32);

  // x (1, S, S, 4) channels-last. When `stages` is given, every intermediate is stored in it
  // as well (NCHW copies); with the refiner in bands (NetworkMemoryPlan), all but the
  // full-resolution ones that bands never make whole (*_logits_up, *_coarse, delta_logits).
  // `refiner_scale` multiplies the refiner's delta logits (after its x10); 0 skips the
  // refiner and returns the coarse prediction.
  // With a clock, laps are marked: patch_embed, stage0..stage3, decoders, refiner (which
  // includes the upsampling of the logits), output.
  Result<GreenFormerOutput> forward(const Tensor& x, StageTensors* stages = nullptr, float refiner_scale = 1.0f,
                                    StageClock* clock = nullptr) const;

  // The frame's memory plan; results equal within fp32 rounding whatever it says.
  void set_memory_plan(const NetworkMemoryPlan& plan);
  const NetworkMemoryPlan& memory_plan() const { return plan_; }

  const GreenFormerConfig& config() const { return cfg_; }
  int img_size() const { return encoder_.img_size(); }
  Precision precision() const { return precision_; }

 private:
  // x -> logits (1, 4, S/4, S/4): alpha, then fg; the features and both heads' logits go
  // into `stages`.
  Result<Tensor> encode_and_decode(const Tensor& x, StageTensors* stages, StageClock* clock) const;

  Backend* backend_ = nullptr;
  GreenFormerConfig cfg_;
  Hiera encoder_;
  DecoderHeads decoders_;
  Refiner refiner_;
  Precision precision_ = Precision::kFP32;
  NetworkMemoryPlan plan_;
};

}  // namespace ck
