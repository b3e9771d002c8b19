// Element functions written so that the compiler vectorises them inside `omp simd` loops
// (the C library's expf is a scalar call that the attention softmax would spend most of its
// time in).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace ck::cpu {

// e^x for x <= 88, within 2 ulp: Cody-Waite reduction x = n ln2 + r, a degree-6 polynomial
// for e^r on |r| <= ln2/2 (Cephes' expf), 2^n from the exponent bits. Inputs below -87.3
// give about 1e-38 instead of 0, which no softmax can tell apart.
#pragma omp declare simd
inline float fast_exp(float x) {
  x = std::fmax(x, -87.3f);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r2 + r + 1.0f;
  const auto bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
  return er * std::bit_cast<float>(bits);
}

}  // namespace ck::cpu
