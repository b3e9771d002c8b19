#include <algorithm>
#include "model/hiera.hpp"

#include <cmath>

#include "model/weight_spec.hpp"

namespace ck {

namespace {
constexpr float kLayerNormEps = 1e-6f;
constexpr int kMaskUnitTokens = 8;  // timm's mask_unit_size (8, 8) in stage-0 tokens
// timm's mask_unit_attn = (True, True, False, False): windowed attention in stages 0 and 1.
constexpr int kWindowedStages = 2;
}  // namespace

Result<TokenGrid> HieraBlock::forward(Backend& be, const TokenGrid& x, int64_t token_chunk) const {
  const int64_t dim_out = attn_proj.weight.size(0);
  const int64_t out_h = q_pool ? x.h / 2 : x.h, out_w = q_pool ? x.w / 2 : x.w;
  // Mask-unit attention: qkv (h*w, 3 dim_out) -> (out_h*out_w, dim_out). The windowed
  // blocks (stages 0-1) attend within windows of `window` rows, so they run over bands of
  // whole windows' rows, about `token_chunk` tokens each: the normalised input, qkv (3x the
  // stream) and the attended tokens exist a band at a time (at S = 2048 in stage 0 they
  // would be 117 + 352 + 117 MB whole). Global attention needs every token at once.
  const int64_t band_rows =
      window > 0 && token_chunk > 0 ? std::max<int64_t>(window, token_chunk / x.w / window * window) : x.h;
  CK_ASSIGN(Tensor residual, new_tensor(be, {out_h * out_w, dim_out}));
  for (int64_t g0 = 0; g0 < x.h; g0 += band_rows) {
    const int64_t rows = std::min(band_rows, x.h - g0);
    const int64_t out_g0 = q_pool ? g0 / 2 : g0, out_rows = q_pool ? rows / 2 : rows;
    const Tensor in = token_rows(x.tokens, g0 * x.w, rows * x.w);  // (rows*w, dim_in)
    CK_ASSIGN(const Tensor xn, norm1(be, in));
    // Shortcut: the pooling blocks project the normalised input and 2x2 max-pool it.
    Tensor shortcut = in;
    if (proj) {
      CK_ASSIGN(const Tensor projected, (*proj)(be, xn));  // (rows*w, dim_out)
      CK_ASSIGN(const Tensor grid, projected.reshape({1, rows, x.w, dim_out}));
      CK_ASSIGN(Tensor pooled, new_tensor(be, {1, out_rows, out_w, dim_out}));
      CK_TRY(be.max_pool2x2(grid, pooled));
      CK_ASSIGN(shortcut, pooled.reshape({out_rows * out_w, dim_out}));
    }
    CK_ASSIGN(const Tensor qkv_tokens, qkv(be, xn));
    AttentionParams p;
    p.heads = heads;
    p.head_dim = static_cast<int>(dim_out / heads);
    p.grid_h = static_cast<int>(rows);
    p.grid_w = static_cast<int>(x.w);
    p.window_h = window > 0 ? window : p.grid_h;
    p.window_w = window > 0 ? window : p.grid_w;
    p.q_pool = q_pool;
    p.scale = 1.0f / std::sqrt(static_cast<float>(p.head_dim));
    p.bf16 = window == 0 && qkv.weight.dtype() == DType::BF16;  // windowed attention stays fp32
    CK_ASSIGN(Tensor attended, new_tensor(be, {out_rows * out_w, dim_out}));
    CK_TRY(be.attention(qkv_tokens, p, attended));
    // x = shortcut + attn(norm1(x)): the add happens as the projection stores its result.
    Tensor y = token_rows(residual, out_g0 * out_w, out_rows * out_w);
    CK_TRY(be.linear(attended, attn_proj.weight, attn_proj.bias.raw() ? &attn_proj.bias : nullptr, y,
                     {.residual = &shortcut}));
  }

  // MLP: x = x + fc2(gelu(fc1(norm2(x)))), the GELU and the add again fused into the GEMMs,
  // over `token_chunk` tokens at a time: each token's MLP is its own, and the hidden
  // layer, 4x as wide as the stream, is never whole (470 MB at S = 2048 in stage 0).
  const int64_t tokens = residual.size(0);
  const int64_t chunk = token_chunk > 0 ? std::min(token_chunk, tokens) : tokens;
  CK_ASSIGN(Tensor out, new_tensor(be, {tokens, dim_out}));
  for (int64_t t0 = 0; t0 < tokens; t0 += chunk) {
    const int64_t n = std::min(chunk, tokens - t0);
    const Tensor stream = token_rows(residual, t0, n);
    CK_ASSIGN(const Tensor h2, norm2(be, stream));
    CK_ASSIGN(const Tensor hidden, fc1(be, h2, {.gelu = true}));
    Tensor y = token_rows(out, t0, n);
    CK_TRY(be.linear(hidden, fc2.weight, fc2.bias.raw() ? &fc2.bias : nullptr, y, {.residual = &stream}));
  }
  return TokenGrid{out, out_h, out_w};
}

Result<Tensor> resize_pos_embed(Backend& be, const Tensor& pos_embed, int64_t grid) {
  CK_ASSIGN(const int64_t src, pos_embed_grid(pos_embed));
  const int64_t tokens = pos_embed.size(1), c = pos_embed.size(2);
  CK_ASSIGN(Tensor flat, pos_embed.reshape({tokens, c}));
  if (src == grid) return flat;
  // A few channels at a time: the official 512-grid pos_embed as a whole map would be a
  // second 117 MB copy, at the moment the whole checkpoint is in memory.
  constexpr int64_t kChannels = 16;
  CK_ASSIGN(Tensor resized, new_tensor(be, {1, c, grid, grid}));
  CK_ASSIGN(Tensor part, new_tensor(be, {1, std::min(kChannels, c), src, src}));
  for (int64_t c0 = 0; c0 < c; c0 += kChannels) {
    const int64_t n = std::min(kChannels, c - c0);
    const Tensor map = channel_slice(part, 0, n);  // (1, n, g, g) from tokens' columns c0..c0+n
    constexpr int64_t kTokens = 256;  // a block of tokens' rows stays in cache while it is spread
    for (int64_t t0 = 0; t0 < tokens; t0 += kTokens) {
      const int64_t t1 = std::min(tokens, t0 + kTokens);
      for (int64_t k = 0; k < n; ++k) {
        float* dst = map.data<float>() + k * tokens;
        for (int64_t t = t0; t < t1; ++t) dst[t] = flat.data<float>()[t * c + c0 + k];
      }
    }
    Tensor out = channel_slice(resized, c0, n);
    CK_TRY(be.resize_bicubic(map, out));
  }
  return map_to_tokens(be, resized);
}

Status Hiera::use_bf16_after_stage0() {
  for (size_t b = static_cast<size_t>(stage_ends_[0]) + 1; b < blocks_.size(); ++b) {
    HieraBlock& blk = blocks_[b];
    for (Linear* l : {&blk.qkv, &blk.attn_proj, &blk.fc1, &blk.fc2}) CK_TRY(l->to_bf16());
    if (blk.proj) CK_TRY(blk.proj->to_bf16());
  }
  return ok_status();
}

Status Hiera::upload_to(Backend& be) {
  CK_TRY(patch_embed_.upload_to(be));
  CK_TRY(upload_weight(be, pos_embed_));
  for (HieraBlock& blk : blocks_) {
    for (LayerNorm* n : {&blk.norm1, &blk.norm2}) CK_TRY(n->upload_to(be));
    for (Linear* l : {&blk.qkv, &blk.attn_proj, &blk.fc1, &blk.fc2}) CK_TRY(l->upload_to(be));
    if (blk.proj) CK_TRY(blk.proj->upload_to(be));
  }
  return ok_status();
}

Result<Hiera> Hiera::load(const WeightReader& w, const GreenFormerConfig& cfg, int img_size, Backend& be) {
  if (img_size <= 0 || img_size % 32 != 0) {
    return err(ErrorCode::kInvalidArgument, "image size ", img_size, " is not a positive multiple of 32");
  }
  Hiera h;
  h.img_size_ = img_size;
  h.stage_ends_ = cfg.stage_ends();
  const std::string enc = "encoder.model.";
  CK_ASSIGN(h.patch_embed_, Conv2d::load(w, enc + "patch_embed.proj", cfg.in_chans, cfg.embed_dim, 7,
                                         {4, 3, 1, Layout::kNHWC}));

  // pos_embed comes on the grid the weights were trained at (512 for the official ones).
  CK_ASSIGN(const Shape pos_shape, w.shape_of(enc + "pos_embed"));
  const int64_t pos_tokens = pos_shape.size() == 3 ? pos_shape[1] : -1;
  CK_ASSIGN(Tensor pos, w.get(enc + "pos_embed", {1, pos_tokens, cfg.embed_dim}));
  CK_ASSIGN(h.pos_embed_, resize_pos_embed(be, pos, img_size / 4));

  for (int b = 0; b < cfg.depth(); ++b) {
    const std::string p = enc + "blocks." + std::to_string(b) + ".";
    const int stage = cfg.block_stage(b);
    // The input's stage decides the window (timm lags the mask-unit flag by one block).
    const int input_stage = b == 0 ? 0 : cfg.block_stage(b - 1);
    const int64_t dim_out = cfg.stage_dim(stage), dim_in = cfg.stage_dim(input_stage);
    HieraBlock blk;
    CK_ASSIGN(blk.norm1, LayerNorm::load(w, p + "norm1", dim_in, kLayerNormEps));
    if (dim_in != dim_out) {
      CK_ASSIGN(blk.proj, Linear::load(w, p + "proj", dim_in, dim_out));
    }
    CK_ASSIGN(blk.qkv, Linear::load(w, p + "attn.qkv", dim_in, 3 * dim_out));
    CK_ASSIGN(blk.attn_proj, Linear::load(w, p + "attn.proj", dim_out, dim_out));
    CK_ASSIGN(blk.norm2, LayerNorm::load(w, p + "norm2", dim_out, kLayerNormEps));
    CK_ASSIGN(blk.fc1, Linear::load(w, p + "mlp.fc1", dim_out, cfg.mlp_ratio * dim_out));
    CK_ASSIGN(blk.fc2, Linear::load(w, p + "mlp.fc2", cfg.mlp_ratio * dim_out, dim_out));
    blk.heads = cfg.stage_heads(stage);
    blk.q_pool = cfg.is_pooling_block(b);
    blk.window = input_stage < kWindowedStages ? kMaskUnitTokens >> input_stage : 0;
    h.blocks_.push_back(std::move(blk));
  }
  return h;
}

Result<std::array<TokenGrid, 4>> Hiera::forward(Backend& be, const Tensor& x, StageClock* clock) const {
  if (x.dim() != 4 || x.size(0) != 1 || x.size(1) != img_size_ || x.size(2) != img_size_ ||
      x.size(3) != patch_embed_.weight.size(1)) {
    return err(ErrorCode::kInvalidArgument, "encoder input is ", shape_str(x.shape()), ", expected (1, ", img_size_,
               ", ", img_size_, ", ", patch_embed_.weight.size(1), ") channels-last");
  }
  CK_ASSIGN(const Tensor embedded, patch_embed_(be, x));  // (1, S/4, S/4, C): already tokens in raster order
  const int64_t g = img_size_ / 4;
  TokenGrid cur;
  CK_ASSIGN(cur.tokens, embedded.reshape({g * g, embedded.size(3)}));  // (g*g, C)
  cur.h = cur.w = g;
  CK_TRY(be.add(cur.tokens, pos_embed_, cur.tokens));
  lap(clock, "patch_embed");
  static constexpr const char* kStageNames[4] = {"stage0", "stage1", "stage2", "stage3"};

  std::array<TokenGrid, 4> features;
  size_t stage = 0;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    CK_ASSIGN(cur, blocks_[b].forward(be, cur, token_chunk_));
    if (static_cast<int>(b) == stage_ends_[stage]) {
      lap(clock, kStageNames[stage]);
      features[stage++] = cur;
    }
  }
  return features;
}

}  // namespace ck
