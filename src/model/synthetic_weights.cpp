// Compiled with -ffp-contract=off: offset + u * amp must round twice, exactly as numpy does.
#include "model/synthetic_weights.hpp"

#include <cmath>

namespace ck {

namespace {
constexpr uint64_t kPhi = 0x9E3779B97F4A7C15ull;

uint64_t splitmix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

SyntheticParams synthetic_role_params(const TensorSpec& spec) {
  switch (spec.role) {
    case WeightRole::kPosEmbed: return {0.0f, 0.02f};
    case WeightRole::kDenseWeight: {
      const double fan_in = static_cast<double>(shape_numel(spec.shape) / spec.shape[0]);
      // The refiner's output is multiplied by 10 in the network; a smaller kernel keeps the
      // final mattes away from saturation, as a trained refiner's small corrections are.
      const double gain = ends_with(spec.name, "refiner.final.weight") ? 0.1 : 1.0;
      return {0.0f, static_cast<float>(gain * std::sqrt(3.0 / fan_in))};  // uniform, std gain/sqrt(fan_in)
    }
    case WeightRole::kDenseBias: return {0.0f, 0.02f};
    case WeightRole::kNormWeight: return {1.0f, 0.1f};
    case WeightRole::kNormBias: return {0.0f, 0.05f};
    case WeightRole::kBnMean: return {0.0f, 0.1f};
    case WeightRole::kBnVar: return {1.0f, 0.5f};
  }
  return {0.0f, 0.0f};
}

void fill_synthetic(const TensorSpec& spec, uint64_t seed, float* out) {
  const SyntheticParams p = synthetic_role_params(spec);
  const uint64_t base = fnv1a64(spec.name) + seed;
  const int64_t n = shape_numel(spec.shape);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t z = splitmix64(base + static_cast<uint64_t>(i + 1) * kPhi);
    const float u = static_cast<float>(z >> 40) * 0x1p-23f - 1.0f;
    out[i] = p.offset + u * p.amplitude;
  }
}

Result<StateDict> make_synthetic_weights(const GreenFormerConfig& cfg, int64_t pos_grid, uint64_t seed) {
  CK_TRY(cfg.validate());
  StateDict sd;
  for (const TensorSpec& spec : greenformer_weight_spec(cfg, pos_grid)) {
    CK_ASSIGN(Tensor t, Tensor::empty(spec.shape));
    fill_synthetic(spec, seed, t.data<float>());
    sd.emplace(spec.name, std::move(t));
  }
  return sd;
}

}  // namespace ck
