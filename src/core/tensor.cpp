#include "core/tensor.hpp"

#include "core/buffer_pool.hpp"
#include "core/checked_math.hpp"
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace ck {

std::string shape_str(const Shape& shape) {
  std::ostringstream os;
  os << '(';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) os << ',';
  os << ')';
  return os.str();
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<int64_t> contiguous_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

Result<Tensor> Tensor::empty(const Shape& shape, DType dtype) {
  for (int64_t d : shape) {
    if (d < 0) return err(ErrorCode::kInvalidArgument, "negative dimension in shape ", shape_str(shape));
  }
  // Checked: shapes can come from files, and a wrapped product would allocate a short buffer.
  const auto numel = checked_numel(shape);
  const auto byte_count = numel ? checked_bytes(*numel, dtype_size(dtype)) : std::nullopt;
  if (!byte_count || *byte_count > (size_t{1} << 62)) {
    return err(ErrorCode::kOutOfMemory, "tensor ", shape_str(shape), " of ", dtype_name(dtype),
               " is too large to allocate");
  }
  const size_t bytes = *byte_count;
  const size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  const bool pooled = rounded >= BufferPool::kMinBytes;
  const std::shared_ptr<BufferPool>& pool = BufferPool::current();
  void* p = pooled ? pool->acquire(rounded)
                   : std::aligned_alloc(kTensorAlignment, rounded == 0 ? kTensorAlignment : rounded);
  if (p == nullptr) {
    return err(ErrorCode::kOutOfMemory, "cannot allocate ", bytes, " bytes for tensor ", shape_str(shape));
  }
  Tensor t;
  t.data_ = p;
  if (pooled) {
    // The buffer keeps its pool alive: it goes back where it came from.
    t.owner_ = std::shared_ptr<void>(p, [pool, rounded](void* q) { pool->release(q, rounded); });
  } else {
    t.owner_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  }
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.strides_ = contiguous_strides(shape);
  return t;
}

Result<Tensor> Tensor::zeros(const Shape& shape, DType dtype) {
  CK_ASSIGN(Tensor t, empty(shape, dtype));
  std::memset(t.raw(), 0, t.nbytes());
  return t;
}

Tensor Tensor::wrap(void* data, const Shape& shape, DType dtype, std::shared_ptr<void> owner,
                    std::vector<int64_t> strides) {
  Tensor t;
  t.data_ = data;
  t.owner_ = std::move(owner);
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.strides_ = strides.empty() ? contiguous_strides(shape) : std::move(strides);
  return t;
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] != 1 && strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

Result<Tensor> Tensor::reshape(const Shape& shape) const {
  if (shape_numel(shape) != numel()) {
    return err(ErrorCode::kInvalidArgument, "cannot reshape ", shape_str(shape_), " to ", shape_str(shape));
  }
  if (!is_contiguous()) return err(ErrorCode::kInvalidArgument, "reshape needs a contiguous tensor");
  Tensor t = *this;
  t.shape_ = shape;
  t.strides_ = contiguous_strides(shape);
  return t;
}

Result<Tensor> Tensor::permute(const std::vector<int>& dims) const {
  if (dims.size() != shape_.size()) {
    return err(ErrorCode::kInvalidArgument, "permute of a ", dim(), "-d tensor needs ", dim(), " dims");
  }
  std::vector<bool> seen(dims.size(), false);
  Tensor t = *this;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int d = dims[i];
    if (d < 0 || d >= dim() || seen[static_cast<size_t>(d)]) {
      return err(ErrorCode::kInvalidArgument, "permute dims are not a permutation");
    }
    seen[static_cast<size_t>(d)] = true;
    t.shape_[i] = shape_[static_cast<size_t>(d)];
    t.strides_[i] = strides_[static_cast<size_t>(d)];
  }
  return t;
}

namespace {

// Visits every element of a strided tensor in logical (row-major) order.
template <class Fn>
void for_each_offset(const Shape& shape, const std::vector<int64_t>& strides, Fn&& fn) {
  const int64_t n = shape_numel(shape);
  std::vector<int64_t> idx(shape.size(), 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    fn(i, off);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

}  // namespace

Result<Tensor> Tensor::to(DType dtype) const {
  CK_ASSIGN(Tensor out, empty(shape_, dtype));
  if (is_contiguous()) {
    convert_elements(data_, dtype_, out.raw(), dtype, static_cast<size_t>(numel()));
    return out;
  }
  const size_t es = dtype_size(dtype_);
  const auto* src = static_cast<const uint8_t*>(data_);
  for_each_offset(shape_, strides_, [&](int64_t i, int64_t off) {
    convert_elements(src + off * static_cast<int64_t>(es), dtype_, static_cast<uint8_t*>(out.raw()) + i * static_cast<int64_t>(dtype_size(dtype)), dtype, 1);
  });
  return out;
}

Result<Tensor> Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return to(dtype_);
}

}  // namespace ck
