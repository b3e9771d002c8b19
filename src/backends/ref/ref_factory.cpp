#include "backends/ref/ref_backend.hpp"

namespace ck {
std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ref::ReferenceBackend>(); }

namespace ref {

Status ReferenceBackend::supports(OpKind op, DType dtype) const {
  const bool bf16_op = op == OpKind::kLinear || op == OpKind::kConv2d || op == OpKind::kAttention;
  if (dtype == DType::BF16 && bf16_op) return ok_status();
  return Backend::supports(op, dtype);
}

}  // namespace ref
}  // namespace ck
