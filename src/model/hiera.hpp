// timm's Hiera (hiera_base_plus_224 with features_only=True) with a 4-channel patch embed:
// the GreenFormer encoder. Tokens stay in raster order throughout; mask-unit attention runs on
// aligned windows of that grid, which is timm's unrolled computation up to summation order.
// Block and tensor names are the checkpoint's ("encoder.model.blocks.N.attn.qkv", ...).
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "core/stage_clock.hpp"
#include "model/greenformer_config.hpp"
#include "model/layers.hpp"

namespace ck {

// A feature map as the encoder produces it: tokens (h*w, C) in raster order.
struct TokenGrid {
  Tensor tokens;
  int64_t h = 0, w = 0;
};

// blocks.N: x = shortcut + attn(norm1(x)); x = x + mlp(norm2(x)).
struct HieraBlock {
  LayerNorm norm1, norm2;
  std::optional<Linear> proj;  // pooling blocks only: the shortcut's dim change
  Linear qkv, attn_proj;       // attn.qkv (dim_in -> 3 dim_out), attn.proj (dim_out -> dim_out)
  Linear fc1, fc2;             // mlp.fc1 (dim_out -> 4 dim_out), mlp.fc2
  int heads = 1;
  int window = 0;  // side of the aligned K/V window in input tokens; 0 = global attention
  bool q_pool = false;

  // x: tokens (h*w, dim_in) -> (h*w, dim_out), or (h/2 * w/2, dim_out) when q_pool.
  // The MLP runs over `token_chunk` tokens at a time, and windowed attention over bands of
  // whole windows of about as many (0: all at once).
  Result<TokenGrid> forward(Backend& be, const TokenGrid& x, int64_t token_chunk = 0) const;
};

class Hiera {
 public:
  // `img_size` S fixes the token grid (S/4)^2; pos_embed is resized to it bicubically.
  static Result<Hiera> load(const WeightReader& w, const GreenFormerConfig& cfg, int img_size, Backend& be);

  // x (1, in_chans, S, S) -> the residual stream after the last block of each stage:
  // (S/4)^2 x C, (S/8)^2 x 2C, (S/16)^2 x 4C, (S/32)^2 x 8C tokens.
  // With a clock, laps are marked "patch_embed" and "stage0".."stage3".
  Result<std::array<TokenGrid, 4>> forward(Backend& be, const Tensor& x, StageClock* clock = nullptr) const;

  int img_size() const { return img_size_; }
  // Tokens per MLP evaluation and per band of windowed attention (see HieraBlock::forward).
  void set_token_chunk(int64_t tokens) { token_chunk_ = tokens; }

  // The blocks of stages 1-3 to bf16 precision (see corridorkey/precision.hpp); the patch
  // embedding and stage 0 stay fp32.
  Status use_bf16_after_stage0();
  // Every weight to the backend's memory, once, after preparing them on the host.
  Status upload_to(Backend& be);

 private:
  Conv2d patch_embed_;  // patch_embed.proj: 7x7, stride 4, pad 3
  Tensor pos_embed_;    // ((S/4)^2, C), already resized
  std::vector<HieraBlock> blocks_;
  std::array<int, 4> stage_ends_{};
  int img_size_ = 0;
  int64_t token_chunk_ = 0;
};

// pos_embed (1, g*g, C) resized to (grid*grid, C) as a square grid: bicubic, A = -0.75,
// half-pixel centres, border replicated (F.interpolate(mode="bicubic", align_corners=False)).
Result<Tensor> resize_pos_embed(Backend& be, const Tensor& pos_embed, int64_t grid);

}  // namespace ck
