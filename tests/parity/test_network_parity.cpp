// The whole network against PyTorch, stage by stage, on committed fixtures made by
// tools/reference (make_fixtures.py): tiny networks at S = 64 and 96, and the full-size
// network with generated weights (pos_embed on the official 512 grid, so the bicubic resize
// is exercised) at S = 256, all on the harness's sample plate and hint.
#include "backends/backend.hpp"
#include "model/synthetic_weights.hpp"
#include "stage_compare.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

StageTensors run_network(const StateDict& weights, const StageTensors& fixture, Backend& be) {
  const int s = static_cast<int>(fixture.at("input").size(2));
  GreenFormer net = unwrap(GreenFormer::create(weights, s, be));
  StageTensors got;
  unwrap(net.forward(fixture.at("input"), &got));
  return got;
}

// fp32 against fp32: differences come from summation order only. Logit stages carry the
// largest values and the x10 refiner scale; the probabilities are tighter.
double bar(const std::string& stage) {
  if (stage == "alpha_final" || stage == "fg_final" || stage == "alpha_coarse" || stage == "fg_coarse") return 2e-5;
  return 2e-4;
}

class TinyNetworkParity : public ::testing::TestWithParam<int> {};

TEST_P(TinyNetworkParity, MatchesPyTorchStageByStage) {
  const StateDict weights = unwrap(read_safetensors(fixture_path("tiny/weights.safetensors"))).tensors;
  const StageTensors fixture =
      unwrap(read_safetensors(fixture_path("tiny/stages_s" + std::to_string(GetParam()) + ".safetensors"))).tensors;
  for (BackendKind kind : {BackendKind::kCpu, BackendKind::kReference}) {
    auto be = make_backend(kind);
    SCOPED_TRACE(std::string(be->name()));
    expect_stages_match(run_network(weights, fixture, *be), fixture, bar);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, TinyNetworkParity, ::testing::Values(64, 96));

TEST(FullSizeNetworkParity, MatchesPyTorchAt256WithGeneratedWeights) {
  const StateDict weights = unwrap(make_synthetic_weights(GreenFormerConfig::base_plus(), 512, 0));
  const StageTensors fixture = unwrap(read_safetensors(fixture_path("fullsize/stages_s256.safetensors"))).tensors;
  auto be = make_cpu_backend();
  expect_stages_match(run_network(weights, fixture, *be), fixture, bar);
}

TEST(NetworkErrors, BadSizesAndWeightsAreReported) {
  auto be = make_cpu_backend();
  StateDict weights = unwrap(read_safetensors(fixture_path("tiny/weights.safetensors"))).tensors;
  auto r = GreenFormer::create(weights, 100, *be);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("multiple of 32"), std::string::npos) << r.error().message;

  GreenFormer net = unwrap(GreenFormer::create(weights, 64, *be));
  auto wrong_input = net.forward(unwrap(Tensor::zeros({1, 4, 96, 96})));
  ASSERT_FALSE(wrong_input.ok());
  EXPECT_NE(wrong_input.error().message.find("(1, 4, 64, 64)"), std::string::npos) << wrong_input.error().message;

  weights.erase("refiner.res2.gn1.weight");
  auto missing = GreenFormer::create(weights, 64, *be);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("missing: refiner.res2.gn1.weight"), std::string::npos);
}

}  // namespace
}  // namespace ck::test
