#include "model/layers.hpp"

#include <initializer_list>

namespace ck {

Result<Tensor> WeightReader::get(const std::string& name, const Shape& expected_shape) const {
  const auto it = sd_.find(name);
  if (it == sd_.end()) return err(ErrorCode::kFormat, "checkpoint has no tensor '", name, "'");
  const Tensor& t = it->second;
  if (t.shape() != expected_shape) {
    return err(ErrorCode::kFormat, "checkpoint tensor '", name, "' has shape ", shape_str(t.shape()), ", expected ",
               shape_str(expected_shape));
  }
  if (t.dtype() == DType::I64) return err(ErrorCode::kFormat, "checkpoint tensor '", name, "' is an integer tensor");
  if (t.dtype() == DType::F32 && t.is_contiguous()) return t;
  return t.to(DType::F32);
}

Result<Shape> WeightReader::shape_of(const std::string& name) const {
  const auto it = sd_.find(name);
  if (it == sd_.end()) return err(ErrorCode::kFormat, "checkpoint has no tensor '", name, "'");
  return it->second.shape();
}

Result<Tensor> new_tensor(Backend& be, const Shape& shape) { return be.allocate(shape, DType::F32); }

Result<Tensor> host_tensor(const Shape& shape) { return Tensor::empty(shape, DType::F32); }

Result<Linear> Linear::load(const WeightReader& w, const std::string& prefix, int64_t in, int64_t out, bool bias) {
  Linear l;
  CK_ASSIGN(l.weight, w.get(prefix + ".weight", {out, in}));
  if (bias) {
    CK_ASSIGN(l.bias, w.get(prefix + ".bias", {out}));
  }
  return l;
}

Result<Tensor> Linear::operator()(Backend& be, const Tensor& x, const LinearEpilogue& epilogue) const {
  CK_ASSIGN(Tensor y, new_tensor(be, {x.size(0), weight.size(0)}));
  CK_TRY(be.linear(x, weight, bias.raw() ? &bias : nullptr, y, epilogue));
  return y;
}

Status upload_weight(Backend& be, Tensor& t) {
  if (t.raw() == nullptr) return ok_status();
  CK_ASSIGN(t, be.upload(t));
  return ok_status();
}

namespace {
Status upload_weights(Backend& be, std::initializer_list<Tensor*> tensors) {
  for (Tensor* t : tensors) CK_TRY(upload_weight(be, *t));
  return ok_status();
}
}  // namespace

Status Linear::upload_to(Backend& be) { return upload_weights(be, {&weight, &bias}); }
Status LayerNorm::upload_to(Backend& be) { return upload_weights(be, {&weight, &bias}); }
Status Conv2d::upload_to(Backend& be) { return upload_weights(be, {&weight, &bias}); }
Status GroupNorm::upload_to(Backend& be) { return upload_weights(be, {&weight, &bias}); }

Status Linear::to_bf16() {
  CK_ASSIGN(weight, weight.to(DType::BF16));
  return ok_status();
}

Result<LayerNorm> LayerNorm::load(const WeightReader& w, const std::string& prefix, int64_t c, float eps) {
  LayerNorm n;
  CK_ASSIGN(n.weight, w.get(prefix + ".weight", {c}));
  CK_ASSIGN(n.bias, w.get(prefix + ".bias", {c}));
  n.eps = eps;
  return n;
}

Result<Tensor> LayerNorm::operator()(Backend& be, const Tensor& x) const {
  CK_ASSIGN(Tensor y, new_tensor(be, x.shape()));
  CK_TRY(be.layer_norm(x, weight, bias, eps, y));
  return y;
}

Result<Conv2d> Conv2d::load(const WeightReader& w, const std::string& prefix, int64_t in, int64_t out, int k,
                            Conv2dParams params, bool bias) {
  Conv2d c;
  CK_ASSIGN(c.weight, w.get(prefix + ".weight", {out, in, k, k}));
  if (bias) {
    CK_ASSIGN(c.bias, w.get(prefix + ".bias", {out}));
  }
  c.params = params;
  return c;
}

Result<Tensor> Conv2d::operator()(Backend& be, const Tensor& x, const ConvFusion& fusion) const {
  if (x.dim() != 4) return err(ErrorCode::kInvalidArgument, "conv2d input ", shape_str(x.shape()), " is not 4-d");
  CK_ASSIGN(Tensor y, new_tensor(be, conv2d_output_shape(x.shape(), weight.shape(), params)));
  CK_TRY(be.conv2d(x, weight, bias.raw() ? &bias : nullptr, params, y, fusion));
  return y;
}

Status Conv2d::in_place(Backend& be, Tensor& x, const ConvFusion& fusion) const {
  return be.conv2d(x, weight, bias.raw() ? &bias : nullptr, params, x, fusion);
}

Result<GroupNorm> GroupNorm::load(const WeightReader& w, const std::string& prefix, int64_t c, int groups,
                                  float eps, Layout layout) {
  GroupNorm n;
  CK_ASSIGN(n.weight, w.get(prefix + ".weight", {c}));
  CK_ASSIGN(n.bias, w.get(prefix + ".bias", {c}));
  n.groups = groups;
  n.eps = eps;
  n.layout = layout;
  return n;
}

Status GroupNorm::in_place(Backend& be, Tensor& x, bool relu, const Tensor* residual, const GroupStats* stats) const {
  return be.group_norm(x, groups, weight, bias, eps, x, layout, relu, residual, stats);
}

Result<Tensor> tokens_to_map(Backend& be, const Tensor& tokens, int64_t h, int64_t w) {
  if (tokens.dim() != 2 || tokens.size(0) != h * w) {
    return err(ErrorCode::kInvalidArgument, "tokens ", shape_str(tokens.shape()), " do not form a ", h, "x", w,
               " grid");
  }
  const int64_t c = tokens.size(1);
  CK_ASSIGN(Tensor planes, new_tensor(be, {c, h * w}));
  CK_TRY(be.transpose(tokens, planes));
  return planes.reshape({1, c, h, w});
}

Result<Tensor> map_to_tokens(Backend& be, const Tensor& map) {
  if (map.dim() != 4 || map.size(0) != 1) {
    return err(ErrorCode::kInvalidArgument, "expected a (1, C, H, W) map, got ", shape_str(map.shape()));
  }
  CK_ASSIGN(Tensor planes, map.reshape({map.size(1), map.size(2) * map.size(3)}));
  CK_ASSIGN(Tensor tokens, new_tensor(be, {planes.size(1), planes.size(0)}));
  CK_TRY(be.transpose(planes, tokens));
  return tokens;
}

Tensor channel_slice(const Tensor& map, int64_t c0, int64_t n) {
  const int64_t plane = map.size(2) * map.size(3);
  return Tensor::wrap(map.data<float>() + c0 * plane, {1, n, map.size(2), map.size(3)}, DType::F32, map.owner());
}

Tensor column_slice(const Tensor& tokens, int64_t c0, int64_t n) {
  return Tensor::wrap(tokens.data<float>() + c0, {tokens.size(0), n}, DType::F32, tokens.owner(), {tokens.size(1), 1});
}

Tensor token_rows(const Tensor& tokens, int64_t r0, int64_t n) {
  return Tensor::wrap(tokens.data<float>() + r0 * tokens.size(1), {n, tokens.size(1)}, DType::F32, tokens.owner());
}

Tensor map_rows(const Tensor& nhwc, int64_t r0, int64_t n) {
  const int64_t row = nhwc.size(2) * nhwc.size(3);
  return Tensor::wrap(nhwc.data<float>() + r0 * row, {1, n, nhwc.size(2), nhwc.size(3)}, DType::F32, nhwc.owner());
}

Result<Tensor> apply_unary(Backend& be, UnaryOp op, const Tensor& x) {
  CK_ASSIGN(Tensor y, new_tensor(be, x.shape()));
  CK_TRY(be.unary(op, x, y));
  return y;
}

Result<Tensor> add_tensors(Backend& be, const Tensor& a, const Tensor& b) {
  CK_ASSIGN(Tensor y, new_tensor(be, a.shape()));
  CK_TRY(be.add(a, b, y));
  return y;
}


}  // namespace ck
