// The backend interface: every op the network needs, on logical PyTorch-order shapes.
// Public entry points validate shapes and dtypes once (identically for every backend), then
// dispatch to the backend's kernel. A backend that lacks an op or dtype returns kUnsupported
// naming both; nothing silently falls back to another backend.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "corridorkey/status.hpp"
#include "core/tensor.hpp"

namespace ck {

// Element-wise functions the network applies on their own (ReLUs are fused into the ops
// that precede them).
enum class UnaryOp { kGelu, kSigmoid };
std::string_view unary_op_name(UnaryOp op);

// Memory layout of image-like tensors. NCHW maps have shape (N, C, H, W); NHWC maps have
// shape (N, H, W, C) (channels innermost: what the CPU's convolution kernels read without
// conversion, so the full-resolution refiner runs in it).
enum class Layout { kNCHW, kNHWC };

struct Conv2dParams {
  int stride = 1;
  int padding = 0;  // symmetric, zero padding
  int dilation = 1;
  Layout layout = Layout::kNCHW;
};

// What a linear layer does to its result before storing it: y = gelu?(x @ w^T + bias) +
// residual. Fused into the GEMM where the backend can (no extra pass over y), otherwise
// applied after it; the residual (same shape as y, never y itself) is only read.
struct LinearEpilogue {
  bool gelu = false;               // exact (erf) GELU
  const Tensor* residual = nullptr;
};

// GroupNorm's statistics of a map, per (sample, group), sample-major: what a GroupNorm
// normalises with. A backend object: made by group_stats, or by a convolution as it writes
// its output, and read by group_norm or by the next convolution; model code only passes it
// on. Backends computing in host memory keep the values in `host`; a device backend keeps
// them in its own memory behind `device` (its own type), never copied to the host.
struct GroupStats {
  int groups = 0;
  struct HostValues {
    std::vector<double> mean, var;  // var: the biased variance (divided by the count)
  } host;
  std::shared_ptr<void> device;
};

// N, C and H*W of a map in either layout.
struct MapDims {
  int64_t n, c, hw;
};
MapDims map_dims(const Tensor& x, Layout layout);

// A GroupNorm (then an optional ReLU), with statistics computed earlier, that a convolution
// applies to its input as it reads it; zero padding applies to the normalised input.
struct ConvInputNorm {
  const GroupStats* stats = nullptr;
  const Tensor* weight = nullptr;  // (C)
  const Tensor* bias = nullptr;    // (C)
  float eps = 1e-5f;
  bool relu = false;
};

// What a convolution does besides convolving: normalise its input on the way in, and/or
// take its output's GroupNorm statistics on the way out (`output_groups` groups). Fused into
// the kernel's own copies where the backend can (the CPU's Winograd path), otherwise run as
// passes of their own.
struct ConvFusion {
  const ConvInputNorm* input_norm = nullptr;
  GroupStats* output_stats = nullptr;
  int output_groups = 0;
  // y = output_scale * conv(x): the refiner's refiner_scale, a parameter of the op rather
  // than a per-frame copy of the weights. Not combined with output_stats.
  float output_scale = 1.0f;
};

// The output shape of conv2d: x (N, C, H, W), or (N, H, W, C) with p.layout NHWC, and
// w (O, C, kh, kw) -> (N, O, Ho, Wo) or (N, Ho, Wo, O).
Shape conv2d_output_shape(const Shape& x, const Shape& w, const Conv2dParams& p);

// Kinds of op, for capability queries (Backend::supports).
enum class OpKind { kLinear, kConv2d, kAttention, kNorm, kResize, kElementwise };
std::string_view op_kind_name(OpKind op);

// Hiera mask-unit attention over tokens kept in raster order.
// qkv: (grid_h * grid_w, 3 * heads * head_dim), columns laid out [q|k|v][head][head_dim].
// Keys and values of a query are the tokens of its aligned window of window_h x window_w
// tokens (window == grid for global attention). With q_pool, queries are the 2x2 max-pool of
// q over the grid (per head), so the output grid is (grid_h/2, grid_w/2).
// out: (out_h * out_w, heads * head_dim), raster order, heads concatenated.
struct AttentionParams {
  int heads = 1;
  int head_dim = 1;
  int grid_h = 1, grid_w = 1;
  int window_h = 1, window_w = 1;
  bool q_pool = false;
  float scale = 1.0f;
  // bf16 precision (global attention only: window == grid): queries (pooled, then scaled),
  // keys and values are rounded to bf16, and so are the weights exp(score - row max) before
  // they multiply the values; each output row is then divided by the (unrounded) sum of its
  // weights. Sums stay fp32.
  bool bf16 = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // Tensor storage lives where the backend computes. The network's weights are prepared on
  // the host at load (folded, resized, converted) and uploaded once; activations are
  // allocated by the backend; outputs are downloaded. Backends computing in host memory
  // (cpu, ref) allocate from the calling thread's buffer pool and share bytes on upload and
  // download.
  virtual bool host_memory() const { return true; }
  virtual Result<Tensor> allocate(const Shape& shape, DType dtype = DType::F32);
  virtual Result<Tensor> upload(const Tensor& host);
  virtual Result<Tensor> download(const Tensor& t);
  // Waits until queued work is done (ops of host backends are done when they return).
  virtual Status synchronize() { return ok_status(); }

  // Whether this backend runs `op` with `dtype` weights/operands here: ok, or kUnsupported
  // saying why (an op or dtype it lacks, a CPU feature missing). F32 is always supported.
  virtual Status supports(OpKind op, DType dtype) const;

  // Weights of linear and conv2d may be F32 or BF16; everything else is F32. With BF16
  // weights the input is rounded to bf16 as well and the products are accumulated in fp32
  // (the bf16 precision mode: twice the GEMM rate on CPUs with AVX512-BF16).
  //
  // y (M, N) = x (M, K) @ w^T, w (N, K) in PyTorch Linear layout; bias (N) optional.
  Status linear(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y, const LinearEpilogue& epilogue = {});
  // x (N, C, H, W), w (O, C, kh, kw), bias (O) optional -> y (N, O, Ho, Wo); with
  // p.layout NHWC, x (N, H, W, C) -> y (N, Ho, Wo, O) and w still (O, C, kh, kw).
  // y may be x itself when the output has x's shape (in place: no second full-size map).
  Status conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p, Tensor& y,
                const ConvFusion& fusion = {});
  // Normalises over the last dim of x (M, C); weight/bias (C).
  Status layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y);
  // x (N, C, H, W), or (N, H, W, C) with layout NHWC; statistics per (sample, group) over
  // C/groups channels and the whole image. y may alias x. With `residual` (x's shape),
  // y = norm(x) + residual; with `relu`, the ReLU follows: the refiner's GroupNorm, residual
  // add and ReLU in one pass over memory. With `stats` (from group_stats or a fused
  // convolution), x is not read for statistics.
  Status group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, Tensor& y,
                    Layout layout = Layout::kNCHW, bool relu = false, const Tensor* residual = nullptr,
                    const GroupStats* stats = nullptr);
  // GroupNorm's statistics of x (layout as group_norm's).
  Status group_stats(const Tensor& x, int groups, Layout layout, GroupStats& stats);
  Status unary(UnaryOp op, const Tensor& x, Tensor& y);  // y may alias x
  Status attention(const Tensor& qkv, const AttentionParams& p, Tensor& out);
  // x (B, H, W, C) channels-last grid (Hiera tokens) -> y (B, H/2, W/2, C).
  Status max_pool2x2(const Tensor& x, Tensor& y);
  // Channels-last maps x (N, h, w, C) -> y (N, H, W, C): bilinear, half-pixel centres
  // (align_corners=False), no antialias.
  Status resize_bilinear(const Tensor& x, Tensor& y);
  // Channels-last maps (N, H, W, C): y = [relu](y + up(xs[0]) + up(xs[1]) + ...), each x
  // (N, h_i, w_i, C) resized bilinearly to y's size as resize_bilinear does, summed in order,
  // in one pass over y (the decoders' multi-scale sum).
  Status add_resized_bilinear(std::span<const Tensor* const> xs, Tensor& y, bool relu);
  Status resize_bicubic(const Tensor& x, Tensor& y);  // NCHW; A = -0.75, border replicated
  // Concatenates along `axis`; all other dims equal. Inputs are contiguous, or, joined along
  // the last axis of 2-D tensors, columns of a wider one (the plate's colour out of the
  // network's input).
  Status concat(std::span<const Tensor* const> xs, int axis, Tensor& y);
  Status add(const Tensor& a, const Tensor& b, Tensor& y);  // same shapes; y may alias
  Status scale(const Tensor& x, float factor, Tensor& y);  // y = factor * x; y may alias
  // y (B, A) = x (A, B)^T: the layout change between tokens (H*W, C) and NCHW maps (C, H*W).
  Status transpose(const Tensor& x, Tensor& y);


  // Number of CPU threads kernels may use (0 = library default).
  virtual void set_num_threads(int n) { num_threads_ = n; }
  int num_threads() const { return num_threads_; }

 protected:
  Status unsupported(std::string_view op) const;

  virtual Status do_linear(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y);
  // Backends whose GEMM applies the epilogue itself override this; by default linear runs
  // do_linear, then the GELU and the residual add as ops of their own.
  virtual Status do_linear_fused(const Tensor& x, const Tensor& w, const Tensor* bias, Tensor& y,
                                 const LinearEpilogue& epilogue);
  virtual Status do_conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p, Tensor& y);
  // By default: group_norm into a temporary (or in place when y is x), do_conv2d, group_stats.
  virtual Status do_conv2d_fused(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p,
                                 Tensor& y, const ConvFusion& fusion);
  virtual Status do_layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y);
  virtual Status do_group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps,
                               Tensor& y, Layout layout, bool relu, const Tensor* residual, const GroupStats& stats);
  virtual Status do_group_stats(const Tensor& x, int groups, Layout layout, GroupStats& stats);
  virtual Status do_unary(UnaryOp op, const Tensor& x, Tensor& y);
  virtual Status do_attention(const Tensor& qkv, const AttentionParams& p, Tensor& out);
  virtual Status do_max_pool2x2(const Tensor& x, Tensor& y);
  virtual Status do_resize_bilinear(const Tensor& x, Tensor& y);
  virtual Status do_add_resized_bilinear(std::span<const Tensor* const> xs, Tensor& y, bool relu);
  virtual Status do_resize_bicubic(const Tensor& x, Tensor& y);
  virtual Status do_concat(std::span<const Tensor* const> xs, int axis, Tensor& y);
  virtual Status do_add(const Tensor& a, const Tensor& b, Tensor& y);
  virtual Status do_scale(const Tensor& x, float factor, Tensor& y);
  virtual Status do_transpose(const Tensor& x, Tensor& y);

 private:
  int num_threads_ = 0;
};

enum class BackendKind { kReference, kCpu };
// The reference backend: plain loops, double accumulation, the oracle for optimised kernels.
std::unique_ptr<Backend> make_reference_backend();
// The optimised CPU backend (oneDNN GEMM/convolution, vectorised kernels, OpenMP threads) at
// the CPU's instruction-set level, or why this CPU cannot run it (backends/cpu/cpu_level.hpp).
Result<std::unique_ptr<Backend>> create_cpu_backend();
// The same, for tests and tools that have checked the CPU: null where create_cpu_backend fails.
std::unique_ptr<Backend> make_cpu_backend();
std::unique_ptr<Backend> make_backend(BackendKind kind);

}  // namespace ck
