// The reference backend: the plainest correct loops, accumulating in double. It is slow by
// design and exists to judge the optimised kernels.
#pragma once

#include "backends/backend.hpp"

namespace ck::ref {

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }
  // bf16 weights (linear, conv2d) and attention are emulated exactly: the tests' oracle.
  Status supports(OpKind op, DType dtype) const override;

 protected:
  Status do_linear(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) override;
  Status do_conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p, Tensor& y) override;
  Status do_layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y) override;
  Status do_group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps,
                       Tensor& y, Layout layout, bool relu, const Tensor* residual,
                       const GroupStats& stats) override;
  Status do_group_stats(const Tensor& x, int groups, Layout layout, GroupStats& stats) override;
  Status do_unary(UnaryOp op, const Tensor& x, Tensor& y) override;
  Status do_attention(const Tensor& qkv, const AttentionParams& p, Tensor& out) override;
  Status do_max_pool2x2(const Tensor& x, Tensor& y) override;
  Status do_resize_bilinear(const Tensor& x, Tensor& y) override;
  Status do_add_resized_bilinear(std::span<const Tensor* const> xs, Tensor& y, bool relu) override;
  Status do_resize_bicubic(const Tensor& x, Tensor& y) override;
  Status do_concat(std::span<const Tensor* const> xs, int axis, Tensor& y) override;
  Status do_add(const Tensor& a, const Tensor& b, Tensor& y) override;
  Status do_scale(const Tensor& x, float factor, Tensor& y) override;
  Status do_transpose(const Tensor& x, Tensor& y) override;
};

}  // namespace ck::ref
