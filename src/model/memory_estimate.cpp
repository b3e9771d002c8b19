#include "model/memory_estimate.hpp"

#include <algorithm>

#include "model/refiner.hpp"

namespace ck {

namespace {
constexpr size_t kFloat = sizeof(float);
constexpr size_t kMiB = size_t{1} << 20;

size_t mib_up(size_t bytes) { return (bytes + kMiB - 1) / kMiB; }
}  // namespace

size_t FrameMemoryEstimate::peak() const { return input + std::max({encoder, decoders, refiner}); }

FrameMemoryEstimate estimate_frame_memory(const GreenFormerConfig& cfg, int64_t s, const NetworkMemoryPlan& plan) {
  const auto pixels = static_cast<size_t>(s * s);
  const size_t tokens0 = pixels / 16;  // stage 0's grid is S/4 a side
  const auto d0 = static_cast<size_t>(cfg.embed_dim);
  const auto c = static_cast<size_t>(cfg.refiner_channels);
  FrameMemoryEstimate e;
  e.input = pixels * 4 * kFloat;
  // A stage-0 block holds its input, its attention's output and its MLP's (3 units of the
  // stream), and over a chunk of tokens either the attention's norm, qkv (3x) and attended
  // tokens or the MLP's norm and hidden layer (4x): 5 stream widths. Whole (no chunks), the
  // attention's temporaries are the whole stream's, beside the input and the output.
  const size_t unit = tokens0 * d0 * kFloat;
  if (plan.token_chunk > 0 && static_cast<size_t>(plan.token_chunk) < tokens0) {
    const auto chunk = static_cast<size_t>(plan.token_chunk);
    e.encoder = 3 * unit + chunk * d0 * (1 + static_cast<size_t>(cfg.mlp_ratio)) * kFloat;
  } else {
    e.encoder = 7 * unit;
  }
  // The four stages' features (1 + 1/2 + 1/4 + 1/8 units), the coarser scales' projections
  // (a third of the fused map of both heads, 2 x decoder_dim channels at S/4) and the fused
  // map itself, whole or a band with its margins of 8 rows.
  const auto grid = static_cast<size_t>(s / 4);
  const size_t fused_row = grid * 2 * static_cast<size_t>(cfg.decoder_dim) * kFloat;
  const size_t fused_rows =
      plan.decoder_band_rows > 0 ? std::min(grid, static_cast<size_t>(plan.decoder_band_rows) + 24) : grid;
  e.decoders = unit * 15 / 8 + fused_row * grid / 3 + fused_rows * fused_row;
  const size_t out4 = pixels * 4 * kFloat;  // a 4-channel map at S
  if (plan.refiner_band_rows > 0) {
    // Per band: a block's input and the convolution it feeds (each level's output is the
    // next one's input), the 7-channel input with the upsampled logits; plus the output.
    const auto rows = static_cast<size_t>(std::min<int64_t>(s, plan.refiner_band_rows + 2 * Refiner::kHaloRows));
    const size_t row = static_cast<size_t>(s) * kFloat;
    e.refiner = out4 + rows * row * (2 * c + 15) + static_cast<size_t>(s / 4) * row;
  } else {
    // Two full maps (a residual block's input and output), the logits and the output.
    e.refiner = 2 * pixels * c * kFloat + out4;
  }
  return e;
}

Result<NetworkMemoryPlan> plan_for_budget(const GreenFormerConfig& cfg, int64_t s, size_t weight_bytes,
                                          size_t budget_bytes) {
  NetworkMemoryPlan plan;
  auto fits = [&](const NetworkMemoryPlan& p) {
    return weight_bytes + estimate_frame_memory(cfg, s, p).peak() <= budget_bytes;
  };
  if (fits(plan)) return plan;
  // The estimate grows with the band: the tallest band that fits, by bisection.
  int64_t lo = kMinBandRows, hi = s;
  plan.refiner_band_rows = lo;
  if (!fits(plan)) {
    const FrameMemoryEstimate e = estimate_frame_memory(cfg, s, plan);
    const size_t least = weight_bytes + e.peak();
    return err(ErrorCode::kInvalidArgument, "a memory budget of ", mib_up(budget_bytes), " MiB cannot be met at S = ",
               s, ": the weights take ", mib_up(weight_bytes), " MiB and a frame at least ", mib_up(e.peak()),
               " MiB (encoder ", mib_up(e.encoder), ", decoders ", mib_up(e.decoders), ", refiner in bands of ",
               kMinBandRows, " rows ", mib_up(e.refiner), ", input ", mib_up(e.input), "); the least budget is ",
               mib_up(least), " MiB");
  }
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    plan.refiner_band_rows = mid;
    if (fits(plan)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  plan.refiner_band_rows = lo;
  return plan;
}

std::string describe_memory_plan(const NetworkMemoryPlan& plan) {
  return plan.refiner_band_rows > 0 ? "refiner in bands of " + std::to_string(plan.refiner_band_rows) + " rows"
                                    : "whole maps";
}

}  // namespace ck
