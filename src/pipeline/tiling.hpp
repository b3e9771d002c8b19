// Tiled inference's geometry: where the tiles of a square frame start, and the window each
// tile's output is weighted by when the tiles are blended.
#pragma once

#include <cstdint>
#include <vector>

namespace ck {

// Starts of tiles of `tile` pixels covering [0, size) with at least `overlap` pixels shared
// by neighbours, spread evenly, the first at 0 and the last at size - tile. One tile, at
// 0, when it covers the frame.
std::vector<int64_t> tile_starts(int64_t size, int64_t tile, int64_t overlap);

// The weight of each of a tile's `tile` pixels along one axis, for a tile starting at
// `start`: a raised cosine rising over the first `overlap` pixels where a neighbour lies
// before it, falling over the last where one lies after it, 1 elsewhere. Never 0, so
// every pixel of the frame has weight.
std::vector<float> tile_window(int64_t size, int64_t tile, int64_t overlap, int64_t start);

}  // namespace ck
