// Tensors: logical shapes and strides in PyTorch order (NCHW for images, (N, C) for tokens),
// element strides, f32/f16/bf16 storage. Physical layout choices beyond strides belong to
// backends. A tensor either owns 64-byte aligned memory or views memory kept alive by an
// owner (a memory-mapped file, a caller's buffer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "corridorkey/status.hpp"

namespace ck {

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& shape);  // "(1, 4, 512, 512)"
int64_t shape_numel(const Shape& shape);
std::vector<int64_t> contiguous_strides(const Shape& shape);

inline constexpr size_t kTensorAlignment = 64;

class Tensor {
 public:
  Tensor() = default;

  // Allocates uninitialised, aligned storage. Fails with kOutOfMemory instead of throwing.
  static Result<Tensor> empty(const Shape& shape, DType dtype = DType::F32);
  static Result<Tensor> zeros(const Shape& shape, DType dtype = DType::F32);
  // Views external memory; `owner` keeps it alive (may be null when the caller guarantees it).
  static Tensor wrap(void* data, const Shape& shape, DType dtype, std::shared_ptr<void> owner,
                     std::vector<int64_t> strides = {});

  bool defined() const { return data_ != nullptr || numel() == 0; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const std::vector<int64_t>& strides() const { return strides_; }
  int dim() const { return static_cast<int>(shape_.size()); }
  int64_t size(int d) const { return shape_[static_cast<size_t>(d < 0 ? d + dim() : d)]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool is_contiguous() const;

  void* raw() const { return data_; }
  template <class T>
  T* data() const {
    return static_cast<T*>(data_);
  }
  const std::shared_ptr<void>& owner() const { return owner_; }

  // Views sharing storage.
  Result<Tensor> reshape(const Shape& shape) const;  // contiguous tensors only
  Result<Tensor> permute(const std::vector<int>& dims) const;
  // Copies.
  Result<Tensor> contiguous() const;
  Result<Tensor> to(DType dtype) const;  // always a new contiguous tensor
  Result<Tensor> clone() const { return to(dtype_); }

 private:
  void* data_ = nullptr;
  std::shared_ptr<void> owner_;
  DType dtype_ = DType::F32;
  Shape shape_;
  std::vector<int64_t> strides_;
};

}  // namespace ck
