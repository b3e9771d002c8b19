// The synthetic weight generator is written twice (C++ here, numpy in tools/reference); the
// committed fixtures were made by the numpy one, so every value must match bit for bit.
#include "model/synthetic_weights.hpp"
#include "test_util.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

TEST(SyntheticWeights, FullSizeGeneratorMatchesNumpyBitForBit) {
  const StateDict probe = unwrap(read_safetensors(fixture_path("fullsize/synthetic_probe.safetensors"))).tensors;
  const auto specs = greenformer_weight_spec(GreenFormerConfig::base_plus(), 512);
  ASSERT_EQ(probe.size(), 2 * specs.size());
  std::vector<float> values;
  for (const TensorSpec& spec : specs) {
    values.resize(static_cast<size_t>(shape_numel(spec.shape)));
    fill_synthetic(spec, 0, values.data());
    const Tensor& head = probe.at(spec.name + "/head");
    const Tensor& tail = probe.at(spec.name + "/tail");
    const int64_t n = head.numel();
    ASSERT_EQ(n, tail.numel());
    EXPECT_EQ(std::memcmp(values.data(), head.raw(), static_cast<size_t>(n) * 4), 0) << spec.name << " head";
    EXPECT_EQ(std::memcmp(values.data() + values.size() - static_cast<size_t>(n), tail.raw(),
                          static_cast<size_t>(n) * 4), 0)
        << spec.name << " tail";
  }
}

TEST(SyntheticWeights, TinyWeightsFixtureIsReproduced) {
  const SafetensorsFile f = unwrap(read_safetensors(fixture_path("tiny/weights.safetensors")));
  const uint64_t seed = std::stoull(f.metadata.at("synthetic_seed"));
  const int64_t grid = std::stoll(f.metadata.at("pos_grid"));
  const StateDict sd = unwrap(make_synthetic_weights(GreenFormerConfig::tiny(), grid, seed));
  ASSERT_EQ(sd.size(), f.tensors.size());
  for (const auto& [name, want] : f.tensors) {
    ASSERT_TRUE(sd.count(name)) << name;
    EXPECT_EQ(sd.at(name).shape(), want.shape()) << name;
    EXPECT_EQ(std::memcmp(sd.at(name).raw(), want.raw(), want.nbytes()), 0) << name;
  }
}

TEST(SyntheticWeights, ScaleIsRealistic) {
  // Dense weights are uniform with std 1/sqrt(fan_in); norms sit around 1; biases are small.
  const auto specs = greenformer_weight_spec(GreenFormerConfig::base_plus(), 512);
  for (const TensorSpec& spec : specs) {
    if (spec.name != "encoder.model.blocks.7.mlp.fc1.weight") continue;
    std::vector<float> v(static_cast<size_t>(shape_numel(spec.shape)));
    fill_synthetic(spec, 0, v.data());
    double sum = 0, sq = 0;
    for (float x : v) sum += x, sq += static_cast<double>(x) * x;
    const double mean = sum / v.size(), sd = std::sqrt(sq / v.size() - mean * mean);
    EXPECT_NEAR(mean, 0.0, 1e-3);
    EXPECT_NEAR(sd, 1.0 / std::sqrt(448.0), 1e-3);
  }
  const GreenFormerConfig bad{.embed_dim = 10, .num_heads = 3};
  EXPECT_FALSE(make_synthetic_weights(bad, 4).ok());
}

}  // namespace
}  // namespace ck::test
