#include "model/refiner.hpp"

namespace ck {

namespace {
constexpr float kGroupNormEps = 1e-5f;
constexpr float kDeltaScale = 10.0f;

// A copy of a 1x1 convolution with weight and bias multiplied by `scale` (copies, never the
// checkpoint's own storage: it may be a read-only mapping).
// The final convolution with PyTorch's x10 folded in (load time, host memory).
Result<Conv2d> scaled_final(const Conv2d& conv, float scale) {
  Conv2d out = conv;
  CK_ASSIGN(out.weight, conv.weight.clone());
  CK_ASSIGN(out.bias, conv.bias.clone());
  for (Tensor* t : {&out.weight, &out.bias}) {
    for (int64_t i = 0; i < t->numel(); ++i) t->data<float>()[i] *= scale;
  }
  return out;
}

}  // namespace

Result<Tensor> RefinerBlock::forward(Backend& be, const Tensor& x) const {
  // conv1 -> gn1 -> relu -> conv2 -> gn2 -> + x -> relu. Each convolution takes its output's
  // GroupNorm statistics as it writes it, and conv2 applies gn1 and the ReLU as it reads its
  // input: gn1 costs no pass over memory, gn2 one instead of two.
  GroupStats conv1_stats, conv2_stats;
  CK_ASSIGN(Tensor out, conv1(be, x, {.output_stats = &conv1_stats, .output_groups = gn1.groups}));
  const ConvInputNorm norm1 = gn1.as_conv_input(conv1_stats, /*relu=*/true);
  // In place: at S = 2048 a map is 1 GiB, two live maps, not three.
  CK_TRY(conv2.in_place(be, out, {.input_norm = &norm1, .output_stats = &conv2_stats, .output_groups = gn2.groups}));
  CK_TRY(gn2.in_place(be, out, /*relu=*/true, /*residual=*/&x, &conv2_stats));
  return out;
}

Result<Refiner> Refiner::load(const WeightReader& w, const GreenFormerConfig& cfg) {
  const int64_t c = cfg.refiner_channels;
  Refiner r;
  constexpr Layout kNhwc = Layout::kNHWC;
  CK_ASSIGN(r.stem_conv_, Conv2d::load(w, "refiner.stem.0", 7, c, 3, {1, 1, 1, kNhwc}));
  CK_ASSIGN(r.stem_gn_, GroupNorm::load(w, "refiner.stem.1", c, cfg.refiner_groups, kGroupNormEps, kNhwc));
  for (int i = 0; i < 4; ++i) {
    const std::string p = "refiner.res" + std::to_string(i + 1) + ".";
    const int dilation = 1 << i;
    RefinerBlock& b = r.blocks_[i];
    CK_ASSIGN(b.conv1, Conv2d::load(w, p + "conv1", c, c, 3, {1, dilation, dilation, kNhwc}));
    CK_ASSIGN(b.gn1, GroupNorm::load(w, p + "gn1", c, cfg.refiner_groups, kGroupNormEps, kNhwc));
    CK_ASSIGN(b.conv2, Conv2d::load(w, p + "conv2", c, c, 3, {1, dilation, dilation, kNhwc}));
    CK_ASSIGN(b.gn2, GroupNorm::load(w, p + "gn2", c, cfg.refiner_groups, kGroupNormEps, kNhwc));
  }
  CK_ASSIGN(r.final_, Conv2d::load(w, "refiner.final", c, 4, 1, {1, 0, 1, kNhwc}));
  CK_ASSIGN(r.final_, scaled_final(r.final_, kDeltaScale));
  return r;
}

Status Refiner::upload_to(Backend& be) {
  CK_TRY(stem_conv_.upload_to(be));
  CK_TRY(stem_gn_.upload_to(be));
  for (RefinerBlock& b : blocks_) {
    for (Conv2d* c : {&b.conv1, &b.conv2}) CK_TRY(c->upload_to(be));
    for (GroupNorm* n : {&b.gn1, &b.gn2}) CK_TRY(n->upload_to(be));
  }
  return final_.upload_to(be);
}

Result<Tensor> Refiner::forward(Backend& be, const Tensor& input, Tensor coarse, float output_scale) const {
  // Channels-last throughout: the plate's colour (the input's first three columns) and the
  // coarse prediction joined per pixel, then the convolutions read it without conversion.
  const int64_t h = coarse.size(1), w = coarse.size(2);
  CK_ASSIGN(Tensor x, new_tensor(be, {h * w, 7}));
  {  // the coarse map goes as soon as it is joined (64 MB at S = 2048)
    const Tensor rgb = column_slice(input, 0, 3);                  // (h*w, 3) of (h*w, 4)
    CK_ASSIGN(const Tensor coarse_px, coarse.reshape({h * w, 4}));  // (h*w, 4)
    const Tensor* parts[] = {&rgb, &coarse_px};
    CK_TRY(be.concat(parts, 1, x));
  }
  coarse = Tensor();
  CK_ASSIGN(x, x.reshape({1, h, w, 7}));
  CK_ASSIGN(x, stem_conv_(be, x));  // (1, h, w, C)
  CK_TRY(stem_gn_.in_place(be, x, /*relu=*/true));
  for (const RefinerBlock& b : blocks_) {
    CK_ASSIGN(x, b.forward(be, x));
  }
  // (1, h, w, 4); refiner_scale weighs the output, as PyTorch's delta * refiner_scale does.
  return final_(be, x, {.output_scale = output_scale});
}
}  // namespace ck
