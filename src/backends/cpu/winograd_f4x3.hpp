// Winograd F(4x4, 3x3) building blocks: a 3x3 convolution computed on 6x6 input tiles that
// each give 4x4 outputs, with 36 elementwise products (one small GEMM per tile position over
// the channels) instead of 144 multiply-adds per channel pair: 4x fewer in the GEMMs.
//
// Y = A^T [ (G g G^T) . (B^T d B) ] A with Lavin and Gray's interpolation points 0, +-1, +-2
// and infinity. Tiles are addressed by pixel pointers (channels contiguous), so the caller
// decides the layout, the dilation phase and the padding (a null pointer is a zero pixel).
// Every tile is computed by the same sequence of operations whichever block or thread it
// falls in: results do not depend on how the caller splits the work.
#pragma once

#include <cstdint>

#include "backends/cpu/cpu_isa.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

inline constexpr int kWinogradInputTile = 6;   // input tile side
inline constexpr int kWinogradOutputTile = 4;  // output tile side
inline constexpr int kWinogradPositions = 36;  // products per tile and channel pair
inline constexpr int64_t kWinogradChannelBlock = 16;
inline constexpr int64_t kWinogradMaxInPlaceChannels = 512;  // winograd_f4x3_multiply in place

struct WinogradF4x3Weights {
  int64_t out_channels = 0, in_channels = 0;
  const float* u = nullptr;  // (36, in_channels, out_channels): G g G^T of every channel pair
};

// u (36, in_channels, out_channels) from w (out_channels, in_channels, 3, 3), as PyTorch
// stores it; transformed in double. Runs on the OpenMP threads.
void winograd_f4x3_transform_weights(const float* w, int64_t out_channels, int64_t in_channels, float* u);

// v (36, channels) = B^T d B of the 6x6 input tile whose pixels (row-major; null for zero
// padding) are `channels` floats each, channels a multiple of 16. With `scale`, each pixel is
// first mapped to pixel * scale + offset per channel, then to max(., 0) if `relu`; padding
// stays zero.
void winograd_f4x3_input_tile(const float* const* pixels, int64_t channels, const float* scale, const float* offset,
                              bool relu, float* v);

// m (tiles, 36, out) = v (tiles, 36, in) through the 36 weight matrices: tile t's product at
// position e is v[t][e] @ u[e]. m may be v when in == out <= kWinogradMaxInPlaceChannels.
void winograd_f4x3_multiply(const float* v, int64_t tiles, const WinogradF4x3Weights& weights, float* m);

// The 4x4 outputs A^T m A (+ bias, may be null) of one tile's products m (36, out) into its
// pixels (row-major; null for outputs outside the image), `out` floats each. With `mean`,
// also each channel's mean and sum of squared deviations over the tile's pixels in the
// image (two passes over the outputs while they are in registers; at least one pixel).
void winograd_f4x3_output_tile(const float* m, int64_t out_channels, const float* bias, float* const* pixels,
                               float* mean = nullptr, float* m2 = nullptr);

}  // namespace ck::cpu::inline CK_CPU_ISA
