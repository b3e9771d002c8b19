// Element types of tensors and the conversions between them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ck {

// F32/F16/BF16 are the storage types of weights and activations; I64 exists only so that
// checkpoint scalars such as BatchNorm's num_batches_tracked can be read and then dropped.
enum class DType : uint8_t { F32, F16, BF16, I64 };

size_t dtype_size(DType dt);
std::string_view dtype_name(DType dt);  // "F32", "F16", "BF16", "I64" (safetensors spelling)
std::optional<DType> dtype_from_name(std::string_view name);

// IEEE binary16 and bfloat16 conversions, round-to-nearest-even, NaN preserved as quiet NaN.
uint16_t f32_to_f16(float f);
float f16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);
float bf16_to_f32(uint16_t b);

// Converts n elements between any two float dtypes (I64 only to/from itself).
void convert_elements(const void* src, DType src_dt, void* dst, DType dst_dt, size_t n);

}  // namespace ck
