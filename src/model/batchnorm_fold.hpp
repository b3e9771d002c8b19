// Eval-mode BatchNorm folded into the convolution (or linear) before it:
// bn(conv(x)) = conv'(x) with w'[o] = w[o] * s[o], b'[o] = (b[o] - mean[o]) * s[o] + beta[o],
// s[o] = gamma[o] / sqrt(var[o] + eps).
#pragma once

#include <utility>

#include "core/tensor.hpp"

namespace ck {

struct FoldedConv {
  Tensor weight;  // same shape as the input weight
  Tensor bias;    // (O)
};

// weight (O, ...) F32; bias may be null (a conv without bias); statistics (O).
Result<FoldedConv> fold_batch_norm(const Tensor& weight, const Tensor* bias, const Tensor& mean, const Tensor& var,
                                   const Tensor& gamma, const Tensor& beta, float eps);

}  // namespace ck
