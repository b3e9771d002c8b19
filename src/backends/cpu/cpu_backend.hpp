// The optimised CPU backend: oneDNN for GEMM and most convolutions (measured faster than
// anything hand-written here), our own Winograd F(4x4, 3x3) kernel for the refiner's 3x3
// convolutions (straight on the channels-last map, GroupNorm fused in), vectorisable loops
// with OpenMP for norms, element-wise ops and resizes, a streaming (flash-style) fp32
// attention whose memory does not grow with the token count, and a bf16 global attention on
// our own AVX512-BF16 register GEMM (bf16_pair_gemm.hpp).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "backends/backend.hpp"

namespace ck::cpu {

class DnnlContext;  // oneDNN engine, stream and primitive cache (cpu_dnnl.cpp)

class CpuBackend final : public Backend {
 public:
  CpuBackend();
  ~CpuBackend() override;
  std::string_view name() const override { return "cpu"; }
  void set_num_threads(int n) override;
  // bf16 GEMMs and attention need AVX512-BF16; without it bf16 would be slower than fp32.
  bool bf16_supported() const;
  Status supports(OpKind op, DType dtype) const override;
  // Largest share of a convolution's input and output (bytes) converted to oneDNN's layout at
  // once; bigger maps run in bands of rows. Exposed so tests can force banding on small maps.
  void set_conv_band_bytes(size_t bytes) { conv_band_bytes_ = bytes; }
  // fp32 3x3 NHWC convolutions with padding equal to the dilation, channels in multiples of
  // 16, go through our Winograd F(4x4) kernel; on by default. Off, they take oneDNN's direct
  // kernel.
  void set_winograd(bool enabled) { winograd_enabled_ = enabled; }

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

  std::unique_ptr<DnnlContext> dnnl_;
  size_t conv_band_bytes_ = size_t{64} << 20;
  bool winograd_enabled_ = true;
  std::unique_ptr<float[]> scratch_;
  size_t scratch_size_ = 0;
  std::vector<char> attention_workspace_;  // bf16 attention's packed operands and job buffers, kept across calls
};

// Thread count the OpenMP loops of this backend use.
int cpu_threads();

// GroupNorm as a per-channel affine map for one sample: y = x * scale[c] + offset[c].
void group_norm_affine(const GroupStats& stats, int64_t sample, const float* weight, const float* bias, float eps,
                       int64_t c, float* scale, float* offset);

}  // namespace ck::cpu
