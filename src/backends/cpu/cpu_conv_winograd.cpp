// The refiner's 3x3 convolutions in fp32 through our Winograd F(4x4, 3x3) kernel
// (winograd_f4x3.hpp), straight on the channels-last map: no copy of the map into another
// layout, and nothing the size of the map besides input and output.
//
// A 3x3 convolution with dilation d and padding d is d^2 independent undilated convolutions
// with padding 1: output pixel (y, x) only reads input pixels of its own phase (y mod d,
// x mod d). Tiles are 4x4 outputs of one phase, read and written through pixel pointers
// (every d-th pixel of every d-th row). The work goes in steps: a step is a few rows of
// tiles of the phases (py, 0..d-1), which together cover whole image rows; its tiles are
// shared among the threads in blocks whose transformed inputs and products stay in L2.
//
// In place (y is x), a step's outputs overwrite rows that the next step of the same phase
// still reads (its top border row), and that neighbouring tiles of the same step read, so
// they wait in a staging slot and are written two steps later, alongside that step's
// tiles: by then the step after them has read its input. Three slots; one barrier a step.
//
// GroupNorm fusion: the input's normalisation (+ ReLU) is applied as tiles are read, and the
// output's statistics are taken per tile and channel while its outputs are in registers,
// then merged in tile order. Every result, statistics included, is independent of the
// thread count.
#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/group_moments.hpp"
#include "backends/cpu/winograd_f4x3.hpp"

namespace ck::cpu {

namespace {

constexpr int kTile = kWinogradInputTile;
constexpr int kOut = kWinogradOutputTile;
// Tiles per block: a block's transformed inputs (36 x tiles x channels floats) and the 36
// weight matrices share the core's L2. Measured best among 6-48 tiles at 64 channels.
constexpr int64_t kTilesPerBlock = 12;

// Tile rows per step. Every step ends in a barrier, and a barrier costs most when the
// machine is busy elsewhere (a thread that is not running holds the other one up): steps
// of two tile rows halve their number at a staging cost of 3 x 8 image rows.
constexpr int64_t kTileRowsPerStep = 2;
constexpr int kStagingSlots = 3;

// The map (1, h, w, c) -> (1, h, w, o) with dilation d, cut into steps and tiles.
struct Geometry {
  int64_t h, w, c, o, d;
  int64_t tiles_y, tiles_x;  // tiles per phase: of the tallest and widest phase
  int64_t steps_per_phase() const { return (tiles_y + kTileRowsPerStep - 1) / kTileRowsPerStep; }
  // Step s: phase row py = s / steps_per_phase, tile rows from (s % steps_per_phase) * kTileRowsPerStep.
  int64_t steps() const { return d * steps_per_phase(); }
  // Tiles of one tile row: phase column px = i % d, tile column i / d, so that consecutive
  // tiles read neighbouring pixels.
  int64_t row_tiles() const { return d * tiles_x; }
  int64_t step_tiles() const { return kTileRowsPerStep * row_tiles(); }  // at most
  int64_t staging_rows() const { return kTileRowsPerStep * kOut; }

  static Geometry of(int64_t h, int64_t w, int64_t c, int64_t o, int64_t d) {
    const auto tiles = [&](int64_t n) { return ((n + d - 1) / d + kOut - 1) / kOut; };
    return {h, w, c, o, d, tiles(h), tiles(w)};
  }
  int64_t phase_row_of(int64_t s) const { return s / steps_per_phase(); }
  int64_t first_tile_row(int64_t s) const { return s % steps_per_phase() * kTileRowsPerStep; }
  int64_t tiles_of(int64_t s) const {
    return std::min(kTileRowsPerStep, tiles_y - first_tile_row(s)) * row_tiles();
  }
  // Image row of phase row `pr` of phase row py; -1 outside the image.
  int64_t image_row(int64_t py, int64_t pr) const {
    const int64_t r = pr * d + py;
    return pr < 0 || r >= h ? -1 : r;
  }
  int64_t image_col(int64_t px, int64_t pc) const {
    const int64_t col = pc * d + px;
    return pc < 0 || col >= w ? -1 : col;
  }
};

}  // namespace

bool CpuBackend::winograd_applies(const Tensor& x, const Tensor& w, const Conv2dParams& p) const {
  return winograd_enabled_ && p.layout == Layout::kNHWC && w.dtype() == DType::F32 && w.size(2) == 3 &&
         w.size(3) == 3 && p.stride == 1 && p.padding == p.dilation && p.dilation >= 1 &&
         x.size(3) % kWinogradChannelBlock == 0 && w.size(0) % kWinogradChannelBlock == 0 && x.size(0) == 1;
}

std::optional<Status> CpuBackend::try_winograd(const Tensor& x, const Tensor& w, const Tensor* bias,
                                               const Conv2dParams& p, Tensor& y, const ConvFusion* fusion) {
  if (!winograd_applies(x, w, p)) return std::nullopt;
  return conv2d_nhwc_winograd(x, w, bias, p, y, fusion);
}

Status CpuBackend::do_conv2d_fused(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                   Tensor& y, const ConvFusion& fusion) {
  if (std::optional<Status> st = try_winograd(x, w, bias, p, y, &fusion)) return *st;
  return Backend::do_conv2d_fused(x, w, bias, p, y, fusion);
}

Status CpuBackend::conv2d_nhwc_winograd(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                        Tensor& y, const ConvFusion* fusion) {
  const Geometry g = Geometry::of(x.size(1), x.size(2), x.size(3), w.size(0), p.dilation);
  const WinogradF4x3Weights weights = winograd_f4x3_weights(w.data<float>(), g.o, g.c);
  const float* const xs = x.data<float>();
  float* const ys = y.data<float>();
  const float* const bs = bias ? bias->data<float>() : nullptr;
  const bool in_place = x.raw() == y.raw();
  const int64_t row_floats = g.w * g.o;
  // In place: the outputs of the last three steps, written two steps late.
  std::vector<float> staging(in_place ? static_cast<size_t>(kStagingSlots * g.staging_rows() * row_floats) : 0);

  const ConvInputNorm* in_norm = fusion ? fusion->input_norm : nullptr;
  std::vector<float> in_scale, in_offset;
  if (in_norm) {
    in_scale.resize(static_cast<size_t>(g.c));
    in_offset.resize(static_cast<size_t>(g.c));
    group_norm_affine(*in_norm->stats, 0, in_norm->weight->data<float>(), in_norm->bias->data<float>(), in_norm->eps,
                      g.c, in_scale.data(), in_offset.data());
  }
  const int64_t og = fusion && fusion->output_stats ? fusion->output_groups : 0;
  const int64_t step_tiles = g.step_tiles();
  // Per tile (step s's tile i is s * step_tiles + i): how many of its pixels are in the
  // image, and each channel's mean and sum of squared deviations over them.
  std::vector<float> tile_moments(static_cast<size_t>(og > 0 ? g.steps() * step_tiles * 2 * g.o : 0));
  std::vector<int> tile_pixels(static_cast<size_t>(og > 0 ? g.steps() * step_tiles : 0));
  // Blocks per step: a multiple of the thread count, so that the threads share a step evenly.
  const int64_t threads = cpu_threads();
  const int64_t blocks = std::max<int64_t>(1, ((step_tiles + kTilesPerBlock - 1) / kTilesPerBlock + threads - 1) /
                                                  threads * threads);
  const int64_t per_block = (step_tiles + blocks - 1) / blocks;

  // Step s's tiles [i0, i1): read, multiplied, written to y (or to its staging slot).
  const auto run_block = [&](int64_t s, int64_t i0, int64_t i1, float* v) {
    const int64_t py = g.phase_row_of(s), ty0 = g.first_tile_row(s);
    i1 = std::min(i1, g.tiles_of(s));
    if (i0 >= i1) return;
    const auto tile_at = [&](int64_t i, int64_t& ty, int64_t& px, int64_t& tx) {
      ty = ty0 + i / g.row_tiles();
      px = i % g.row_tiles() % g.d;
      tx = i % g.row_tiles() / g.d;
    };
    const float* pixels_in[kTile * kTile];
    for (int64_t i = i0; i < i1; ++i) {
      int64_t ty, px, tx;
      tile_at(i, ty, px, tx);
      for (int a = 0; a < kTile; ++a) {
        const int64_t r = g.image_row(py, ty * kOut - 1 + a);
        for (int b = 0; b < kTile; ++b) {
          const int64_t col = g.image_col(px, tx * kOut - 1 + b);
          pixels_in[a * kTile + b] = r < 0 || col < 0 ? nullptr : xs + (r * g.w + col) * g.c;
        }
      }
      winograd_f4x3_input_tile(pixels_in, g.c, in_norm ? in_scale.data() : nullptr, in_offset.data(),
                               in_norm && in_norm->relu, v + (i - i0) * kWinogradPositions * g.c);
    }
    float* const m = g.c == g.o ? v : v + per_block * kWinogradPositions * g.c;
    winograd_f4x3_multiply(v, i1 - i0, weights, m);
    float* const slot = in_place ? staging.data() + s % kStagingSlots * g.staging_rows() * row_floats : nullptr;
    float* pixels_out[kOut * kOut];
    for (int64_t i = i0; i < i1; ++i) {
      int64_t ty, px, tx;
      tile_at(i, ty, px, tx);
      for (int a = 0; a < kOut; ++a) {
        const int64_t r = g.image_row(py, ty * kOut + a);
        float* const row = in_place ? slot + ((ty - ty0) * kOut + a) * row_floats : ys + r * row_floats;
        for (int b = 0; b < kOut; ++b) {
          const int64_t col = g.image_col(px, tx * kOut + b);
          pixels_out[a * kOut + b] = r < 0 || col < 0 ? nullptr : row + col * g.o;
        }
      }
      const int64_t tile = s * step_tiles + i;
      int pixels = 0;
      for (float* p : pixels_out) pixels += p != nullptr;
      float* const mean = og > 0 && pixels > 0 ? tile_moments.data() + tile * 2 * g.o : nullptr;
      winograd_f4x3_output_tile(m + (i - i0) * kWinogradPositions * g.o, g.o, bs, pixels_out, mean,
                                mean ? mean + g.o : nullptr);
      if (og > 0) tile_pixels[static_cast<size_t>(tile)] = pixels;
    }
  };
  // In place: staged row k of step s goes to y.
  const auto write_back = [&](int64_t s, int64_t k) {
    const int64_t r = g.image_row(g.phase_row_of(s), g.first_tile_row(s) * kOut + k);
    if (r < 0 || k >= g.tiles_of(s) / g.row_tiles() * kOut) return;
    std::memcpy(ys + r * row_floats, staging.data() + (s % kStagingSlots * g.staging_rows() + k) * row_floats,
                static_cast<size_t>(row_floats) * sizeof(float));
  };

#pragma omp parallel
  {
    const size_t v_floats = static_cast<size_t>(per_block * kWinogradPositions * (g.c == g.o ? g.c : g.c + g.o));
    std::vector<float> v(v_floats);
    if (in_place) {
      // Step s's blocks and step s - 2's rows in one loop: step s - 1, the last to read
      // those rows, is done.
      const int64_t rows = g.staging_rows();
      for (int64_t s = 0; s < g.steps() + 2; ++s) {
#pragma omp for schedule(dynamic, 1)
        for (int64_t item = 0; item < rows + blocks; ++item) {
          if (item < rows) {
            if (s >= 2) write_back(s - 2, item);
          } else if (s < g.steps()) {
            const int64_t b = item - rows;
            run_block(s, b * per_block, (b + 1) * per_block, v.data());
          }
        }
      }
    } else {
#pragma omp for schedule(static)
      for (int64_t sb = 0; sb < g.steps() * blocks; ++sb) {
        const int64_t s = sb / blocks, b = sb % blocks;
        run_block(s, b * per_block, (b + 1) * per_block, v.data());
      }
    }
  }

  if (og > 0) {
    GroupStats& stats = *fusion->output_stats;
    stats.groups = static_cast<int>(og);
    stats.mean.assign(static_cast<size_t>(og), 0.0);
    stats.var.assign(static_cast<size_t>(og), 0.0);
    // Merged per step, then over steps: a fixed order whatever the thread count.
    std::vector<ChannelMoments> per_step(static_cast<size_t>(g.steps()), ChannelMoments(g.o));
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < g.steps(); ++s) {
      for (int64_t tile = s * step_tiles; tile < s * step_tiles + g.tiles_of(s); ++tile) {
        const float* const mean = tile_moments.data() + tile * 2 * g.o;
        per_step[static_cast<size_t>(s)].merge(tile_pixels[static_cast<size_t>(tile)], mean, mean + g.o);
      }
    }
    ChannelMoments total(g.o);
    for (const ChannelMoments& step : per_step) total.merge(step);
    const int64_t cg = g.o / og;
    for (int64_t gr = 0; gr < og; ++gr) {
      const GroupMoments m = total.group(gr * cg, (gr + 1) * cg);
      stats.mean[static_cast<size_t>(gr)] = m.mean;
      stats.var[static_cast<size_t>(gr)] = m.m2 / m.count;
    }
  }
  return ok_status();
}

}  // namespace ck::cpu
