// The refiner in bands of rows (Refiner::forward_in_bands): every layer evaluated on a band
// grown by its halo, the rows its zero padding spoiled at the band's inner edges thrown away.
//
// Layers, as PyTorch's refiner runs them (k numbers the convolutions and their GroupNorms):
//   k = 0          A0 = relu(gn0(stem(X)))                           X = [rgb, sigmoid(up(logits))]
//   k = 2b+1, 2b+2 A(b+1) = relu(gn2(conv2(relu(gn1(conv1(Ab))))) + Ab)   dilation 2^b, b = 0..3
//   final          sigmoid(up(logits) + scale * final(A4))
#include <algorithm>
#include <array>
#include <vector>

#include "model/refiner.hpp"

namespace ck {

namespace {

// Image rows [begin, end).
struct Rows {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
  // Grown by `halo` on both sides, within the image's `height` rows.
  Rows grown(int64_t halo, int64_t height) const { return {std::max<int64_t>(0, begin - halo), std::min(height, end + halo)}; }
};

// A channels-last map (1, rows, W, C) holding exactly image rows `rows`.
struct Band {
  Tensor map;
  Rows rows;
  // The rows `r` (inside this band's) as a view.
  Band sub(Rows r) const { return {map_rows(map, r.begin - rows.begin, r.size()), r}; }
};

// GroupNorm statistics of the whole image from those of its bands (Chan et al.'s pairwise
// update of the mean and the sum of squared deviations, in double).
class StatsOverBands {
 public:
  explicit StatsOverBands(int groups)
      : groups_(groups), count_(groups, 0.0), mean_(groups, 0.0), m2_(groups, 0.0) {}
  // `band` holds each group's mean and variance over `values_per_group` values.
  void add(const GroupStats& band, double values_per_group) {
    for (size_t g = 0; g < count_.size(); ++g) {
      const double n = count_[g] + values_per_group;
      const double delta = band.host.mean[g] - mean_[g];
      mean_[g] += delta * values_per_group / n;
      m2_[g] += band.host.var[g] * values_per_group + delta * delta * count_[g] * values_per_group / n;
      count_[g] = n;
    }
  }
  GroupStats result() const {
    GroupStats s;
    s.groups = groups_;
    s.host.mean = mean_;
    s.host.var.resize(m2_.size());
    for (size_t g = 0; g < m2_.size(); ++g) s.host.var[g] = m2_[g] / count_[g];
    return s;
  }

 private:
  int groups_;
  std::vector<double> count_, mean_, m2_;
};

constexpr int kConvolutions = 9;  // the stem's and two per residual block
constexpr int64_t kUpsample = 4;  // logits are at S/4

int64_t dilation_of_block(int b) { return int64_t{1} << b; }

}  // namespace

// One evaluation of the refiner in bands: the statistics of its GroupNorms as they are
// gathered, and the layers on any band of rows.
class RefinerBands {
 public:
  RefinerBands(const Refiner& r, Backend& be, const Tensor& input, const Tensor& logits)
      : r_(r), be_(be), input_(input), logits_(logits), height_(logits.size(1) * kUpsample),
        width_(logits.size(2) * kUpsample) {}

  Result<Tensor> run(float output_scale, int64_t band_rows) {
    band_rows_ = band_rows;
    // Each GroupNorm's statistics need every layer before it normalised: one pass each.
    for (int k = 0; k < kConvolutions; ++k) {
      StatsOverBands total(norm(k).groups);
      const double per_group = static_cast<double>(width_) * (r_.channels() / norm(k).groups);
      CK_TRY(for_each_band([&](Rows rows) -> Status {
        CK_ASSIGN(const Band out, convolution_output(k, rows));
        GroupStats band;
        CK_TRY(be_.group_stats(out.map, norm(k).groups, Layout::kNHWC, band));
        total.add(band, per_group * static_cast<double>(rows.size()));
        return ok_status();
      }));
      stats_[static_cast<size_t>(k)] = total.result();
    }
    // (1, S, S, 4): sigmoid(up(logits) + scale * final(A4)), written band by band.
    CK_ASSIGN(Tensor out, new_tensor(be_, {1, height_, width_, 4}));
    CK_TRY(for_each_band([&](Rows rows) -> Status {
      CK_ASSIGN(const Band a4, block_input(4, rows));
      Tensor y = map_rows(out, rows.begin, rows.size());
      const Conv2d& f = r_.final_;
      CK_TRY(be_.conv2d(a4.map, f.weight, &f.bias, f.params, y, {.output_scale = output_scale}));
      CK_ASSIGN(const Band up, upsampled_logits(rows));
      CK_TRY(be_.add(y, up.map, y));  // delta + up: the whole-map path's up + delta
      return be_.unary(UnaryOp::kSigmoid, y, y);
    }));
    return out;
  }

 private:
  template <class Fn>
  Status for_each_band(Fn&& fn) {
    for (int64_t r0 = 0; r0 < height_; r0 += band_rows_) {
      CK_TRY(fn(Rows{r0, std::min(height_, r0 + band_rows_)}));
    }
    return ok_status();
  }

  const GroupNorm& norm(int k) const {
    if (k == 0) return r_.stem_gn_;
    const RefinerBlock& b = r_.blocks_[static_cast<size_t>((k - 1) / 2)];
    return k % 2 == 1 ? b.gn1 : b.gn2;
  }

  // The logits upsampled x4 (bilinear, half-pixel centres) on `want`: the rows the whole
  // map's upsampling gives, from the source rows around them (one more on each side, so
  // that no wanted row is clamped at a band edge that is not the image's).
  Result<Band> upsampled_logits(Rows want) {
    const int64_t h = logits_.size(1);
    const Rows src{std::max<int64_t>(0, want.begin / kUpsample - 1),
                   std::min(h, (want.end + kUpsample - 1) / kUpsample + 1)};
    CK_ASSIGN(Tensor up, new_tensor(be_, {1, src.size() * kUpsample, width_, 4}));
    CK_TRY(be_.resize_bilinear(map_rows(logits_, src.begin, src.size()), up));
    return Band{up, {src.begin * kUpsample, src.end * kUpsample}}.sub(want);
  }

  // X on `want`: (1, n, W, 7), the plate's colour and the coarse alpha and fg.
  Result<Band> refiner_input(Rows want) {
    CK_ASSIGN(const Band up, upsampled_logits(want));
    const int64_t pixels = want.size() * width_;
    CK_ASSIGN(Tensor coarse, up.map.reshape({pixels, 4}));  // the band's own copy: sigmoid in place
    CK_TRY(be_.unary(UnaryOp::kSigmoid, coarse, coarse));
    const Tensor rgb = column_slice(token_rows(input_, want.begin * width_, pixels), 0, 3);
    CK_ASSIGN(Tensor x, new_tensor(be_, {pixels, 7}));
    const Tensor* parts[] = {&rgb, &coarse};
    CK_TRY(be_.concat(parts, 1, x));
    CK_ASSIGN(x, x.reshape({1, want.size(), width_, 7}));
    return Band{x, want};
  }

  // `conv` on `in`, its output kept on `want`: rows whose window reaches past an inner edge
  // of `in` (zero padding where the image goes on) are dropped, so `in` must reach the
  // convolution's dilation beyond `want` wherever the image does.
  Result<Band> convolve(const Conv2d& conv, const Band& in, Rows want, const ConvFusion& fusion = {}) {
    CK_ASSIGN(const Tensor out, conv(be_, in.map, fusion));
    return Band{out, in.rows}.sub(want);
  }

  // Block b's conv2 output on `want` (its input normalised by gn1 as it is read), and the
  // block's input Ab there (the residual).
  struct BlockRows {
    Band conv2_out, residual;
  };
  Result<BlockRows> block_rows(int b, Rows want) {
    const RefinerBlock& block = r_.blocks_[static_cast<size_t>(b)];
    const int64_t d = dilation_of_block(b);
    CK_ASSIGN(const Band a, block_input(b, want.grown(2 * d, height_)));
    CK_ASSIGN(Band h, convolve(block.conv1, a, want.grown(d, height_)));
    // conv2 in place over conv1's output: one band map, not two.
    const ConvInputNorm norm1 = block.gn1.as_conv_input(stats_[static_cast<size_t>(2 * b + 1)], /*relu=*/true);
    CK_TRY(block.conv2.in_place(be_, h.map, {.input_norm = &norm1}));
    return BlockRows{h.sub(want), a.sub(want)};
  }

  // A_i on `want`: the stem's normalised output (i = 0) or block i-1's output.
  Result<Band> block_input(int i, Rows want) {
    if (i == 0) {
      CK_ASSIGN(const Band x, refiner_input(want.grown(1, height_)));
      CK_ASSIGN(Band a0, convolve(r_.stem_conv_, x, want));
      CK_TRY(r_.stem_gn_.in_place(be_, a0.map, /*relu=*/true, nullptr, &stats_[0]));
      return a0;
    }
    const int b = i - 1;
    CK_ASSIGN(BlockRows rows, block_rows(b, want));
    const RefinerBlock& block = r_.blocks_[static_cast<size_t>(b)];
    CK_TRY(block.gn2.in_place(be_, rows.conv2_out.map, /*relu=*/true, &rows.residual.map,
                              &stats_[static_cast<size_t>(2 * b + 2)]));
    return rows.conv2_out;
  }

  // Convolution k's raw output on `want` (what GroupNorm k normalises).
  Result<Band> convolution_output(int k, Rows want) {
    if (k == 0) {
      CK_ASSIGN(const Band x, refiner_input(want.grown(1, height_)));
      return convolve(r_.stem_conv_, x, want);
    }
    const int b = (k - 1) / 2;
    if (k % 2 == 0) {
      CK_ASSIGN(const BlockRows rows, block_rows(b, want));
      return rows.conv2_out;
    }
    const int64_t d = dilation_of_block(b);
    CK_ASSIGN(const Band a, block_input(b, want.grown(d, height_)));
    return convolve(r_.blocks_[static_cast<size_t>(b)].conv1, a, want);
  }

  const Refiner& r_;
  Backend& be_;
  const Tensor& input_;   // (S*S, 4)
  const Tensor& logits_;  // (1, S/4, S/4, 4)
  const int64_t height_, width_;
  int64_t band_rows_ = 0;
  std::array<GroupStats, kConvolutions> stats_;
};

Result<Tensor> Refiner::forward_in_bands(Backend& be, const Tensor& input, const Tensor& logits,
                                         float output_scale, int64_t band_rows) const {
  if (band_rows <= 0) return err(ErrorCode::kInvalidArgument, "refiner bands of ", band_rows, " rows");
  if (logits.dim() != 4 || logits.size(3) != 4 || input.dim() != 2 ||
      input.size(0) != logits.size(1) * kUpsample * logits.size(2) * kUpsample) {
    return err(ErrorCode::kInvalidArgument, "refiner bands: logits ", shape_str(logits.shape()), " and input ",
               shape_str(input.shape()), " do not match");
  }
  return RefinerBands(*this, be, input, logits).run(output_scale, band_rows);
}

}  // namespace ck
