#include "backends/backend.hpp"

#include <cmath>

namespace ck {

std::string_view unary_op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::kGelu: return "gelu";
    case UnaryOp::kSigmoid: return "sigmoid";
  }
  return "?";
}

namespace {

// Every kernel computes in fp32 on contiguous tensors (linear and conv2d also take BF16
// weights); other dtypes are reported as unsupported (with the op's name) rather than
// converted behind the caller's back.
Status check_tensor(std::string_view backend, std::string_view op, std::string_view role, const Tensor& t,
                    int rank, bool bf16_allowed = false) {
  if (!t.defined()) return err(ErrorCode::kInvalidArgument, op, ": ", role, " is not allocated");
  if (t.dtype() != DType::F32 && !(bf16_allowed && t.dtype() == DType::BF16)) {
    return err(ErrorCode::kUnsupported, "backend '", backend, "' has no ", dtype_name(t.dtype()), " kernel for ",
               op, " (", role, ")");
  }
  if (rank >= 0 && t.dim() != rank) {
    return err(ErrorCode::kInvalidArgument, op, ": ", role, " must be ", rank, "-d, got ", shape_str(t.shape()));
  }
  if (!t.is_contiguous()) return err(ErrorCode::kInvalidArgument, op, ": ", role, " must be contiguous");
  return ok_status();
}

Status check_shape(std::string_view op, std::string_view role, const Tensor& t, const Shape& expected) {
  if (t.shape() != expected) {
    return err(ErrorCode::kInvalidArgument, op, ": ", role, " has shape ", shape_str(t.shape()), ", expected ",
               shape_str(expected));
  }
  return ok_status();
}

// Statistics for `samples` samples of `channels` channels: one mean and variance per group.
Status check_group_stats(std::string_view op, std::string_view role, const GroupStats& s, int64_t samples,
                         int64_t channels) {
  const auto expected = static_cast<size_t>(samples * s.groups);
  if (s.groups <= 0 || channels % s.groups != 0 ||
      (!s.device && (s.host.mean.size() != expected || s.host.var.size() != expected))) {
    return err(ErrorCode::kInvalidArgument, op, ": ", role, " hold ", s.host.mean.size(), " groups' values in ", s.groups,
               " groups, expected ", expected, " for ", samples, " sample(s) of ", channels, " channels");
  }
  return ok_status();
}

}  // namespace

#define CK_CHECK_T(op, role, t, rank) CK_TRY(check_tensor(name(), op, role, t, rank))
#define CK_CHECK_WEIGHT(op, t, rank) CK_TRY(check_tensor(name(), op, "weight", t, rank, true))

Result<Tensor> Backend::allocate(const Shape& shape, DType dtype) { return Tensor::empty(shape, dtype); }

Result<Tensor> Backend::upload(const Tensor& host) {
  if (!host_memory()) return unsupported("upload").error();
  return host;  // host memory already: the prepared bytes are the backend's
}

Result<Tensor> Backend::download(const Tensor& t) {
  if (!host_memory()) return unsupported("download").error();
  return t;
}

Status Backend::supports(OpKind op, DType dtype) const {
  if (dtype == DType::F32) return ok_status();
  return err(ErrorCode::kUnsupported, "backend '", name(), "' does not run ", op_kind_name(op), " in ",
             dtype_name(dtype));
}

std::string_view op_kind_name(OpKind op) {
  switch (op) {
    case OpKind::kLinear: return "linear";
    case OpKind::kConv2d: return "conv2d";
    case OpKind::kAttention: return "attention";
    case OpKind::kNorm: return "norms";
    case OpKind::kResize: return "resizes";
    case OpKind::kElementwise: return "element-wise ops";
  }
  return "?";
}

Shape conv2d_output_shape(const Shape& x, const Shape& w, const Conv2dParams& p) {
  const bool nhwc = p.layout == Layout::kNHWC;
  const int64_t h = nhwc ? x[1] : x[2], wd = nhwc ? x[2] : x[3];
  const int64_t ho = (h + 2 * p.padding - p.dilation * (w[2] - 1) - 1) / p.stride + 1;
  const int64_t wo = (wd + 2 * p.padding - p.dilation * (w[3] - 1) - 1) / p.stride + 1;
  return nhwc ? Shape{x[0], ho, wo, w[0]} : Shape{x[0], w[0], ho, wo};
}

Status Backend::unsupported(std::string_view op) const {
  return err(ErrorCode::kUnsupported, "backend '", name(), "' does not implement op '", op, "'");
}

Status Backend::linear(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y,
                       const LinearEpilogue& epilogue) {
  CK_CHECK_T("linear", "input", x, 2);
  CK_CHECK_WEIGHT("linear", w, 2);
  CK_CHECK_T("linear", "output", y, 2);
  if (x.size(1) != w.size(1)) {
    return err(ErrorCode::kInvalidArgument, "linear: input ", shape_str(x.shape()), " does not match weight ",
               shape_str(w.shape()));
  }
  if (bias) {
    CK_CHECK_T("linear", "bias", *bias, 1);
    CK_TRY(check_shape("linear", "bias", *bias, {w.size(0)}));
  }
  CK_TRY(check_shape("linear", "output", y, {x.size(0), w.size(0)}));
  if (const Tensor* r = epilogue.residual) {
    CK_CHECK_T("linear", "residual", *r, 2);
    CK_TRY(check_shape("linear", "residual", *r, y.shape()));
    if (r->raw() == y.raw()) return err(ErrorCode::kInvalidArgument, "linear: the residual must not be the output");
  }
  if (!epilogue.gelu && !epilogue.residual) return do_linear(x, w, bias, y);
  return do_linear_fused(x, w, bias, y, epilogue);
}

Status Backend::do_linear_fused(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y,
                                const LinearEpilogue& epilogue) {
  CK_TRY(do_linear(x, w, bias, y));
  if (epilogue.gelu) CK_TRY(do_unary(UnaryOp::kGelu, y, y));
  if (epilogue.residual) CK_TRY(do_add(y, *epilogue.residual, y));
  return ok_status();
}

Status Backend::conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p, Tensor& y,
                       const ConvFusion& fusion) {
  CK_CHECK_T("conv2d", "input", x, 4);
  CK_CHECK_WEIGHT("conv2d", w, 4);
  CK_CHECK_T("conv2d", "output", y, 4);
  if (p.stride < 1 || p.dilation < 1 || p.padding < 0) {
    return err(ErrorCode::kInvalidArgument, "conv2d: stride and dilation must be >= 1 and padding >= 0");
  }
  const bool nhwc = p.layout == Layout::kNHWC;
  const int64_t c = nhwc ? x.size(3) : x.size(1);
  if (c != w.size(1)) {
    return err(ErrorCode::kInvalidArgument, "conv2d: input has ", c, " channels, weight expects ", w.size(1));
  }
  const Shape out = conv2d_output_shape(x.shape(), w.shape(), p);
  const int64_t ho = nhwc ? out[1] : out[2], wo = nhwc ? out[2] : out[3];
  if (ho < 1 || wo < 1) return err(ErrorCode::kInvalidArgument, "conv2d: input smaller than the kernel");
  if (bias) {
    CK_CHECK_T("conv2d", "bias", *bias, 1);
    CK_TRY(check_shape("conv2d", "bias", *bias, {w.size(0)}));
  }
  CK_TRY(check_shape("conv2d", "output", y, out));
  const auto* xb = static_cast<const char*>(x.raw());
  const auto* yb = static_cast<const char*>(y.raw());
  const bool overlap = xb < yb + y.nbytes() && yb < xb + x.nbytes();
  if (overlap && (xb != yb || x.shape() != y.shape())) {
    return err(ErrorCode::kInvalidArgument, "conv2d: output overlaps the input without being it");
  }
  if (!std::isfinite(fusion.output_scale)) return err(ErrorCode::kInvalidArgument, "conv2d: output scale is not finite");
  if (fusion.output_scale != 1.0f) {
    if (fusion.output_stats) {
      return err(ErrorCode::kInvalidArgument, "conv2d: an output scale and output statistics together");
    }
    ConvFusion unscaled = fusion;
    unscaled.output_scale = 1.0f;
    CK_TRY(conv2d(x, w, bias, p, y, unscaled));
    return do_scale(y, fusion.output_scale, y);
  }
  if (!fusion.input_norm && !fusion.output_stats) return do_conv2d(x, w, bias, p, y);
  if (const ConvInputNorm* in = fusion.input_norm) {
    if (!in->stats || !in->weight || !in->bias) {
      return err(ErrorCode::kInvalidArgument, "conv2d: the input norm needs statistics, weight and bias");
    }
    CK_TRY(check_group_stats("conv2d", "input norm", *in->stats, x.size(0), c));
    CK_CHECK_T("conv2d", "input norm weight", *in->weight, 1);
    CK_CHECK_T("conv2d", "input norm bias", *in->bias, 1);
    CK_TRY(check_shape("conv2d", "input norm weight", *in->weight, {c}));
    CK_TRY(check_shape("conv2d", "input norm bias", *in->bias, {c}));
  }
  if (fusion.output_stats && (fusion.output_groups <= 0 || w.size(0) % fusion.output_groups != 0)) {
    return err(ErrorCode::kInvalidArgument, "conv2d: ", w.size(0), " output channels do not split into ",
               fusion.output_groups, " groups");
  }
  return do_conv2d_fused(x, w, bias, p, y, fusion);
}

Status Backend::do_conv2d_fused(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                Tensor& y, const ConvFusion& fusion) {
  const Tensor* src = &x;
  Tensor normed;
  if (const ConvInputNorm* in = fusion.input_norm) {
    if (x.raw() == y.raw()) {  // x is consumed anyway: normalise it where it lies
      CK_TRY(do_group_norm(x, in->stats->groups, *in->weight, *in->bias, in->eps, y, p.layout, in->relu, nullptr,
                           *in->stats));
    } else {
      CK_ASSIGN(normed, Tensor::empty(x.shape()));
      CK_TRY(do_group_norm(x, in->stats->groups, *in->weight, *in->bias, in->eps, normed, p.layout, in->relu,
                           nullptr, *in->stats));
      src = &normed;
    }
  }
  CK_TRY(do_conv2d(*src, w, bias, p, y));
  if (fusion.output_stats) CK_TRY(do_group_stats(y, fusion.output_groups, p.layout, *fusion.output_stats));
  return ok_status();
}

Status Backend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y) {
  CK_CHECK_T("layer_norm", "input", x, 2);
  CK_CHECK_T("layer_norm", "weight", weight, 1);
  CK_CHECK_T("layer_norm", "bias", bias, 1);
  CK_CHECK_T("layer_norm", "output", y, 2);
  CK_TRY(check_shape("layer_norm", "weight", weight, {x.size(1)}));
  CK_TRY(check_shape("layer_norm", "bias", bias, {x.size(1)}));
  CK_TRY(check_shape("layer_norm", "output", y, x.shape()));
  return do_layer_norm(x, weight, bias, eps, y);
}

Status Backend::group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps,
                           Tensor& y, Layout layout, bool relu, const Tensor* residual, const GroupStats* stats) {
  CK_CHECK_T("group_norm", "input", x, 4);
  CK_CHECK_T("group_norm", "weight", weight, 1);
  CK_CHECK_T("group_norm", "bias", bias, 1);
  CK_CHECK_T("group_norm", "output", y, 4);
  const int64_t c = layout == Layout::kNHWC ? x.size(3) : x.size(1);
  if (groups < 1 || c % groups != 0) {
    return err(ErrorCode::kInvalidArgument, "group_norm: ", c, " channels do not split into ", groups, " groups");
  }
  CK_TRY(check_shape("group_norm", "weight", weight, {c}));
  CK_TRY(check_shape("group_norm", "bias", bias, {c}));
  CK_TRY(check_shape("group_norm", "output", y, x.shape()));
  if (residual) {
    CK_CHECK_T("group_norm", "residual", *residual, 4);
    CK_TRY(check_shape("group_norm", "residual", *residual, x.shape()));
  }
  if (!stats) {
    GroupStats own;
    CK_TRY(do_group_stats(x, groups, layout, own));
    return do_group_norm(x, groups, weight, bias, eps, y, layout, relu, residual, own);
  }
  if (stats->groups != groups) {
    return err(ErrorCode::kInvalidArgument, "group_norm: statistics of ", stats->groups, " groups for ", groups);
  }
  CK_TRY(check_group_stats("group_norm", "statistics", *stats, x.size(0), c));
  return do_group_norm(x, groups, weight, bias, eps, y, layout, relu, residual, *stats);
}

MapDims map_dims(const Tensor& x, Layout layout) {
  const bool nhwc = layout == Layout::kNHWC;
  return {x.size(0), nhwc ? x.size(3) : x.size(1), nhwc ? x.size(1) * x.size(2) : x.size(2) * x.size(3)};
}

Status Backend::group_stats(const Tensor& x, int groups, Layout layout, GroupStats& stats) {
  CK_CHECK_T("group_stats", "input", x, 4);
  const int64_t c = layout == Layout::kNHWC ? x.size(3) : x.size(1);
  if (groups <= 0 || c % groups != 0) {
    return err(ErrorCode::kInvalidArgument, "group_stats: ", c, " channels do not split into ", groups, " groups");
  }
  return do_group_stats(x, groups, layout, stats);
}

Status Backend::unary(UnaryOp op, const Tensor& x, Tensor& y) {
  CK_CHECK_T(unary_op_name(op), "input", x, -1);
  CK_CHECK_T(unary_op_name(op), "output", y, -1);
  CK_TRY(check_shape(unary_op_name(op), "output", y, x.shape()));
  return do_unary(op, x, y);
}

Status Backend::attention(const Tensor& qkv, const AttentionParams& p, Tensor& out) {
  CK_CHECK_T("attention", "qkv", qkv, 2);
  CK_CHECK_T("attention", "output", out, 2);
  if (p.heads < 1 || p.head_dim < 1 || p.grid_h < 1 || p.grid_w < 1 || p.window_h < 1 || p.window_w < 1) {
    return err(ErrorCode::kInvalidArgument, "attention: heads, head_dim, grid and window must be positive");
  }
  if (p.grid_h % p.window_h != 0 || p.grid_w % p.window_w != 0) {
    return err(ErrorCode::kInvalidArgument, "attention: window ", p.window_h, "x", p.window_w,
               " does not tile the token grid ", p.grid_h, "x", p.grid_w);
  }
  if (p.q_pool && (p.window_h % 2 != 0 || p.window_w % 2 != 0)) {
    return err(ErrorCode::kInvalidArgument, "attention: q pooling needs even window sides");
  }
  if (p.bf16 && (p.window_h != p.grid_h || p.window_w != p.grid_w)) {
    return err(ErrorCode::kUnsupported, "attention: bf16 precision is for global attention only (window ", p.window_h,
               "x", p.window_w, ", grid ", p.grid_h, "x", p.grid_w, ")");
  }
  const int64_t dim = static_cast<int64_t>(p.heads) * p.head_dim;
  CK_TRY(check_shape("attention", "qkv", qkv, {static_cast<int64_t>(p.grid_h) * p.grid_w, 3 * dim}));
  const int64_t out_tokens = p.q_pool ? static_cast<int64_t>(p.grid_h / 2) * (p.grid_w / 2)
                                      : static_cast<int64_t>(p.grid_h) * p.grid_w;
  CK_TRY(check_shape("attention", "output", out, {out_tokens, dim}));
  return do_attention(qkv, p, out);
}

Status Backend::max_pool2x2(const Tensor& x, Tensor& y) {
  CK_CHECK_T("max_pool2x2", "input", x, 4);
  CK_CHECK_T("max_pool2x2", "output", y, 4);
  if (x.size(1) % 2 != 0 || x.size(2) % 2 != 0) {
    return err(ErrorCode::kInvalidArgument, "max_pool2x2: grid ", x.size(1), "x", x.size(2), " is not even");
  }
  CK_TRY(check_shape("max_pool2x2", "output", y, {x.size(0), x.size(1) / 2, x.size(2) / 2, x.size(3)}));
  return do_max_pool2x2(x, y);
}

namespace {
Status check_resize(std::string_view backend, std::string_view op, const Tensor& x, const Tensor& y) {
  CK_TRY(check_tensor(backend, op, "input", x, 4));
  CK_TRY(check_tensor(backend, op, "output", y, 4));
  if (x.size(0) != y.size(0) || x.size(1) != y.size(1)) {
    return err(ErrorCode::kInvalidArgument, op, ": output ", shape_str(y.shape()), " must keep N and C of ",
               shape_str(x.shape()));
  }
  if (x.size(2) < 1 || x.size(3) < 1 || y.size(2) < 1 || y.size(3) < 1) {
    return err(ErrorCode::kInvalidArgument, op, ": empty image");
  }
  return ok_status();
}
}  // namespace

Status Backend::resize_bilinear(const Tensor& x, Tensor& y) {
  CK_CHECK_T("resize_bilinear", "input", x, 4);
  CK_CHECK_T("resize_bilinear", "output", y, 4);
  if (x.size(0) != y.size(0) || x.size(3) != y.size(3)) {
    return err(ErrorCode::kInvalidArgument, "resize_bilinear: output ", shape_str(y.shape()), " must keep N and C of ",
               shape_str(x.shape()), " (channels-last)");
  }
  if (x.size(1) < 1 || x.size(2) < 1 || y.size(1) < 1 || y.size(2) < 1) {
    return err(ErrorCode::kInvalidArgument, "resize_bilinear: empty image");
  }
  if (x.raw() == y.raw()) return err(ErrorCode::kInvalidArgument, "resize_bilinear: the input is the output");
  return do_resize_bilinear(x, y);
}

Status Backend::add_resized_bilinear(std::span<const Tensor* const> xs, Tensor& y, bool relu) {
  CK_CHECK_T("add_resized_bilinear", "output", y, 4);
  for (const Tensor* x : xs) {
    CK_CHECK_T("add_resized_bilinear", "input", *x, 4);
    if (x->size(0) != y.size(0) || x->size(3) != y.size(3) || x->size(1) < 1 || x->size(2) < 1) {
      return err(ErrorCode::kInvalidArgument, "add_resized_bilinear: input ", shape_str(x->shape()),
                 " does not resize to ", shape_str(y.shape()), " (channels-last, same N and C)");
    }
    if (x->raw() == y.raw()) return err(ErrorCode::kInvalidArgument, "add_resized_bilinear: an input is the output");
  }
  return do_add_resized_bilinear(xs, y, relu);
}

Status Backend::resize_bicubic(const Tensor& x, Tensor& y) {
  CK_TRY(check_resize(name(), "resize_bicubic", x, y));
  return do_resize_bicubic(x, y);
}

Status Backend::concat(std::span<const Tensor* const> xs, int axis, Tensor& y) {
  if (xs.empty()) return err(ErrorCode::kInvalidArgument, "concat: no inputs");
  CK_CHECK_T("concat", "output", y, -1);
  const int rank = xs[0]->dim();
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return err(ErrorCode::kInvalidArgument, "concat: axis out of range");
  Shape expected = xs[0]->shape();
  expected[static_cast<size_t>(axis)] = 0;
  for (const Tensor* t : xs) {
    const bool columns = rank == 2 && axis == 1 && t->dim() == 2 && t->strides()[1] == 1 && t->strides()[0] >= t->size(1);
    if (!columns) {
      CK_CHECK_T("concat", "input", *t, rank);
    } else if (!t->defined() || t->dtype() != DType::F32) {
      return err(ErrorCode::kInvalidArgument, "concat: an input is not an F32 tensor");
    }
    for (int d = 0; d < rank; ++d) {
      if (d != axis && t->size(d) != xs[0]->size(d)) {
        return err(ErrorCode::kInvalidArgument, "concat: input ", shape_str(t->shape()), " does not match ",
                   shape_str(xs[0]->shape()), " outside axis ", axis);
      }
    }
    expected[static_cast<size_t>(axis)] += t->size(axis);
  }
  CK_TRY(check_shape("concat", "output", y, expected));
  return do_concat(xs, axis, y);
}

Status Backend::add(const Tensor& a, const Tensor& b, Tensor& y) {
  CK_CHECK_T("add", "a", a, -1);
  CK_CHECK_T("add", "b", b, -1);
  CK_CHECK_T("add", "output", y, -1);
  CK_TRY(check_shape("add", "b", b, a.shape()));
  CK_TRY(check_shape("add", "output", y, a.shape()));
  return do_add(a, b, y);
}

Status Backend::scale(const Tensor& x, float factor, Tensor& y) {
  CK_CHECK_T("scale", "input", x, -1);
  CK_CHECK_T("scale", "output", y, -1);
  CK_TRY(check_shape("scale", "output", y, x.shape()));
  return do_scale(x, factor, y);
}

Status Backend::transpose(const Tensor& x, Tensor& y) {
  CK_CHECK_T("transpose", "input", x, 2);
  CK_CHECK_T("transpose", "output", y, 2);
  CK_TRY(check_shape("transpose", "output", y, {x.size(1), x.size(0)}));
  return do_transpose(x, y);
}

// Default kernels: a backend that does not override an op reports it loudly.
Status Backend::do_linear(const Tensor&, const Tensor&, const Tensor*, Tensor&) { return unsupported("linear"); }
Status Backend::do_conv2d(const Tensor&, const Tensor&, const Tensor*, const Conv2dParams&, Tensor&) {
  return unsupported("conv2d");
}
Status Backend::do_layer_norm(const Tensor&, const Tensor&, const Tensor&, float, Tensor&) {
  return unsupported("layer_norm");
}
Status Backend::do_group_norm(const Tensor&, int, const Tensor&, const Tensor&, float, Tensor&, Layout, bool,
                              const Tensor*, const GroupStats&) {
  return unsupported("group_norm");
}
Status Backend::do_group_stats(const Tensor&, int, Layout, GroupStats&) {
  return unsupported("group_stats");
}
Status Backend::do_unary(UnaryOp op, const Tensor&, Tensor&) { return unsupported(unary_op_name(op)); }
Status Backend::do_attention(const Tensor&, const AttentionParams&, Tensor&) { return unsupported("attention"); }
Status Backend::do_max_pool2x2(const Tensor&, Tensor&) { return unsupported("max_pool2x2"); }
Status Backend::do_resize_bilinear(const Tensor&, Tensor&) { return unsupported("resize_bilinear"); }
Status Backend::do_add_resized_bilinear(std::span<const Tensor* const>, Tensor&, bool) {
  return unsupported("add_resized_bilinear");
}
Status Backend::do_resize_bicubic(const Tensor&, Tensor&) { return unsupported("resize_bicubic"); }
Status Backend::do_concat(std::span<const Tensor* const>, int, Tensor&) { return unsupported("concat"); }
Status Backend::do_add(const Tensor&, const Tensor&, Tensor&) { return unsupported("add"); }
Status Backend::do_scale(const Tensor&, float, Tensor&) { return unsupported("scale"); }
Status Backend::do_transpose(const Tensor&, Tensor&) { return unsupported("transpose"); }

std::unique_ptr<Backend> make_backend(BackendKind kind) {
  return kind == BackendKind::kReference ? make_reference_backend() : make_cpu_backend();
}

}  // namespace ck
