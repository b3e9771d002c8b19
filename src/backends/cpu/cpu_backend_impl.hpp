// One instruction-set level's build of the CPU backend (cpu_backend.hpp, cpu_isa.hpp):
// included only by the files compiled once per level.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "backends/cpu/cpu_backend.hpp"
#include "backends/cpu/cpu_isa.hpp"

namespace ck::cpu {
// This level's entry point, called by the factory (cpu_factory.cpp).
std::unique_ptr<CpuBackend> CK_CPU_ISA_FACTORY(CpuLevel level);
}  // namespace ck::cpu

namespace ck::cpu::inline CK_CPU_ISA {

class DnnlContext;  // oneDNN engine, stream and primitive cache (cpu_dnnl.cpp)

class CpuBackendImpl final : public CpuBackend {
 public:
  explicit CpuBackendImpl(CpuLevel level);
  ~CpuBackendImpl() override;
  CpuLevel level() const override { return level_; }
  void set_num_threads(int n) override;
  bool bf16_supported() const override;
  Status supports(OpKind op, DType dtype) const override;
  void set_conv_band_bytes(size_t bytes) override { conv_band_bytes_ = bytes; }
  void set_winograd(bool enabled) override { winograd_enabled_ = enabled; }

 protected:
  Status do_linear(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y) override;
  Status do_conv2d_fused(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p, Tensor& y,
                         const ConvFusion& fusion) override;
  Status do_linear_fused(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y,
                         const LinearEpilogue& epilogue) override;
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

 private:
  // A buffer of at least `bytes` bytes, float-aligned and reused across calls (in-place
  // convolution bands, inputs rounded to bf16).
  Result<void*> scratch(size_t bytes);
  Status conv2d_nhwc(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p, Tensor& y);
  Status global_attention_bf16(const Tensor& qkv, const AttentionParams& p, Tensor& out);
  static bool pointwise_few_outputs_applies(const Tensor& x, const Tensor& w, const Conv2dParams& p);
  Status conv2d_nhwc_pointwise_few_outputs(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y);
  // The Winograd path's result, or nothing when it does not apply: the caller then takes
  // another path.
  std::optional<Status> try_winograd(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                     Tensor& y, const ConvFusion* fusion);
  bool winograd_applies(const Tensor& x, const Tensor& w, const Conv2dParams& p) const;
  Status conv2d_nhwc_winograd(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p, Tensor& y,
                              const ConvFusion* fusion = nullptr);

  CpuLevel level_;
  std::unique_ptr<DnnlContext> dnnl_;
  size_t conv_band_bytes_ = size_t{64} << 20;
  bool winograd_enabled_ = true;
  std::unique_ptr<float[]> scratch_;
  size_t scratch_size_ = 0;
  std::vector<char> attention_workspace_;  // bf16 attention's packed operands and job buffers, kept across calls
};

// GroupNorm as a per-channel affine map for one sample: y = x * scale[c] + offset[c].
void group_norm_affine(const GroupStats& stats, int64_t sample, const float* weight, const float* bias, float eps,
                       int64_t c, float* scale, float* offset);

}  // namespace ck::cpu::inline CK_CPU_ISA
