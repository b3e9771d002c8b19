#include "model/decoder_head.hpp"

#include "model/batchnorm_fold.hpp"

#include <vector>

namespace ck {

namespace {
constexpr float kBatchNormEps = 1e-5f;
}  // namespace

Result<DecoderHead> DecoderHead::load(const WeightReader& w, const GreenFormerConfig& cfg, const std::string& prefix,
                                      int64_t out_channels) {
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
  DecoderHead head;
  for (int i = 0; i < 4; ++i) {
    const int64_t c = cfg.stage_dim(i);
    CK_ASSIGN(Linear lin, Linear::load(w, prefix + ".linear_c" + std::to_string(i + 1) + ".proj", c, d));
    // linear_fuse sees the concatenation [c4, c3, c2, c1]: scale i sits in block 3 - i.
    const int64_t block = 3 - i;
    CK_ASSIGN(Tensor folded, new_tensor({d, c}));
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
      for (int64_t j = 0; j < c; ++j) folded.data<float>()[o * c + j] = static_cast<float>(row[j]);
      bias[o] += b;
    }
    head.folded_[i].weight = folded;
  }
  CK_ASSIGN(head.folded_[0].bias, new_tensor({d}));
  for (int64_t o = 0; o < d; ++o) head.folded_[0].bias.data<float>()[o] = static_cast<float>(bias[o]);
  CK_ASSIGN(head.classifier_, Conv2d::load(w, prefix + ".classifier", d, out_channels, 1, {}));
  return head;
}

Result<Tensor> DecoderHead::forward(Backend& be, const std::array<TokenGrid, 4>& features) const {
  const int64_t h = features[0].h, w = features[0].w;
  // Scale 0 (S/4) needs no upsampling; the coarser scales are projected at their own size first.
  CK_ASSIGN(Tensor fused_tokens, folded_[0](be, features[0].tokens));  // (h*w, d)
  CK_ASSIGN(Tensor fused, tokens_to_map(be, fused_tokens, h, w));    // (1, d, h, w)
  for (int i = 1; i < 4; ++i) {
    CK_ASSIGN(Tensor proj, folded_[i](be, features[i].tokens));
    CK_ASSIGN(Tensor map, tokens_to_map(be, proj, features[i].h, features[i].w));
    CK_ASSIGN(Tensor up, resize_bilinear_to(be, map, h, w));
    CK_TRY(be.add(fused, up, fused));
  }
  CK_TRY(be.unary(UnaryOp::kRelu, fused, fused));  // dropout is the identity in eval mode
  return classifier_(be, fused);
}

}  // namespace ck
