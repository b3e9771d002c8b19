#include "pipeline/tiling.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ck {

std::vector<int64_t> tile_starts(int64_t size, int64_t tile, int64_t overlap) {
  if (tile >= size) return {0};
  const int64_t step = tile - overlap;
  const int64_t count = 1 + (size - tile + step - 1) / step;  // enough that no step exceeds tile - overlap
  std::vector<int64_t> starts;
  for (int64_t k = 0; k < count; ++k) starts.push_back(k * (size - tile) / (count - 1));
  return starts;
}

std::vector<float> tile_window(int64_t size, int64_t tile, int64_t overlap, int64_t start) {
  std::vector<float> w(static_cast<size_t>(tile), 1.0f);
  if (overlap <= 0) return w;
  const auto ramp = [&](int64_t i) {  // i in [0, overlap): rising from near 0 to near 1
    const double t = (static_cast<double>(i) + 0.5) / static_cast<double>(overlap);
    return static_cast<float>(0.5 - 0.5 * std::cos(std::numbers::pi * t));
  };
  for (int64_t i = 0; i < std::min(overlap, tile); ++i) {
    if (start > 0) w[static_cast<size_t>(i)] *= ramp(i);
    if (start + tile < size) w[static_cast<size_t>(tile - 1 - i)] *= ramp(i);
  }
  return w;
}

}  // namespace ck
