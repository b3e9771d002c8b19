// Size arithmetic on numbers read from files: every product, sum and conversion that could
// wrap is checked, so a crafted header becomes an error instead of a short buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ck {

inline std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::optional<int64_t> checked_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// The element count of a shape; nullopt for a negative dimension or a product past int64.
inline std::optional<int64_t> checked_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    const auto m = checked_mul(n, d);
    if (!m) return std::nullopt;
    n = *m;
  }
  return n;
}

// n elements of `element_size` bytes as a byte count that fits size_t and int64.
inline std::optional<size_t> checked_bytes(int64_t n, size_t element_size) {
  if (n < 0) return std::nullopt;
  const auto b = checked_mul(n, static_cast<int64_t>(element_size));
  if (!b) return std::nullopt;
  return static_cast<size_t>(*b);
}

}  // namespace ck
