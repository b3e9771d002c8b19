// The refiner's 3x3 convolutions in fp32 through oneDNN's Winograd kernels (F(4x4, 3x3):
// about 2.2x the direct kernel's speed here, at a few 1e-6 of extra rounding error).
//
// Those kernels take no dilation, but a 3x3 convolution with dilation d and padding d is d^2
// independent undilated convolutions with padding 1: output pixel (y, x) only reads input
// pixels of its own phase (y mod d, x mod d). Each phase image (H/d x W/d) is cut into bands
// of rows; a tile is one band of one phase, copied with a one-pixel border (the neighbouring
// rows, or zeros at the image edge) into oneDNN's nChw16c layout, several tiles to a batch;
// the valid convolution of a batch comes back in the same layout and is copied to its
// pixels. Memory stays a few tiles whatever the image size, and in place (y is x) works: a
// batch is copied in before any of it is written, and the one row of input the next batch
// needs from a band already written is kept aside.
//
// Results must not depend on the thread count, and oneDNN picks between its F(4x4) and
// F(2x2) Winograd kernels by the work per thread (a small call gets F(4x4) on one thread and
// F(2x2) on two). So every batch of a convolution has the same shape, a batch must hold at
// least set_winograd's min_batch_pixels outputs (small maps take the direct kernel), and only
// the F(4x4) kernel is used; where oneDNN refuses it, the direct kernel runs instead.
#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/group_moments.hpp"

namespace ck::cpu {

namespace {

constexpr int64_t kBlock = 16;                        // channels per nChw16c block
constexpr int64_t kBatchBytes = int64_t{16} << 20;    // tiles per oneDNN call, in and out, in bytes
constexpr int64_t kTargetBandRows = 32;

// The largest multiple of 4 (Winograd's output tile) dividing `rows` that is at most
// `target`, so that every band of a phase has the same height; `rows` itself if none.
int64_t band_rows_for(int64_t rows, int64_t target) {
  for (int64_t b = std::min(rows, target) / 4 * 4; b >= 4; b -= 4) {
    if (rows % b == 0) return b;
  }
  return rows;
}

// How a convolution is cut: `tiles` tiles of `band` rows of a (ph x pw) phase image, taken
// `per_batch` at a time (a divisor of `tiles`, so every oneDNN call has one shape).
struct WinogradPlan {
  int64_t ph, pw, band, bands, tiles, per_batch;
};

WinogradPlan plan_for(const Tensor& x, int64_t o, int64_t dilation, int64_t batch_bytes) {
  WinogradPlan pl;
  pl.ph = x.size(1) / dilation;
  pl.pw = x.size(2) / dilation;
  pl.band = band_rows_for(pl.ph, kTargetBandRows);
  pl.bands = pl.ph / pl.band;
  pl.tiles = dilation * dilation * pl.bands;
  const int64_t tile_bytes = (x.size(3) * (pl.band + 2) * (pl.pw + 2) + o * pl.band * pl.pw) * 4;
  pl.per_batch = std::clamp<int64_t>(batch_bytes / tile_bytes, 1, pl.tiles);
  while (pl.tiles % pl.per_batch != 0) --pl.per_batch;
  return pl;
}

// Moments per channel group of output row r of one tile (nChw16c: channel block, row,
// column, 16): a sum pass, then squared deviations from the row's own group means. `acc` and
// `mean` are o floats of the calling thread's scratch.
void tile_row_moments(const float* tile, int64_t band, int64_t pw, int64_t o, int64_t r, int64_t groups,
                      GroupMoments* out, float* acc, float* mean) {
  const int64_t cg = o / groups;
  const auto pass = [&](bool deviations) {
    std::fill_n(acc, o, 0.0f);
    for (int64_t blk = 0; blk < o / kBlock; ++blk) {
      float* a = acc + blk * kBlock;
      const float* m = mean + blk * kBlock;
      for (int64_t j = 0; j < pw; ++j) {
        const float* v = tile + ((blk * band + r) * pw + j) * kBlock;
#pragma omp simd
        for (int64_t l = 0; l < kBlock; ++l) a[l] += deviations ? (v[l] - m[l]) * (v[l] - m[l]) : v[l];
      }
    }
  };
  const double count = static_cast<double>(pw * cg);
  pass(false);
  for (int64_t g = 0; g < groups; ++g) {
    double sum = 0.0;
    for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) sum += acc[ch];
    out[g] = {count, sum / count, 0.0};
    std::fill_n(mean + g * cg, cg, static_cast<float>(sum / count));
  }
  pass(true);
  for (int64_t g = 0; g < groups; ++g) {
    double m2 = 0.0;
    for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch) m2 += acc[ch];
    out[g].m2 = m2;
  }
}

}  // namespace

bool CpuBackend::winograd_applies(const Tensor& x, const Tensor& w, const Conv2dParams& p) const {
  const int64_t h = x.size(1), wd = x.size(2), c = x.size(3), o = w.size(0);
  const bool shape_fits = winograd_enabled_ && p.layout == Layout::kNHWC && w.dtype() == DType::F32 &&
                          w.size(2) == 3 && w.size(3) == 3 && p.stride == 1 && p.padding == p.dilation &&
                          c % kBlock == 0 && o % kBlock == 0 && h % p.dilation == 0 && wd % p.dilation == 0 &&
                          x.size(0) == 1;
  if (!shape_fits) return false;
  const WinogradPlan pl = plan_for(x, o, p.dilation, winograd_batch_bytes());
  return pl.per_batch * pl.band * pl.pw >= winograd_min_batch_pixels_;
}

int64_t CpuBackend::winograd_batch_bytes() const {
  return std::min(kBatchBytes, static_cast<int64_t>(conv_band_bytes_));
}

std::optional<Status> CpuBackend::try_winograd(const Tensor& x, const Tensor& w, const Tensor* bias,
                                               const Conv2dParams& p, Tensor& y, const ConvFusion* fusion) {
  if (!winograd_applies(x, w, p)) return std::nullopt;
  Status st = conv2d_nhwc_winograd(x, w, bias, p, y, fusion);
  // Refused only before anything is written (every call of a convolution has one shape).
  if (!st.ok() && st.error().code == ErrorCode::kUnsupported) return std::nullopt;
  return st;
}

Status CpuBackend::do_conv2d_fused(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                   Tensor& y, const ConvFusion& fusion) {
  if (std::optional<Status> st = try_winograd(x, w, bias, p, y, &fusion)) return *st;
  return Backend::do_conv2d_fused(x, w, bias, p, y, fusion);
}

Status CpuBackend::conv2d_nhwc_winograd(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                        Tensor& y, const ConvFusion* fusion) {
  const int64_t d = p.dilation, wd = x.size(2), c = x.size(3), o = w.size(0);
  const WinogradPlan pl = plan_for(x, o, d, winograd_batch_bytes());
  const int64_t ph = pl.ph, pw = pl.pw, band = pl.band, bands = pl.bands, tiles = pl.tiles;
  const int64_t per_batch = pl.per_batch;
  const int64_t in_tile = c * (band + 2) * (pw + 2), out_tile = o * band * pw;  // floats
  const int64_t cb = c / kBlock, ob = o / kBlock;
  CK_ASSIGN(void* const buffer, scratch(static_cast<size_t>(per_batch * (in_tile + out_tile) * 4)));
  float* const tile_in = static_cast<float*>(buffer);
  float* const tile_out = tile_in + per_batch * in_tile;
  const float* const xs = x.data<float>();
  float* const ys = y.data<float>();
  const bool in_place = x.raw() == y.raw();
  // Tile t is band b of phase (py, px), t = (py * bands + b) * d + px: the d phases that share
  // image rows follow one another, so a batch reads and writes whole rows, not every d-th
  // pixel. A group is one (py, b): its rows, split between batches when a batch holds fewer
  // than d tiles.
  //
  // In place, band b's top border row (the phase's row b * band - 1) has been overwritten by
  // band b - 1 when that went in an earlier batch: each tile keeps its last input row, the
  // next band's border, in `carried` at its own pixels (px, px + d, ...) of one image row.
  // Tile t + d, the next band of the same phase, is the next tile to touch those pixels.
  std::vector<float> carried(in_place ? static_cast<size_t>(wd * c) : 0);
  std::shared_ptr<void> prepared_weights;  // every batch has one shape: one reorder serves all
  // Fused GroupNorm (+ ReLU) of the input, applied as pixels are copied into tiles (border
  // zeros stay zeros: the padding is of the normalised input); `carried` rows are already
  // normalised.
  const ConvInputNorm* in_norm = fusion ? fusion->input_norm : nullptr;
  std::vector<float> in_scale, in_offset;
  if (in_norm) {
    in_scale.resize(static_cast<size_t>(c));
    in_offset.resize(static_cast<size_t>(c));
    group_norm_affine(*in_norm->stats, 0, in_norm->weight->data<float>(), in_norm->bias->data<float>(), in_norm->eps,
                      c, in_scale.data(), in_offset.data());
  }
  const bool in_relu = in_norm && in_norm->relu;
  // Fused GroupNorm statistics of the output: two-pass moments of each output row of each
  // tile while it is in cache, merged in tile and row order once all are written.
  const int og = fusion && fusion->output_stats ? fusion->output_groups : 0;
  std::vector<GroupMoments> row_moments(static_cast<size_t>(og > 0 ? tiles * band * og : 0));

  for (int64_t t0 = 0; t0 < tiles; t0 += per_batch) {
    const int64_t n = std::min(per_batch, tiles - t0);
    const int64_t g0 = t0 / d, groups = (t0 + n - 1) / d - g0 + 1;
    // Copy in: rows b*band - 1 .. (b+1)*band of the phase image, columns -1 .. pw, in
    // nChw16c (tile k = t - t0, channel block, row, column, 16); zeros beyond the image.
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t gi = 0; gi < groups; ++gi) {
      for (int64_t i = 0; i < band + 2; ++i) {
        const int64_t g = g0 + gi, py = g / bands, b = g % bands;
        const int64_t px0 = std::max(t0, g * d) - g * d, px1 = std::min(t0 + n, (g + 1) * d) - g * d;
        const int64_t pr = b * band - 1 + i;  // row of the phase image
        const auto at = [&](int64_t px, int64_t blk, int64_t col) {
          return tile_in + (g * d + px - t0) * in_tile + ((blk * (band + 2) + i) * (pw + 2) + col) * kBlock;
        };
        for (int64_t px = px0; px < px1; ++px) {
          for (int64_t blk = 0; blk < cb; ++blk) {
            std::fill_n(at(px, blk, 0), kBlock, 0.0f);
            std::fill_n(at(px, blk, pw + 1), kBlock, 0.0f);
            if (pr < 0 || pr >= ph) std::fill_n(at(px, blk, 1), pw * kBlock, 0.0f);
          }
        }
        if (pr < 0 || pr >= ph) continue;
        const float* row = xs + (pr * d + py) * wd * c;
        const bool border_carried = in_place && i == 0 && b > 0;  // the previous band went earlier
        for (int64_t j = 0; j < pw; ++j) {
          for (int64_t px = px0; px < px1; ++px) {
            const bool from_carried = border_carried && g * d + px - d < t0;
            const float* px_in = (from_carried ? carried.data() : row) + (j * d + px) * c;
            for (int64_t blk = 0; blk < cb; ++blk) {
              float* to = at(px, blk, j + 1);
              if (!in_norm || from_carried) {
                std::memcpy(to, px_in + blk * kBlock, kBlock * sizeof(float));
                continue;
              }
              const float* from = px_in + blk * kBlock;
              const float* sc = in_scale.data() + blk * kBlock;
              const float* of = in_offset.data() + blk * kBlock;
#pragma omp simd
              for (int64_t l = 0; l < kBlock; ++l) {
                const float v = from[l] * sc[l] + of[l];
                to[l] = in_relu && v < 0.0f ? 0.0f : v;
              }
            }
          }
        }
      }
    }
    if (in_place) {
      // Keep the border rows of the next bands that go in later batches (the tiles' row `band`).
      for (int64_t t = std::max(t0, t0 + n - d); t < t0 + n; ++t) {
        if (t + d >= tiles || (t / d) % bands == bands - 1) continue;  // no next band
        const int64_t px = t % d;
        const float* src = tile_in + (t - t0) * in_tile;
        for (int64_t j = 0; j < pw; ++j) {
          for (int64_t blk = 0; blk < cb; ++blk) {
            std::memcpy(carried.data() + (j * d + px) * c + blk * kBlock,
                        src + ((blk * (band + 2) + band) * (pw + 2) + j + 1) * kBlock, kBlock * sizeof(float));
          }
        }
      }
    }
    CK_TRY(winograd_conv3x3(n, c, band + 2, pw + 2, tile_in, w, bias, tile_out, prepared_weights));
    // Copy out: output row r of tile t is phase row b*band + r.
#pragma omp parallel
    {
      std::vector<float> moment_scratch(static_cast<size_t>(og > 0 ? 2 * o : 0));
#pragma omp for collapse(2) schedule(static)
      for (int64_t gi = 0; gi < groups; ++gi) {
        for (int64_t r = 0; r < band; ++r) {
          const int64_t g = g0 + gi, py = g / bands, b = g % bands;
          const int64_t px0 = std::max(t0, g * d) - g * d, px1 = std::min(t0 + n, (g + 1) * d) - g * d;
          float* const row = ys + ((b * band + r) * d + py) * wd * o;
          for (int64_t j = 0; j < pw; ++j) {
            for (int64_t px = px0; px < px1; ++px) {
              const float* base = tile_out + (g * d + px - t0) * out_tile;
              float* const px_out = row + (j * d + px) * o;
              for (int64_t blk = 0; blk < ob; ++blk) {
                std::memcpy(px_out + blk * kBlock, base + ((blk * band + r) * pw + j) * kBlock, kBlock * sizeof(float));
              }
            }
          }
          if (og > 0) {
            for (int64_t px = px0; px < px1; ++px) {
              const int64_t t = g * d + px;
              tile_row_moments(tile_out + (t - t0) * out_tile, band, pw, o, r, og,
                               row_moments.data() + (t * band + r) * og, moment_scratch.data(),
                               moment_scratch.data() + o);
            }
          }
        }
      }
    }
  }
  if (og > 0) {
    GroupStats& stats = *fusion->output_stats;
    stats.groups = og;
    stats.mean.assign(static_cast<size_t>(og), 0.0);
    stats.var.assign(static_cast<size_t>(og), 0.0);
    for (int64_t gr = 0; gr < og; ++gr) {
      GroupMoments total;
      for (int64_t k = 0; k < tiles * band; ++k) total.merge(row_moments[static_cast<size_t>(k * og + gr)]);
      stats.mean[static_cast<size_t>(gr)] = total.mean;
      stats.var[static_cast<size_t>(gr)] = total.m2 / total.count;
    }
  }
  return ok_status();
}

}  // namespace ck::cpu
