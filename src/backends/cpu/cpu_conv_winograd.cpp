// The refiner's 3x3 convolutions in fp32 through our Winograd F(4x4, 3x3) kernel
// (winograd_f4x3.hpp), straight on the channels-last map: no copy of the map into another
// layout, and nothing the size of the map besides input and output.
//
// A 3x3 convolution with dilation d and padding d is d^2 independent undilated convolutions
// with padding 1: output pixel (y, x) only reads input pixels of its own phase (y mod d,
// x mod d). Tiles are 4x4 outputs of one phase, read and written through pixel pointers
// (every d-th pixel of every d-th row). The work goes in steps: a step is one row of tiles
// of the phases (py, 0..d-1), which together cover four whole image rows; its tiles go in
// blocks whose transformed inputs and products stay in L2.
//
// In place (y is x), each thread takes a contiguous range of steps and works through it
// alone, block by block; a block reads all its input before it writes any output. What is
// overwritten and still to be read elsewhere is copied aside first: a step's last output
// row, the next step's top border (one image row, carried from step to step); a block's
// last output column in each phase, the next block's left border (four pixels a phase);
// and where two threads' ranges meet, the border rows on either side, before any thread
// starts. (With the threads sharing each step and a barrier after it, a convolution at 512
// took 35 ms in some runs and 60 ms in others; without barriers it takes 31-34 ms.)
//
// GroupNorm fusion: the input's normalisation (+ ReLU) is applied as tiles are read, and the
// output's statistics are taken per tile and channel while its outputs are in registers,
// merged per block of tiles, then over blocks in order. Blocks have a fixed size, so every
// result, statistics included, is independent of the thread count.
//
// Weights, staging and statistics live in the backend's scratch buffer, kept across calls:
// fresh allocations of a few MB cost page faults on every call, and page faults are slow
// on virtual machines (in-place convolutions took 60 ms instead of 37 when the staging
// buffer came from a fresh mapping).
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "backends/cpu/cpu_backend_impl.hpp"
#include "backends/cpu/group_moments.hpp"
#include "backends/cpu/winograd_f4x3.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

namespace {

constexpr int kTile = kWinogradInputTile;
constexpr int kOut = kWinogradOutputTile;
// Tiles per block: a block's transformed inputs (36 x tiles x channels floats) and the 36
// weight matrices share the core's L2. Measured best among 6-48 tiles at 64 channels.
// Blocks are also the unit of the output statistics, so their size must not depend on the
// thread count.
constexpr int64_t kTilesPerBlock = 12;

// The map (1, h, w, c) -> (1, h, w, o) with dilation d, cut into steps and tiles.
struct Geometry {
  int64_t h, w, c, o, d;
  int64_t tiles_y, tiles_x;  // tiles per phase: of the tallest and widest phase
  // Step s is tile row s % tiles_y of the phases (py = s / tiles_y, 0..d-1).
  int64_t steps() const { return d * tiles_y; }
  int64_t phase_row_of(int64_t s) const { return s / tiles_y; }
  int64_t tile_row_of(int64_t s) const { return s % tiles_y; }
  // Tiles of a step: phase column px = i % d, tile column i / d, so that consecutive tiles
  // read neighbouring pixels.
  int64_t step_tiles() const { return d * tiles_x; }

  static Geometry of(int64_t h, int64_t w, int64_t c, int64_t o, int64_t d) {
    const auto tiles = [&](int64_t n) { return ((n + d - 1) / d + kOut - 1) / kOut; };
    return {h, w, c, o, d, tiles(h), tiles(w)};
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

bool CpuBackendImpl::winograd_applies(const Tensor& x, const Tensor& w, const Conv2dParams& p) const {
  return winograd_enabled_ && p.layout == Layout::kNHWC && w.dtype() == DType::F32 && w.size(2) == 3 &&
         w.size(3) == 3 && p.stride == 1 && p.padding == p.dilation && p.dilation >= 1 &&
         x.size(3) % kWinogradChannelBlock == 0 && w.size(0) % kWinogradChannelBlock == 0 && x.size(0) == 1;
}

std::optional<Status> CpuBackendImpl::try_winograd(const Tensor& x, const Tensor& w, const Tensor* bias,
                                               const Conv2dParams& p, Tensor& y, const ConvFusion* fusion) {
  if (!winograd_applies(x, w, p)) return std::nullopt;
  return conv2d_nhwc_winograd(x, w, bias, p, y, fusion);
}

Status CpuBackendImpl::do_conv2d_fused(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                   Tensor& y, const ConvFusion& fusion) {
  if (std::optional<Status> st = try_winograd(x, w, bias, p, y, &fusion)) return *st;
  return Backend::do_conv2d_fused(x, w, bias, p, y, fusion);
}

Status CpuBackendImpl::conv2d_nhwc_winograd(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                        Tensor& y, const ConvFusion* fusion) {
  const Geometry g = Geometry::of(x.size(1), x.size(2), x.size(3), w.size(0), p.dilation);
  const float* const xs = x.data<float>();
  float* const ys = y.data<float>();
  const float* const bs = bias ? bias->data<float>() : nullptr;
  const bool in_place = x.raw() == y.raw();
  const int64_t row_floats = g.w * g.o;
  const int64_t og = fusion && fusion->output_stats ? fusion->output_groups : 0;
  const int64_t step_tiles = g.step_tiles();
  const int64_t blocks = (step_tiles + kTilesPerBlock - 1) / kTilesPerBlock;  // per step
  const int64_t all_blocks = g.steps() * blocks;

  // Scratch: the transformed weights; in place, the border rows copied aside where threads'
  // ranges meet; with statistics, per block of tiles its pixel count and each channel's
  // mean and sum of squared deviations; per thread, a block's working set and, in place, its
  // two carried rows and the saved left borders.
  const int64_t u_floats = kWinogradPositions * g.c * g.o;
  const int64_t threads = cpu_threads();
  // A thread's steps: [steps * t / threads, steps * (t + 1) / threads).
  const auto first_step = [&](int64_t t) { return g.steps() * t / threads; };
  // In place: per meeting of two threads' ranges in one phase row, the two border rows.
  std::vector<int64_t> saved_rows;
  for (int64_t t = 1; in_place && t < threads; ++t) {
    const int64_t s = first_step(t);
    if (s == 0 || s >= g.steps() || g.phase_row_of(s) != g.phase_row_of(s - 1)) continue;
    for (int64_t pr : {g.tile_row_of(s) * kOut - 1, g.tile_row_of(s) * kOut}) {
      const int64_t r = g.image_row(g.phase_row_of(s), pr);
      if (r >= 0) saved_rows.push_back(r);
    }
  }
  const int64_t in_row_floats = g.w * g.c;
  const int64_t saved_floats = static_cast<int64_t>(saved_rows.size()) * in_row_floats;
  const int64_t moment_floats = og > 0 ? all_blocks * (2 * g.o + 1) : 0;
  // Per thread: a block's transformed tiles (and products, when they cannot overwrite them)
  // and one tile's statistics. Nothing is allocated inside the parallel region, where a
  // failed allocation could not be reported.
  // The products replace the transformed inputs where winograd_f4x3_multiply can do that.
  const bool products_in_place = g.c == g.o && g.o <= kWinogradMaxInPlaceChannels;
  const int64_t block_floats = kTilesPerBlock * kWinogradPositions * (products_in_place ? g.c : g.c + g.o);
  const int64_t carry_floats = in_place ? 2 * in_row_floats : 0;
  const int64_t halo_floats = in_place ? g.d * kOut * g.c : 0;
  const int64_t thread_floats = (block_floats + 2 * g.o + carry_floats + halo_floats + 15) / 16 * 16;  // whole lines
  CK_ASSIGN(void* const buffer, scratch(static_cast<size_t>(u_floats + saved_floats + moment_floats +
                                                            threads * thread_floats) *
                                        sizeof(float)));
  float* const u = static_cast<float*>(buffer);
  float* const saved = u + u_floats;
  float* const block_moments = saved + saved_floats;  // (all_blocks, 2 * o): means, then deviations
  float* const block_pixels = block_moments + all_blocks * 2 * g.o;
  float* const thread_scratch = block_moments + moment_floats;
  std::vector<ChannelMoments> thread_stats(static_cast<size_t>(threads), ChannelMoments(og > 0 ? g.o : 0));
  winograd_f4x3_transform_weights(w.data<float>(), g.o, g.c, u);
  const WinogradF4x3Weights weights{g.o, g.c, u};
  for (size_t k = 0; k < saved_rows.size(); ++k) {
    std::memcpy(saved + static_cast<int64_t>(k) * in_row_floats, xs + saved_rows[k] * in_row_floats,
                static_cast<size_t>(in_row_floats) * sizeof(float));
  }
  // Input row r: its copy if it was copied aside, else the map's own.
  const auto input_row = [&](int64_t r) {
    for (size_t k = 0; k < saved_rows.size(); ++k) {
      if (saved_rows[k] == r) return static_cast<const float*>(saved + static_cast<int64_t>(k) * in_row_floats);
    }
    return xs + r * in_row_floats;
  };

  const ConvInputNorm* in_norm = fusion ? fusion->input_norm : nullptr;
  std::vector<float> in_scale, in_offset;
  if (in_norm) {
    in_scale.resize(static_cast<size_t>(g.c));
    in_offset.resize(static_cast<size_t>(g.c));
    group_norm_affine(*in_norm->stats, 0, in_norm->weight->data<float>(), in_norm->bias->data<float>(), in_norm->eps,
                      g.c, in_scale.data(), in_offset.data());
  }

  // Block b of step s: its tiles read, multiplied, written to y. `v` holds the block's
  // transformed tiles, `tile_stats` 2 * o floats, `stats` the block's running moments (all
  // the calling thread's).
  //
  // In place, `top` is the original of the step's top border row when an earlier step has
  // overwritten it (else null), and `halo` holds, per phase column, the original pixels of
  // the last output column written by an earlier block (4 x c floats a phase).
  struct InPlace {
    const float* top = nullptr;
    float* halo = nullptr;
  };
  const auto run_block = [&](int64_t s, int64_t b, const InPlace& ip, float* v, float* tile_stats,
                             ChannelMoments& stats) {
    const int64_t py = g.phase_row_of(s), ty = g.tile_row_of(s);
    const int64_t i0 = b * kTilesPerBlock, i1 = std::min((b + 1) * kTilesPerBlock, step_tiles);
    // The step's rows: input rows 4 ty - 1 .. 4 ty + 4 and output rows 4 ty .. 4 ty + 3 of
    // phase row py (null outside the image).
    const float* in_rows[kTile];
    float* out_rows[kOut];
    for (int a = 0; a < kTile; ++a) {
      const int64_t r = g.image_row(py, ty * kOut - 1 + a);
      in_rows[a] = r < 0 ? nullptr : a == 0 && ip.top ? ip.top : input_row(r);
    }
    for (int a = 0; a < kOut; ++a) {
      const int64_t r = g.image_row(py, ty * kOut + a);
      out_rows[a] = r < 0 ? nullptr : ys + r * row_floats;
    }
    // Column offsets (floats into a row; -1 outside the image) of tile i's input and output
    // pixels, c and o channels apart.
    const auto columns = [&](int64_t i, int first, int count, int64_t channels, int64_t* offsets) {
      const int64_t px = i % g.d, tx = i / g.d;
      for (int k = 0; k < count; ++k) {
        const int64_t col = g.image_col(px, tx * kOut + first + k);
        offsets[k] = col < 0 ? -1 : col * channels;
      }
    };
    const float* pixels_in[kTile * kTile];
    for (int64_t i = i0; i < i1; ++i) {
      int64_t offsets[kTile];
      columns(i, -1, kTile, g.c, offsets);
      for (int a = 0; a < kTile; ++a) {
        for (int k = 0; k < kTile; ++k) {
          pixels_in[a * kTile + k] = in_rows[a] && offsets[k] >= 0 ? in_rows[a] + offsets[k] : nullptr;
        }
      }
      if (ip.halo && i - g.d < i0 && offsets[0] >= 0) {  // the left border, written by an earlier block
        for (int a = 1; a <= kOut; ++a) {
          if (in_rows[a]) pixels_in[a * kTile] = ip.halo + (i % g.d * kOut + a - 1) * g.c;
        }
      }
      winograd_f4x3_input_tile(pixels_in, g.c, in_norm ? in_scale.data() : nullptr, in_offset.data(),
                               in_norm && in_norm->relu, v + (i - i0) * kWinogradPositions * g.c);
    }
    float* const m = products_in_place ? v : v + kTilesPerBlock * kWinogradPositions * g.c;
    winograd_f4x3_multiply(v, i1 - i0, weights, m);
    if (ip.halo) {
      // The next block's left borders: the input pixels under the last output column of
      // each phase, before this block's outputs replace them.
      for (int64_t i = std::max(i0, i1 - g.d); i < i1; ++i) {
        const int64_t col = g.image_col(i % g.d, i / g.d * kOut + kOut - 1);
        for (int a = 0; a < kOut; ++a) {
          if (col >= 0 && in_rows[a + 1]) {
            std::memcpy(ip.halo + (i % g.d * kOut + a) * g.c, in_rows[a + 1] + col * g.c,
                        static_cast<size_t>(g.c) * sizeof(float));
          }
        }
      }
    }
    float* pixels_out[kOut * kOut];
    for (int64_t i = i0; i < i1; ++i) {
      int64_t offsets[kOut];
      columns(i, 0, kOut, g.o, offsets);
      for (int a = 0; a < kOut; ++a) {
        for (int k = 0; k < kOut; ++k) {
          pixels_out[a * kOut + k] = out_rows[a] && offsets[k] >= 0 ? out_rows[a] + offsets[k] : nullptr;
        }
      }
      int pixels = 0;
      for (float* p : pixels_out) pixels += p != nullptr;
      const bool with_stats = og > 0 && pixels > 0;
      winograd_f4x3_output_tile(m + (i - i0) * kWinogradPositions * g.o, g.o, bs, pixels_out,
                                with_stats ? tile_stats : nullptr, with_stats ? tile_stats + g.o : nullptr);
      if (with_stats) stats.merge(pixels, tile_stats, tile_stats + g.o);
    }
    if (og > 0) {
      float* const to = block_moments + (s * blocks + b) * 2 * g.o;
      for (int64_t ch = 0; ch < g.o; ++ch) {
        to[ch] = static_cast<float>(stats.mean[static_cast<size_t>(ch)]);
        to[g.o + ch] = static_cast<float>(stats.m2[static_cast<size_t>(ch)]);
      }
      block_pixels[s * blocks + b] = static_cast<float>(stats.count);
      stats.reset();
    }
  };
#pragma omp parallel num_threads(static_cast<int>(threads))
  {
    const int64_t me = omp_get_thread_num();
    float* const v = thread_scratch + me * thread_floats;
    float* const tile_stats = v + block_floats;
    ChannelMoments& stats = thread_stats[static_cast<size_t>(me)];
    if (in_place) {
      // The ranges are independent: a team smaller than planned (nested in another parallel
      // region) takes several in turn.
      float* const carry = v + block_floats + 2 * g.o;  // two rows: the last step's and this one's
      for (int64_t t = omp_get_thread_num(); t < threads; t += omp_get_num_threads()) {
        const int64_t s0 = first_step(t), s1 = first_step(t + 1);
        for (int64_t s = s0; s < s1; ++s) {
          // Step s overwrites its last output row, the next step's top border: keep it.
          const int64_t last = g.image_row(g.phase_row_of(s), g.tile_row_of(s) * kOut + kOut - 1);
          float* const keep = carry + s % 2 * in_row_floats;
          if (last >= 0) std::memcpy(keep, xs + last * in_row_floats, static_cast<size_t>(in_row_floats) * sizeof(float));
          const bool carried = s > s0 && g.tile_row_of(s) > 0;  // else the top border is untouched or copied aside
          const InPlace ip{carried ? carry + (s - 1) % 2 * in_row_floats : nullptr, carry + 2 * in_row_floats};
          for (int64_t b = 0; b < blocks; ++b) run_block(s, b, ip, v, tile_stats, stats);
        }
      }
    } else {
#pragma omp for schedule(static)
      for (int64_t sb = 0; sb < g.steps() * blocks; ++sb) {
        run_block(sb / blocks, sb % blocks, InPlace{}, v, tile_stats, stats);
      }
    }
  }

  if (og > 0) {
    GroupStats& stats = *fusion->output_stats;
    stats.groups = static_cast<int>(og);
    stats.host.mean.assign(static_cast<size_t>(og), 0.0);
    stats.host.var.assign(static_cast<size_t>(og), 0.0);
    ChannelMoments total(g.o);
    for (int64_t k = 0; k < all_blocks; ++k) {
      const float* const from = block_moments + k * 2 * g.o;
      total.merge(block_pixels[k], from, from + g.o);
    }
    const int64_t cg = g.o / og;
    for (int64_t gr = 0; gr < og; ++gr) {
      const GroupMoments m = total.group(gr * cg, (gr + 1) * cg);
      stats.host.mean[static_cast<size_t>(gr)] = m.mean;
      stats.host.var[static_cast<size_t>(gr)] = m.m2 / m.count;
    }
  }
  return ok_status();
}

}  // namespace ck::cpu::inline CK_CPU_ISA
