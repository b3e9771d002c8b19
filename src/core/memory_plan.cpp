#include "core/memory_plan.hpp"

#include <algorithm>
#include <numeric>

namespace ck {

namespace {

bool overlap_in_time(const BufferLifetime& a, const BufferLifetime& b) {
  return a.first < b.last && b.first < a.last;
}

size_t aligned_up(size_t n, size_t alignment) { return (n + alignment - 1) / alignment * alignment; }

}  // namespace

MemoryPlan plan_memory(const std::vector<BufferLifetime>& lifetimes, size_t alignment) {
  const size_t n = lifetimes.size();
  MemoryPlan plan;
  plan.offsets.assign(n, 0);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  // Largest first; ties by who is taken first, so the plan does not depend on the sort.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return lifetimes[a].bytes > lifetimes[b].bytes; });

  std::vector<size_t> placed;  // indices already given an offset
  std::vector<std::pair<size_t, size_t>> busy;  // [begin, end) taken by contemporaries
  for (const size_t i : order) {
    const BufferLifetime& me = lifetimes[i];
    const size_t size = aligned_up(me.bytes, alignment);
    busy.clear();
    for (const size_t j : placed) {
      if (overlap_in_time(me, lifetimes[j])) {
        busy.emplace_back(plan.offsets[j], plan.offsets[j] + aligned_up(lifetimes[j].bytes, alignment));
      }
    }
    std::sort(busy.begin(), busy.end());
    // The lowest gap between contemporaries that holds this buffer; past them all if none.
    size_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (begin >= offset + size) break;
      offset = std::max(offset, end);
    }
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
    placed.push_back(i);
  }
  return plan;
}

}  // namespace ck
