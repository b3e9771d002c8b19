// Where each buffer of a frame goes in one arena, given when each is taken and let go.
//
// A frame asks for the same buffers in the same order every time. Once one frame has been
// seen, its buffers can be laid out in a single block sized for the most bytes alive at
// once (plus what fragmentation costs), instead of one mapping per buffer size kept idle
// between uses: two buffers share addresses when their lifetimes do not overlap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ck {

struct BufferLifetime {
  size_t bytes = 0;
  int64_t first = 0;  // event index at which the buffer is taken
  int64_t last = 0;   // event index at which it is let go (> first)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per lifetime, in the order given
  size_t arena_bytes = 0;
};

// Greedy by size: the largest buffers are placed first, each at the lowest offset where it
// fits beside the already placed buffers that live at the same time. Offsets keep the
// alignment of the sizes (multiples of `alignment`).
MemoryPlan plan_memory(const std::vector<BufferLifetime>& lifetimes, size_t alignment);

}  // namespace ck
