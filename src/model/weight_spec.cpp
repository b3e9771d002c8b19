#include "model/weight_spec.hpp"

#include <cmath>
#include <set>
#include <sstream>

namespace ck {

namespace {

void add_linear(std::vector<TensorSpec>& s, const std::string& p, int64_t out, int64_t in) {
  s.push_back({p + ".weight", {out, in}, WeightRole::kDenseWeight});
  s.push_back({p + ".bias", {out}, WeightRole::kDenseBias});
}

void add_conv(std::vector<TensorSpec>& s, const std::string& p, int64_t out, int64_t in, int64_t k, bool bias) {
  s.push_back({p + ".weight", {out, in, k, k}, WeightRole::kDenseWeight});
  if (bias) s.push_back({p + ".bias", {out}, WeightRole::kDenseBias});
}

void add_norm(std::vector<TensorSpec>& s, const std::string& p, int64_t c) {
  s.push_back({p + ".weight", {c}, WeightRole::kNormWeight});
  s.push_back({p + ".bias", {c}, WeightRole::kNormBias});
}

void add_decoder(std::vector<TensorSpec>& s, const GreenFormerConfig& cfg, const std::string& p, int64_t out) {
  const int64_t d = cfg.decoder_dim;
  for (int i = 0; i < 4; ++i) add_linear(s, p + ".linear_c" + std::to_string(i + 1) + ".proj", d, cfg.stage_dim(i));
  add_conv(s, p + ".linear_fuse", d, 4 * d, 1, /*bias=*/false);
  add_norm(s, p + ".bn", d);
  s.push_back({p + ".bn.running_mean", {d}, WeightRole::kBnMean});
  s.push_back({p + ".bn.running_var", {d}, WeightRole::kBnVar});
  add_conv(s, p + ".classifier", out, d, 1, true);
}

}  // namespace

std::vector<TensorSpec> greenformer_weight_spec(const GreenFormerConfig& cfg, int64_t pos_grid) {
  std::vector<TensorSpec> s;
  const std::string enc = "encoder.model.";
  s.push_back({enc + "pos_embed", {1, pos_grid * pos_grid, cfg.embed_dim}, WeightRole::kPosEmbed});
  add_conv(s, enc + "patch_embed.proj", cfg.embed_dim, cfg.in_chans, 7, true);
  for (int b = 0; b < cfg.depth(); ++b) {
    const std::string p = enc + "blocks." + std::to_string(b) + ".";
    const int stage = cfg.block_stage(b);
    const int64_t dim_out = cfg.stage_dim(stage);
    const int64_t dim_in = cfg.is_pooling_block(b) ? cfg.stage_dim(stage - 1) : dim_out;
    add_norm(s, p + "norm1", dim_in);
    if (dim_in != dim_out) add_linear(s, p + "proj", dim_out, dim_in);
    add_linear(s, p + "attn.qkv", 3 * dim_out, dim_in);
    add_linear(s, p + "attn.proj", dim_out, dim_out);
    add_norm(s, p + "norm2", dim_out);
    add_linear(s, p + "mlp.fc1", cfg.mlp_ratio * dim_out, dim_out);
    add_linear(s, p + "mlp.fc2", dim_out, cfg.mlp_ratio * dim_out);
  }
  add_decoder(s, cfg, "alpha_decoder", 1);
  add_decoder(s, cfg, "fg_decoder", 3);
  const int64_t r = cfg.refiner_channels;
  add_conv(s, "refiner.stem.0", r, 7, 3, true);
  add_norm(s, "refiner.stem.1", r);
  for (int i = 1; i <= 4; ++i) {
    const std::string p = "refiner.res" + std::to_string(i) + ".";
    add_conv(s, p + "conv1", r, r, 3, true);
    add_norm(s, p + "gn1", r);
    add_conv(s, p + "conv2", r, r, 3, true);
    add_norm(s, p + "gn2", r);
  }
  add_conv(s, "refiner.final", 4, r, 1, true);
  return s;
}

Result<int64_t> pos_embed_grid(const Tensor& pos_embed) {
  if (pos_embed.dim() != 3 || pos_embed.size(0) != 1) {
    return err(ErrorCode::kFormat, "pos_embed has shape ", shape_str(pos_embed.shape()), ", expected (1, g*g, C)");
  }
  const auto g = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(pos_embed.size(1)))));
  if (g * g != pos_embed.size(1) || g == 0) {
    return err(ErrorCode::kFormat, "pos_embed holds ", pos_embed.size(1), " tokens, not a square grid");
  }
  return g;
}

Status validate_state_dict(const StateDict& sd, const GreenFormerConfig& cfg) {
  CK_TRY(cfg.validate());
  int64_t grid = 1;
  std::ostringstream problems;
  size_t count = 0;
  auto note = [&](const std::string& line) {
    if (count++ < 40) problems << "\n  " << line;
  };
  if (auto it = sd.find("encoder.model.pos_embed"); it != sd.end()) {
    auto g = pos_embed_grid(it->second);
    if (g.ok()) grid = *g;
    else note(g.error().message);
  }
  std::set<std::string> expected;
  for (const TensorSpec& t : greenformer_weight_spec(cfg, grid)) {
    expected.insert(t.name);
    const auto it = sd.find(t.name);
    if (it == sd.end()) {
      note("missing: " + t.name + " " + shape_str(t.shape));
    } else if (it->second.shape() != t.shape) {
      note("wrong shape: " + t.name + " is " + shape_str(it->second.shape()) + ", expected " + shape_str(t.shape));
    } else if (it->second.dtype() == DType::I64) {
      note("wrong dtype: " + t.name + " is an integer tensor");
    }
  }
  for (const auto& [name, t] : sd) {
    if (!expected.count(name)) note("unexpected: " + name + " " + shape_str(t.shape()));
  }
  if (count == 0) return ok_status();
  std::ostringstream msg;
  msg << "checkpoint does not fit the GreenFormer network (" << cfg.describe() << "): " << count << " problem"
      << (count == 1 ? "" : "s") << problems.str();
  if (count > 40) msg << "\n  ... and " << count - 40 << " more";
  return make_error(ErrorCode::kFormat, msg.str());
}

Result<GreenFormerConfig> infer_config(const StateDict& sd) {
  auto shape_of = [&](const std::string& name) -> const Shape* {
    const auto it = sd.find(name);
    return it == sd.end() ? nullptr : &it->second.shape();
  };
  GreenFormerConfig cfg;
  const Shape* patch = shape_of("encoder.model.patch_embed.proj.weight");
  const Shape* dec = shape_of("alpha_decoder.linear_c1.proj.weight");
  const Shape* ref = shape_of("refiner.stem.0.weight");
  if (!patch || patch->size() != 4 || !dec || dec->size() != 2 || !ref || ref->size() != 4) {
    return err(ErrorCode::kFormat,
               "not a GreenFormer checkpoint: patch_embed, alpha_decoder.linear_c1 or refiner.stem.0 is missing");
  }
  cfg.embed_dim = static_cast<int>((*patch)[0]);
  cfg.in_chans = static_cast<int>((*patch)[1]);
  cfg.num_heads = cfg.embed_dim % 56 == 0 ? cfg.embed_dim / 56 : 1;
  cfg.decoder_dim = static_cast<int>((*dec)[0]);
  cfg.refiner_channels = static_cast<int>((*ref)[0]);
  cfg.refiner_groups = cfg.refiner_channels % 8 == 0 ? 8 : 1;
  // Blocks run until the first missing index; stages end before each block with a `proj`.
  int depth = 0;
  while (shape_of("encoder.model.blocks." + std::to_string(depth) + ".norm1.weight")) ++depth;
  std::vector<int> starts{0};
  for (int b = 1; b < depth; ++b) {
    if (shape_of("encoder.model.blocks." + std::to_string(b) + ".proj.weight")) starts.push_back(b);
  }
  if (starts.size() != 4) {
    return err(ErrorCode::kFormat, "not a GreenFormer checkpoint: found ", starts.size(), " Hiera stages in ", depth,
               " blocks, expected 4");
  }
  starts.push_back(depth);
  for (size_t s = 0; s < 4; ++s) cfg.stages[s] = starts[s + 1] - starts[s];
  return cfg;
}

}  // namespace ck
