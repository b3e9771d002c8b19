// The building blocks the network is written with: weights taken from a checkpoint by their
// PyTorch names, and the layers that run them on a backend. Weights are read and prepared in
// host memory, then uploaded to the backend once (upload_to); activations are fp32,
// contiguous and allocated by the backend; "tokens" are (H*W, C) in raster order, "maps" are
// NCHW with N = 1.
#pragma once

#include <string>

#include "backends/backend.hpp"
#include "weights/state_dict.hpp"

namespace ck {

// Reads weights by name as contiguous fp32 tensors (converting f16/bf16 and strided storage).
class WeightReader {
 public:
  explicit WeightReader(const StateDict& sd) : sd_(sd) {}
  Result<Tensor> get(const std::string& name, const Shape& expected_shape) const;
  // The stored shape, for tensors whose size the checkpoint decides (pos_embed's grid).
  Result<Shape> shape_of(const std::string& name) const;

 private:
  const StateDict& sd_;
};

// An activation (fp32) in the backend's memory.
Result<Tensor> new_tensor(Backend& be, const Shape& shape);
// A tensor in host memory, for weights being prepared at load (then uploaded).
Result<Tensor> host_tensor(const Shape& shape);

// nn.Linear: y (M, out) = x (M, in) @ W^T + b.
struct Linear {
  Tensor weight;  // (out, in)
  Tensor bias;    // (out) or undefined
  static Result<Linear> load(const WeightReader& w, const std::string& prefix, int64_t in, int64_t out,
                             bool bias = true);
  Result<Tensor> operator()(Backend& be, const Tensor& x, const LinearEpilogue& epilogue = {}) const;
  // Stores the weight as bf16 (the bias stays fp32): the layer then runs in bf16 precision.
  Status to_bf16();
  Status upload_to(Backend& be);
};

// nn.LayerNorm over the last dim of (M, C).
struct LayerNorm {
  Tensor weight, bias;  // (C)
  float eps = 1e-6f;
  static Result<LayerNorm> load(const WeightReader& w, const std::string& prefix, int64_t c, float eps);
  Result<Tensor> operator()(Backend& be, const Tensor& x) const;
  Status upload_to(Backend& be);
};

// nn.Conv2d with square kernels, on NCHW maps or (params.layout) NHWC ones.
struct Conv2d {
  Tensor weight;  // (out, in, k, k)
  Tensor bias;    // (out) or undefined
  Conv2dParams params;
  static Result<Conv2d> load(const WeightReader& w, const std::string& prefix, int64_t in, int64_t out, int k,
                             Conv2dParams params, bool bias = true);
  // `fusion`: a GroupNorm of the input and/or the output's statistics, done by the
  // convolution itself (see ConvFusion in backends/backend.hpp).
  Result<Tensor> operator()(Backend& be, const Tensor& x, const ConvFusion& fusion = {}) const;
  // Overwrites x with the result (shape-preserving convolutions only).
  Status in_place(Backend& be, Tensor& x, const ConvFusion& fusion = {}) const;
  Status upload_to(Backend& be);
};

// nn.GroupNorm on NCHW or NHWC maps, statistics over the whole image.
struct GroupNorm {
  Tensor weight, bias;  // (C)
  int groups = 1;
  float eps = 1e-5f;
  Layout layout = Layout::kNCHW;
  static Result<GroupNorm> load(const WeightReader& w, const std::string& prefix, int64_t c, int groups, float eps,
                                Layout layout = Layout::kNCHW);
  // In place: at S = 2048 a 64-channel map is 1 GiB, so the refiner does not copy it.
  // `residual` is added and `relu` applied in the same pass: x = [relu](norm(x) [+ residual]).
  // With `stats` (taken by the convolution that wrote x), x is read once, not twice.
  Status in_place(Backend& be, Tensor& x, bool relu = false, const Tensor* residual = nullptr,
                  const GroupStats* stats = nullptr) const;
  // This norm (and the ReLU) as the input step of the next convolution, with x's statistics.
  ConvInputNorm as_conv_input(const GroupStats& stats, bool relu) const {
    return {&stats, &weight, &bias, eps, relu};
  }
  Status upload_to(Backend& be);
};

// Replaces a prepared host tensor by the backend's copy (nothing for an undefined one).
Status upload_weight(Backend& be, Tensor& t);

// Layout changes: tokens (H*W, C) <-> map (1, C, H, W).
Result<Tensor> tokens_to_map(Backend& be, const Tensor& tokens, int64_t h, int64_t w);
Result<Tensor> map_to_tokens(Backend& be, const Tensor& map);

// Channels [c0, c0 + n) of an NCHW map with N = 1: a view, no copy.
Tensor channel_slice(const Tensor& map, int64_t c0, int64_t n);
// Columns [c0, c0 + n) of tokens (M, C): a view with C-float rows, no copy.
Tensor column_slice(const Tensor& tokens, int64_t c0, int64_t n);
// Rows [r0, r0 + n) of contiguous tokens (M, C): a view, no copy.
Tensor token_rows(const Tensor& tokens, int64_t r0, int64_t n);
// Image rows [r0, r0 + n) of a contiguous channels-last map (1, H, W, C): a view (1, n, W, C).
Tensor map_rows(const Tensor& nhwc, int64_t r0, int64_t n);

Result<Tensor> apply_unary(Backend& be, UnaryOp op, const Tensor& x);  // new tensor
Result<Tensor> add_tensors(Backend& be, const Tensor& a, const Tensor& b);  // new tensor

}  // namespace ck
