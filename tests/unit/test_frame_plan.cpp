// Frame memory plans: the offset planner, and the pool handing out planned buffers.
#include <algorithm>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/buffer_pool.hpp"
#include "core/memory_plan.hpp"

namespace ck::test {
namespace {

bool overlap(size_t a0, size_t a1, size_t b0, size_t b1) { return a0 < b1 && b0 < a1; }

// The most bytes alive at any one event: no arena can be smaller.
size_t peak_live(const std::vector<BufferLifetime>& v) {
  int64_t end = 0;
  for (const auto& b : v) end = std::max(end, b.last);
  size_t peak = 0;
  for (int64_t t = 0; t <= end; ++t) {
    size_t live = 0;
    for (const auto& b : v) live += (b.first <= t && t < b.last) ? b.bytes : 0;
    peak = std::max(peak, live);
  }
  return peak;
}

TEST(MemoryPlan, BuffersAliveTogetherNeverShareBytes) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<BufferLifetime> v;
    for (int i = 0; i < 60; ++i) {
      const int64_t first = rng() % 200;
      v.push_back({size_t{4096} * (1 + rng() % 64), first, first + 1 + static_cast<int64_t>(rng() % 40)});
    }
    const MemoryPlan plan = plan_memory(v, 4096);
    ASSERT_EQ(plan.offsets.size(), v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      EXPECT_EQ(plan.offsets[i] % 4096, 0u);
      EXPECT_LE(plan.offsets[i] + v[i].bytes, plan.arena_bytes);
      for (size_t j = i + 1; j < v.size(); ++j) {
        const bool together = v[i].first < v[j].last && v[j].first < v[i].last;
        if (together) {
          EXPECT_FALSE(overlap(plan.offsets[i], plan.offsets[i] + v[i].bytes, plan.offsets[j],
                               plan.offsets[j] + v[j].bytes))
              << "trial " << trial << ": buffers " << i << " and " << j;
        }
      }
    }
    EXPECT_GE(plan.arena_bytes, peak_live(v));
    EXPECT_LE(plan.arena_bytes, 2 * peak_live(v)) << "trial " << trial;
  }
}

TEST(MemoryPlan, AChainOfLayersNeedsOnlyItsTwoLargestNeighbours) {
  // Each layer reads the previous output and writes the next: two alive at a time.
  std::vector<BufferLifetime> v;
  const size_t mb = size_t{1} << 20;
  const size_t sizes[] = {4, 8, 8, 2, 6, 6, 1};
  for (int i = 0; i < 7; ++i) v.push_back({sizes[i] * mb, 2 * i, 2 * i + 3});
  const MemoryPlan plan = plan_memory(v, 4096);
  EXPECT_EQ(plan.arena_bytes, 16 * mb);
  EXPECT_EQ(plan_memory({}, 4096).arena_bytes, 0u);
}

// A frame of a small "network": each step takes a buffer, fills it, checks the one before
// still holds what was written, and lets older ones go. Returns the buffers' addresses.
std::vector<void*> run_frame(const std::vector<size_t>& sizes, void** kept = nullptr) {
  BufferPool& pool = BufferPool::instance();
  const BufferPool::FrameScope frame;
  std::vector<void*> seen;
  void* prev = nullptr;
  size_t prev_bytes = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    void* p = pool.acquire(sizes[i]);
    EXPECT_NE(p, nullptr);
    std::memset(p, static_cast<int>(i + 1), sizes[i]);
    if (prev) {
      const unsigned char* b = static_cast<const unsigned char*>(prev);
      EXPECT_EQ(b[0], i) << "step " << i << " overwrote the live buffer before it";
      EXPECT_EQ(b[prev_bytes - 1], i);
      pool.release(prev, prev_bytes);
    }
    seen.push_back(p);
    prev = p;
    prev_bytes = sizes[i];
  }
  if (kept) {
    *kept = prev;  // outlives the frame
  } else {
    pool.release(prev, prev_bytes);
  }
  return seen;
}

TEST(FramePlan, SecondFrameReplaysTheFirstInOneArena) {
  BufferPool& pool = BufferPool::instance();
  pool.trim();
  const size_t mb = size_t{1} << 20;
  const std::vector<size_t> sizes = {2 * mb, 5 * mb, 3 * mb, 5 * mb, 2 * mb};

  void* out1 = nullptr;
  run_frame(sizes, &out1);  // recorded
  const BufferPool::Stats s1 = pool.stats();
  void* out2 = nullptr;
  const std::vector<void*> second = run_frame(sizes, &out2);
  const BufferPool::Stats s2 = pool.stats();
  // All but the buffer that outlives the frame come from the arena, sized for the largest
  // pair alive together (5 + 3 MiB): only the output is freshly mapped.
  EXPECT_EQ(s2.planned - s1.planned, sizes.size() - 1);
  EXPECT_EQ(s2.arena_bytes, 8 * mb);
  EXPECT_EQ(s2.mapped, s1.mapped + 1);
  pool.release(out1, 2 * mb);
  pool.release(out2, 2 * mb);

  // Same again: same addresses.
  void* out3 = nullptr;
  const std::vector<void*> third = run_frame(sizes, &out3);
  EXPECT_TRUE(std::equal(second.begin(), second.end() - 1, third.begin()));
  pool.release(out3, 2 * mb);
  pool.trim();
  EXPECT_EQ(pool.stats().arena_bytes, 0u);
}

TEST(FramePlan, AnotherFrameShapeFallsBackAndBecomesThePlan) {
  BufferPool& pool = BufferPool::instance();
  pool.trim();
  const size_t mb = size_t{1} << 20;
  const std::vector<size_t> a = {2 * mb, 4 * mb, 2 * mb}, b = {3 * mb, 3 * mb, 6 * mb, 1 * mb};
  run_frame(a);
  run_frame(a);
  const uint64_t planned = pool.stats().planned;
  run_frame(b);  // sizes differ from the plan: nothing planned, and no corruption
  EXPECT_EQ(pool.stats().planned, planned + 0);
  run_frame(b);
  EXPECT_EQ(pool.stats().planned, planned + b.size());
  pool.trim();
}

TEST(FramePlan, ABufferKeptPastItsPlannedEndIsNeverHandedOutTwice) {
  BufferPool& pool = BufferPool::instance();
  pool.trim();
  const size_t mb = size_t{1} << 20;
  run_frame({2 * mb, 2 * mb, 2 * mb});
  void* held = nullptr;
  {
    const BufferPool::FrameScope frame;
    held = pool.acquire(2 * mb);  // planned to be let go after the second step: kept instead
    std::memset(held, 0x5a, 2 * mb);
    void* b = pool.acquire(2 * mb);
    void* c = pool.acquire(2 * mb);  // the plan puts it where `held` is; it must go elsewhere
    EXPECT_NE(c, held);
    std::memset(b, 1, 2 * mb);
    std::memset(c, 2, 2 * mb);
    pool.release(b, 2 * mb);
    pool.release(c, 2 * mb);
  }
  run_frame({2 * mb, 2 * mb});  // a new plan; the old arena stays while `held` is in it
  EXPECT_EQ(static_cast<unsigned char*>(held)[2 * mb - 1], 0x5a);
  pool.release(held, 2 * mb);
  pool.trim();
}

TEST(FramePlan, OtherThreadsAndInnerScopesAreNotPlanned) {
  BufferPool& pool = BufferPool::instance();
  pool.trim();
  const size_t mb = size_t{1} << 20;
  for (int f = 0; f < 2; ++f) {
    const BufferPool::FrameScope frame;
    const BufferPool::FrameScope inner;  // does nothing
    void* a = pool.acquire(2 * mb);
    std::thread([&] {
      void* t = pool.acquire(3 * mb);
      std::memset(t, 3, 3 * mb);
      pool.release(t, 3 * mb);
    }).join();
    pool.release(a, 2 * mb);
  }
  EXPECT_EQ(pool.stats().arena_bytes, 2 * mb) << "only the frame thread's buffer is planned";
  pool.trim();
}

}  // namespace
}  // namespace ck::test
