#include "model/decoder_head.hpp"

#include "model/batchnorm_fold.hpp"

#include <algorithm>
#include <vector>

namespace ck {

namespace {
constexpr float kBatchNormEps = 1e-5f;

// One head folded: per scale i, rows [row0, row0 + d) of the stacked projection weight
// (d, C_i) and, for scale 0, of the stacked bias.
Status fold_head(const WeightReader& w, const GreenFormerConfig& cfg, const std::string& prefix, int64_t row0,
                 std::array<Linear, 4>& folded) {
  const int64_t d = cfg.decoder_dim;
  CK_ASSIGN(Tensor fuse, w.get(prefix + ".linear_fuse.weight", {d, 4 * d, 1, 1}));  // (d, 4d)
  CK_ASSIGN(Tensor gamma, w.get(prefix + ".bn.weight", {d}));
  CK_ASSIGN(Tensor beta, w.get(prefix + ".bn.bias", {d}));
  CK_ASSIGN(Tensor mean, w.get(prefix + ".bn.running_mean", {d}));
  CK_ASSIGN(Tensor var, w.get(prefix + ".bn.running_var", {d}));
  // bn(linear_fuse(.)) as one affine map: weight (d, 4d) and bias (d).
  CK_ASSIGN(const FoldedConv fused, fold_batch_norm(fuse, nullptr, mean, var, gamma, beta, kBatchNormEps));
  const float* wf = fused.weight.data<float>();
  std::vector<double> bias(fused.bias.data<float>(), fused.bias.data<float>() + d);
  for (int i = 0; i < 4; ++i) {
    const int64_t c = cfg.stage_dim(i);
    CK_ASSIGN(Linear lin, Linear::load(w, prefix + ".linear_c" + std::to_string(i + 1) + ".proj", c, d));
    // linear_fuse sees the concatenation [c4, c3, c2, c1]: scale i sits in block 3 - i.
    const int64_t block = 3 - i;
    float* out = folded[i].weight.data<float>() + row0 * c;
    std::vector<double> row(static_cast<size_t>(c));
    for (int64_t o = 0; o < d; ++o) {
      std::fill(row.begin(), row.end(), 0.0);
      double b = 0.0;
      for (int64_t k = 0; k < d; ++k) {
        const double f = wf[o * 4 * d + block * d + k];
        const float* wk = lin.weight.data<float>() + k * c;
        for (int64_t j = 0; j < c; ++j) row[j] += f * wk[j];
        b += f * lin.bias.data<float>()[k];
      }
      for (int64_t j = 0; j < c; ++j) out[o * c + j] = static_cast<float>(row[j]);
      bias[o] += b;
    }
  }
  for (int64_t o = 0; o < d; ++o) folded[0].bias.data<float>()[row0 + o] = static_cast<float>(bias[o]);
  return ok_status();
}

}  // namespace

Result<DecoderHeads> DecoderHeads::load(const WeightReader& w, const GreenFormerConfig& cfg) {
  const int64_t d = cfg.decoder_dim;
  DecoderHeads heads;
  for (int i = 0; i < 4; ++i) {
    CK_ASSIGN(heads.folded_[i].weight, host_tensor({2 * d, cfg.stage_dim(i)}));
  }
  CK_ASSIGN(heads.folded_[0].bias, host_tensor({2 * d}));
  CK_TRY(fold_head(w, cfg, "alpha_decoder", 0, heads.folded_));
  CK_TRY(fold_head(w, cfg, "fg_decoder", d, heads.folded_));

  // Classifiers: alpha's (1, d) reads channels [0, d), fg's (3, d) reads [d, 2d).
  CK_ASSIGN(const Conv2d alpha, Conv2d::load(w, "alpha_decoder.classifier", d, 1, 1, {}));
  CK_ASSIGN(const Conv2d fg, Conv2d::load(w, "fg_decoder.classifier", d, 3, 1, {}));
  Conv2d& cls = heads.classifier_;
  cls.params = {1, 0, 1, Layout::kNHWC};
  CK_ASSIGN(cls.weight, host_tensor({4, 2 * d, 1, 1}));
  CK_ASSIGN(cls.bias, host_tensor({4}));
  std::fill_n(cls.weight.data<float>(), cls.weight.numel(), 0.0f);
  for (int64_t o = 0; o < 4; ++o) {
    const Conv2d& src = o == 0 ? alpha : fg;
    const int64_t so = o == 0 ? 0 : o - 1, col0 = o == 0 ? 0 : d;
    std::copy_n(src.weight.data<float>() + so * d, d, cls.weight.data<float>() + o * 2 * d + col0);
    cls.bias.data<float>()[o] = src.bias.data<float>()[so];
  }
  return heads;
}

Status DecoderHeads::upload_to(Backend& be) {
  for (Linear& l : folded_) CK_TRY(l.upload_to(be));
  return classifier_.upload_to(be);
}

Result<Tensor> DecoderHeads::forward(Backend& be, const std::array<TokenGrid, 4>& features,
                                     int64_t band_rows) const {
  const int64_t h = features[0].h, w = features[0].w, d2 = folded_[0].weight.size(0);
  // The coarser scales are projected at their own size (a third of the fused map's memory).
  std::array<Tensor, 3> coarse;
  for (int i = 1; i < 4; ++i) {
    CK_ASSIGN(Tensor proj, folded_[i](be, features[i].tokens));  // (h_i*w_i, 2d)
    CK_ASSIGN(coarse[i - 1], proj.reshape({1, features[i].h, features[i].w, d2}));
  }
  // Scale 0 (S/4) needs no upsampling; the coarser ones are upsampled and added to it in one
  // pass, ReLU included (dropout is the identity), over rows [r0, r1) computed on rows
  // [m0, m1): a margin of 8 rows (the coarsest scale's factor) where the image goes on, and
  // multiples of 8, so that each scale's rows map onto them exactly.
  constexpr int64_t kCoarsest = 8;
  const int64_t band = band_rows > 0 ? band_rows : h;
  CK_ASSIGN(Tensor logits, new_tensor(be, {1, h, w, 4}));
  for (int64_t r0 = 0; r0 < h; r0 += band) {
    const int64_t r1 = std::min(h, r0 + band);
    const int64_t m0 = std::max<int64_t>(0, (r0 / kCoarsest - 1) * kCoarsest);
    const int64_t m1 = std::min(h, ((r1 + kCoarsest - 1) / kCoarsest + 1) * kCoarsest);
    const Tensor rows0 = token_rows(features[0].tokens, m0 * w, (m1 - m0) * w);
    CK_ASSIGN(Tensor fused, folded_[0](be, rows0));  // ((m1-m0)*w, 2d)
    CK_ASSIGN(fused, fused.reshape({1, m1 - m0, w, d2}));
    std::array<Tensor, 3> parts;
    std::array<const Tensor*, 3> part_ptrs{};
    for (int i = 0; i < 3; ++i) {
      const int64_t f = h / coarse[static_cast<size_t>(i)].size(1);  // 2, 4, 8
      parts[static_cast<size_t>(i)] = map_rows(coarse[static_cast<size_t>(i)], m0 / f, (m1 - m0) / f);
      part_ptrs[static_cast<size_t>(i)] = &parts[static_cast<size_t>(i)];
    }
    CK_TRY(be.add_resized_bilinear(part_ptrs, fused, /*relu=*/true));
    Tensor out = map_rows(logits, r0, r1 - r0);
    CK_TRY(be.conv2d(map_rows(fused, r0 - m0, r1 - r0), classifier_.weight, &classifier_.bias, classifier_.params,
                     out));  // (1, r1-r0, w, 4)
  }
  return logits;
}

}  // namespace ck
