// The network's memory plans (NetworkMemoryPlan) against its whole-map evaluation, on the
// committed networks: the refiner in bands of rows, forced small so that bands split every
// dilation's phase and the last band is a single row, and the encoder's MLPs over chunks of
// tokens. Each result must equal the whole-map one within fp32 rounding, and still match
// PyTorch's.
#include <cmath>
#include <cstdio>

#include "backends/backend.hpp"
#include "core/buffer_pool.hpp"
#include "model/memory_estimate.hpp"
#include "model/synthetic_weights.hpp"
#include "stage_compare.hpp"
#include "weights/checkpoint.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

// Band results against whole-map results: the GroupNorm statistics are summed band by band
// (in double) and Winograd tiles start where each band does, so rounding differs in the
// last bits of fp32. Outputs are probabilities in [0, 1].
constexpr double kSameWithinRounding = 1e-5;

GreenFormerOutput run(GreenFormer& net, const Tensor& x, const NetworkMemoryPlan& plan, float refiner_scale = 1.0f) {
  net.set_memory_plan(plan);
  return unwrap(net.forward(x, nullptr, refiner_scale));
}

double max_output_diff(const GreenFormerOutput& a, const GreenFormerOutput& b) {
  return std::max(max_abs_diff(a.alpha, b.alpha), max_abs_diff(a.fg, b.fg));
}

// The network input of a fixture (the harness's sample plate and hint at its S).
Tensor fixture_input(const std::string& name) {
  const StageTensors fixture = unwrap(read_safetensors(fixture_path(name))).tensors;
  return channels_last(fixture.at("input"));
}

struct BandCase {
  int img_size;
  int64_t band_rows;
  bool also_reference_backend = false;  // plain loops: slow over many bands
};

void PrintTo(const BandCase& c, std::ostream* os) { *os << "S = " << c.img_size << ", bands of " << c.band_rows; }

class TinyNetworkInBands : public ::testing::TestWithParam<BandCase> {};

// S = 64 in bands of 3: 21 bands and a last one of one row; every dilation (1, 2, 4, 8) has
// its phases cut. S = 96 in bands of 5 ends on one row too; 7 and 64 are other cuts.
TEST_P(TinyNetworkInBands, EqualsTheWholeMapsAndPyTorch) {
  const auto [s, band, also_reference] = GetParam();
  const StateDict weights = unwrap(read_safetensors(fixture_path("tiny/weights.safetensors"))).tensors;
  const std::string stages = "tiny/stages_s" + std::to_string(s) + ".safetensors";
  const StageTensors fixture = unwrap(read_safetensors(fixture_path(stages))).tensors;
  const Tensor x = channels_last(fixture.at("input"));
  for (BackendKind kind : {BackendKind::kCpu, BackendKind::kReference}) {
    if (kind == BackendKind::kReference && !also_reference) continue;
    auto be = make_backend(kind);
    SCOPED_TRACE(std::string(be->name()));
    GreenFormer net = unwrap(GreenFormer::create(weights, s, *be));
    const GreenFormerOutput whole = run(net, x, {.refiner_band_rows = 0, .decoder_band_rows = 0});
    // The decoders' fused map in bands of the same height (at S/4).
    const GreenFormerOutput banded = run(net, x, {.refiner_band_rows = band, .decoder_band_rows = band});
    const double diff = max_output_diff(banded, whole);
    EXPECT_LE(diff, kSameWithinRounding);
    std::printf("S = %d, bands of %lld rows, %s: max |banded - whole| = %.3g\n", s, static_cast<long long>(band),
                std::string(be->name()).c_str(), diff);
    EXPECT_LE(max_abs_diff(banded.alpha, fixture.at("alpha_final")), 2e-5);
    EXPECT_LE(max_abs_diff(banded.fg, fixture.at("fg_final")), 2e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(Cuts, TinyNetworkInBands,
                         ::testing::Values(BandCase{64, 3, true}, BandCase{64, 7}, BandCase{64, 64}, BandCase{96, 5},
                                           BandCase{96, 1}),
                         [](const ::testing::TestParamInfo<BandCase>& info) {
                           return "S" + std::to_string(info.param.img_size) + "InBandsOf" +
                                  std::to_string(info.param.band_rows);
                         });

// The bundled demo model (models/corridorkey_demo.safetensors) on the sample at S = 96:
// bands of 3, 5 and 95 (the last two end on a band of one row).
TEST(DemoModelInBands, EqualsTheWholeMaps) {
  const Checkpoint ckpt = unwrap(load_checkpoint(fixture_path("../../models/corridorkey_demo.safetensors")));
  auto be = make_cpu_backend();
  GreenFormer net = unwrap(GreenFormer::create(ckpt.tensors, 96, *be));
  const Tensor x = fixture_input("tiny/stages_s96.safetensors");
  const GreenFormerOutput whole = run(net, x, {.refiner_band_rows = 0});
  for (int64_t band : {3, 5, 95}) {
    const GreenFormerOutput banded = run(net, x, {.refiner_band_rows = band});
    const double diff = max_output_diff(banded, whole);
    EXPECT_LE(diff, kSameWithinRounding) << "bands of " << band;
    std::printf("demo model, S = 96, bands of %lld rows: max |banded - whole| = %.3g\n", static_cast<long long>(band), diff);
  }
  // refiner_scale weighs the refiner's output in bands as it does whole.
  const GreenFormerOutput half_whole = run(net, x, {.refiner_band_rows = 0}, 0.5f);
  const GreenFormerOutput half_banded = run(net, x, {.refiner_band_rows = 16}, 0.5f);
  EXPECT_LE(max_output_diff(half_banded, half_whole), kSameWithinRounding);
  EXPECT_GT(max_output_diff(half_whole, whole), 1e-4) << "the refiner scale changes nothing here";
}

// The full-size network (generated weights) at S = 256: bands of 48 rows hold less memory
// than the two full-resolution 64-channel maps (16 MiB each here), and the MLP over chunks
// of 1000 tokens (not a divisor of stage 0's 4096) leaves the outputs as they were.
TEST(FullSizeNetworkInBands, EqualsTheWholeMapsAndPyTorchInLessMemory) {
  const StateDict weights = unwrap(make_synthetic_weights(GreenFormerConfig::base_plus(), 512, 0));
  const StageTensors fixture = unwrap(read_safetensors(fixture_path("fullsize/stages_s256.safetensors"))).tensors;
  const Tensor x = channels_last(fixture.at("input"));
  auto be = make_cpu_backend();
  GreenFormer net = unwrap(GreenFormer::create(weights, 256, *be));
  BufferPool& pool = BufferPool::instance();

  auto peak_of = [&](const NetworkMemoryPlan& plan, GreenFormerOutput& out) {
    pool.reset_peak_live();
    const size_t before = pool.stats().live_bytes;
    out = run(net, x, plan);
    return pool.stats().peak_live_bytes - before;
  };
  GreenFormerOutput whole, banded, chunked, decoder_bands;
  const size_t whole_peak = peak_of({.refiner_band_rows = 0, .token_chunk = 0, .decoder_band_rows = 0}, whole);
  const size_t banded_peak = peak_of({.refiner_band_rows = 48, .token_chunk = 0, .decoder_band_rows = 0}, banded);
  peak_of({.refiner_band_rows = 0, .token_chunk = 1000, .decoder_band_rows = 0}, chunked);
  // The decoders' 64 rows at S/4 in bands of 24 (a last band of 16; margins cut into the
  // coarsest scale's rows).
  peak_of({.refiner_band_rows = 0, .token_chunk = 0, .decoder_band_rows = 24}, decoder_bands);
  EXPECT_LE(max_output_diff(banded, whole), kSameWithinRounding);
  EXPECT_LE(max_output_diff(chunked, whole), kSameWithinRounding);
  EXPECT_EQ(max_output_diff(decoder_bands, whole), 0.0);  // same source rows, same weights, same order
  std::printf("full size, S = 256: max |refiner bands - whole| = %.3g, |chunked MLP - whole| = %.3g, "
              "|decoder bands - whole| = %.3g; peak %zu / %zu MiB\n",
              max_output_diff(banded, whole), max_output_diff(chunked, whole), max_output_diff(decoder_bands, whole),
              banded_peak >> 20, whole_peak >> 20);
  EXPECT_LE(max_abs_diff(banded.alpha, fixture.at("alpha_final")), 2e-5);
  EXPECT_LE(max_abs_diff(banded.fg, fixture.at("fg_final")), 2e-5);
  const size_t map_bytes = size_t{256} * 256 * 64 * sizeof(float);
  EXPECT_LT(banded_peak + map_bytes, whole_peak) << "banded " << banded_peak << " B, whole " << whole_peak << " B";
  // The estimates budgets are planned with hold what the frames took (the pool counts the
  // buffers of 1 MiB and more), without being loose by more than half.
  for (const auto& [plan, measured] : {std::pair{NetworkMemoryPlan{.refiner_band_rows = 0}, whole_peak},
                                       std::pair{NetworkMemoryPlan{.refiner_band_rows = 48}, banded_peak}}) {
    const size_t estimate = estimate_frame_memory(GreenFormerConfig::base_plus(), 256, plan).peak();
    std::printf("bands of %lld: estimate %zu KiB, measured %zu KiB\n", static_cast<long long>(plan.refiner_band_rows),
                estimate >> 10, measured >> 10);
    EXPECT_GE(estimate, measured);
    EXPECT_LE(estimate, measured * 3 / 2);
  }
}

}  // namespace
}  // namespace ck::test
