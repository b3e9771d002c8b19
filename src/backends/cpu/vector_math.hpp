// Element functions written so that the compiler vectorises them inside `omp simd` loops
// (the C library's expf is a scalar call that the attention softmax would spend most of its
// time in).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "backends/cpu/cpu_isa.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

// One register of floats (16 with AVX-512, 8 with AVX2) and the matching integers, for loops
// that GCC will not vectorise well from element-wise code. Wider than the registers, GCC
// would split every operation through the stack.
#ifdef __AVX512F__
inline constexpr int kLanes = 16;
#else
inline constexpr int kLanes = 8;
#endif
using Lanes = float __attribute__((vector_size(kLanes * sizeof(float))));
using IntLanes = int32_t __attribute__((vector_size(kLanes * sizeof(int32_t))));

// e^x for x <= 88, within 2 ulp: Cody-Waite reduction x = n ln2 + r, a degree-6 polynomial
// for e^r on |r| <= ln2/2 (Cephes' expf), 2^n from the exponent bits. n is rounded with the
// 1.5 * 2^23 trick, not floor(): floor is a library call unless traps are off, and a call
// stops the loop from vectorising. Inputs below -87.3 give about 1e-38 instead of 0, which
// no softmax can tell apart. F is float (I int32_t) or Lanes (I IntLanes): one formula for
// element-wise loops and explicit vectors. Always inlined: the caller's vector ISA applies
// (a Lanes return compiled for another one would change the calling convention).
template <class F, class I>
[[gnu::always_inline]] inline F exp_lanes(F x) {
  const F kRound = F{} + 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const F lowest = F{} - 87.3f;
  x = x < lowest ? lowest : x;
  const F shifted = x * 1.44269504088896341f + kRound;
  const F n = shifted - kRound;
  F r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const F r2 = r * r;
  F p = F{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const F er = p * r2 + r + 1.0f;
  const I ni = std::bit_cast<I>(shifted) - std::bit_cast<I>(kRound);
  return er * std::bit_cast<F>((ni + 127) << 23);
}

#pragma omp declare simd
inline float fast_exp(float x) { return exp_lanes<float, int32_t>(x); }

// erf(x) to 5e-7 absolute (Abramowitz & Stegun 7.1.26, 1.5e-7 in exact arithmetic, plus
// float rounding): 1 - t P(t) e^(-x^2) with t = 1 / (1 + 0.3275911 |x|), odd in x. Feeds
// the exact GELU, whose value it moves by at most 2.5e-7 |x|: float rounding's order.
#pragma omp declare simd
inline float fast_erf(float x) {
  const float ax = x < 0.0f ? -x : x;
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float e = 1.0f - poly * fast_exp(-ax * ax);
  return x < 0.0f ? -e : e;
}

// The largest of `init` and s[0..n), in explicit vectors: GCC leaves both the element-wise
// form and an `omp simd` max reduction of this loop scalar.
inline float row_max(const float* s, int64_t n, float init) {
  Lanes running = {};
  running += init;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    Lanes v;
    std::memcpy(&v, s + j, sizeof v);
    running = v > running ? v : running;
  }
  float lanes[kLanes];
  std::memcpy(lanes, &running, sizeof lanes);
  float mx = init;
  for (int t = 0; t < kLanes; ++t) mx = lanes[t] > mx ? lanes[t] : mx;
  for (; j < n; ++j) mx = s[j] > mx ? s[j] : mx;
  return mx;
}

// One online-softmax step on a row of n scores: s[j] becomes exp(s[j] - m') with m' the new
// running max, the running sum l is rescaled and extended, and the factor by which earlier
// accumulations must be rescaled is returned. The exponentials and the sum run in explicit
// vectors: GCC vectorises the element-wise form only where one register holds 16
// floats (AVX-512), and with AVX2 it left the exponential scalar.
inline float online_softmax_step(float* s, int64_t n, float& m, float& l) {
  const float mx = row_max(s, n, m);
  const float corr = fast_exp(m - mx);
  const Lanes max_lanes = Lanes{} + mx;
  Lanes sums = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    Lanes v;
    std::memcpy(&v, s + j, sizeof v);
    const Lanes e = exp_lanes<Lanes, IntLanes>(v - max_lanes);
    std::memcpy(s + j, &e, sizeof e);
    sums += e;
  }
  float lanes[kLanes];
  std::memcpy(lanes, &sums, sizeof lanes);
  float sum = 0.0f;
  for (int t = 0; t < kLanes; ++t) sum += lanes[t];
  for (; j < n; ++j) {
    const float e = fast_exp(s[j] - mx);
    s[j] = e;
    sum += e;
  }
  l = l * corr + sum;
  m = mx;
  return corr;
}

// fp32 -> bf16 bits, round to nearest even, NaN kept a (quiet) NaN: branch-free so that a
// loop over it vectorises (dtype.cpp's scalar f32_to_bf16 gives the same bits).
inline uint16_t round_to_bf16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
  return static_cast<uint16_t>(x != x ? (bits >> 16) | 0x40u : rounded);
}

}  // namespace ck::cpu::inline CK_CPU_ISA
