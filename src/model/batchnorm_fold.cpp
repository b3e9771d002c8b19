#include "model/batchnorm_fold.hpp"

#include <cmath>

namespace ck {

Result<FoldedConv> fold_batch_norm(const Tensor& weight, const Tensor* bias, const Tensor& mean, const Tensor& var,
                                   const Tensor& gamma, const Tensor& beta, float eps) {
  if (weight.dim() < 1 || weight.dtype() != DType::F32 || !weight.is_contiguous()) {
    return err(ErrorCode::kInvalidArgument, "fold_batch_norm: weight must be a contiguous F32 tensor");
  }
  const int64_t o = weight.size(0), per = weight.numel() / std::max<int64_t>(o, 1);
  for (const Tensor* t : {&mean, &var, &gamma, &beta}) {
    if (t->shape() != Shape{o} || t->dtype() != DType::F32) {
      return err(ErrorCode::kInvalidArgument, "fold_batch_norm: statistics must be F32 of shape (", o, ",)");
    }
  }
  if (bias && (bias->shape() != Shape{o} || bias->dtype() != DType::F32)) {
    return err(ErrorCode::kInvalidArgument, "fold_batch_norm: bias must be F32 of shape (", o, ",)");
  }
  CK_ASSIGN(Tensor w, Tensor::empty(weight.shape()));
  CK_ASSIGN(Tensor b, Tensor::empty({o}));
  for (int64_t c = 0; c < o; ++c) {
    const double s = gamma.data<float>()[c] / std::sqrt(static_cast<double>(var.data<float>()[c]) + eps);
    for (int64_t i = 0; i < per; ++i) w.data<float>()[c * per + i] = static_cast<float>(weight.data<float>()[c * per + i] * s);
    const double b0 = bias ? bias->data<float>()[c] : 0.0;
    b.data<float>()[c] = static_cast<float>((b0 - mean.data<float>()[c]) * s + beta.data<float>()[c]);
  }
  return FoldedConv{std::move(w), std::move(b)};
}

}  // namespace ck
