// The whole network against PyTorch, stage by stage, on committed fixtures made by
// tools/reference (make_fixtures.py): tiny networks at S = 64 and 96, and the full-size
// network with generated weights (pos_embed on the official 512 grid, so the bicubic resize
// is exercised) at S = 256, all on the harness's sample plate and hint.
#include "backends/backend.hpp"
#include "core/buffer_pool.hpp"
#include "model/synthetic_weights.hpp"
#include "cpu_level_guard.hpp"
#include "stage_compare.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

StageTensors run_network(const StateDict& weights, const StageTensors& fixture, Backend& be,
                         Precision precision = Precision::kFP32) {
  const int s = static_cast<int>(fixture.at("input").size(2));
  GreenFormer net = unwrap(GreenFormer::create(weights, s, be, precision));
  StageTensors got;
  unwrap(net.forward(channels_last(fixture.at("input")), &got));
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

// From the second frame on, the buffers come from the pool's planned arena
// (core/buffer_pool.hpp): the outputs must not change by a bit, and still match PyTorch.
// (The tiny networks' tensors are all below the pool's 1 MiB floor.)
TEST(FullSizeNetworkParity, LaterFramesFromThePlannedArenaGiveTheSameResult) {
  const StateDict weights = unwrap(make_synthetic_weights(GreenFormerConfig::base_plus(), 512, 0));
  const StageTensors fixture = unwrap(read_safetensors(fixture_path("fullsize/stages_s256.safetensors"))).tensors;
  auto be = make_cpu_backend();
  GreenFormer net = unwrap(GreenFormer::create(weights, 256, *be));
  const Tensor x = channels_last(fixture.at("input"));
  const GreenFormerOutput first = unwrap(net.forward(x));
  const uint64_t planned_before = BufferPool::instance().stats().planned;
  for (int frame = 2; frame <= 3; ++frame) {
    const GreenFormerOutput again = unwrap(net.forward(x));
    EXPECT_EQ(max_abs_diff(again.alpha, first.alpha), 0.0) << "frame " << frame;
    EXPECT_EQ(max_abs_diff(again.fg, first.fg), 0.0) << "frame " << frame;
  }
  EXPECT_GT(BufferPool::instance().stats().planned, planned_before) << "the arena was not used";
  EXPECT_LE(max_abs_diff(first.alpha, fixture.at("alpha_final")), 2e-5);
  EXPECT_LE(max_abs_diff(first.fg, fixture.at("fg_final")), 2e-5);
}

TEST(FullSizeNetworkParity, MatchesPyTorchAt256WithGeneratedWeights) {
  const StateDict weights = unwrap(make_synthetic_weights(GreenFormerConfig::base_plus(), 512, 0));
  const StageTensors fixture = unwrap(read_safetensors(fixture_path("fullsize/stages_s256.safetensors"))).tensors;
  auto be = make_cpu_backend();
  expect_stages_match(run_network(weights, fixture, *be), fixture, bar);
}

// bf16 precision against the fp32 PyTorch reference. (Each bf16 kernel is checked tightly
// against an exact emulation in test_bf16_kernels; a whole network cannot be: a 1e-7
// summation-order difference now and then moves a value across a bf16 rounding boundary,
// a 4e-3 step that the untrained networks amplify.) Generated weights are the hard case for
// bf16: the alpha is nowhere near 0 or 1 (a trained keyer's mostly is), where the sigmoid
// passes errors on at full slope, and the untrained refiner amplifies any rounding of its
// input (one of its convolutions alone in bf16 moved the outputs by 4e-3, which is why the
// refiner stays fp32). Measured here: 5.0e-3 / 7.8e-3 on alpha_final / fg_final
// (docs/PARITY.md), so the bar is 1e-2 and the intermediate stages are reported without
// bars of their own, except those that stay fp32.
double bf16_bar(const std::string& stage) {
  if (stage == "alpha_final" || stage == "fg_final" || stage == "alpha_coarse" || stage == "fg_coarse") return 1e-2;
  if (stage == "input" || stage == "encoder_feature_0") return 2e-4;  // the patch embed and stage 0 stay fp32
  return 1.0;
}

TEST(FullSizeNetworkParity, Bf16At256StaysWithinItsBarOfTheFp32Reference) {
  auto be = make_cpu_backend();
  if (!be->supports(OpKind::kLinear, DType::BF16).ok()) GTEST_SKIP() << "this CPU has no AVX512-BF16";
  const StateDict weights = unwrap(make_synthetic_weights(GreenFormerConfig::base_plus(), 512, 0));
  const StageTensors fixture = unwrap(read_safetensors(fixture_path("fullsize/stages_s256.safetensors"))).tensors;
  expect_stages_match(run_network(weights, fixture, *be, Precision::kBF16), fixture, bf16_bar);
}

TEST(NetworkErrors, BadSizesAndWeightsAreReported) {
  auto be = make_cpu_backend();
  StateDict weights = unwrap(read_safetensors(fixture_path("tiny/weights.safetensors"))).tensors;
  auto r = GreenFormer::create(weights, 100, *be);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("multiple of 32"), std::string::npos) << r.error().message;

  GreenFormer net = unwrap(GreenFormer::create(weights, 64, *be));
  auto wrong_input = net.forward(unwrap(Tensor::zeros({1, 96, 96, 4})));
  ASSERT_FALSE(wrong_input.ok());
  EXPECT_NE(wrong_input.error().message.find("(1, 64, 64, 4)"), std::string::npos) << wrong_input.error().message;

  weights.erase("refiner.res2.gn1.weight");
  auto missing = GreenFormer::create(weights, 64, *be);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("missing: refiner.res2.gn1.weight"), std::string::npos);
}

}  // namespace
}  // namespace ck::test
