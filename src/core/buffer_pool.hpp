// Large tensor buffers, recycled. Every op allocates its output, and a frame allocates the
// same shapes in the same order each time: fresh memory from the kernel costs a page fault
// and a page clear per 4 KiB (about 15 % of a frame at S = 512), while a buffer released
// earlier in the frame, or by the previous frame, is already mapped. Buffers are mapped
// directly (mmap), so a buffer that is let go really returns to the system; the C heap
// would keep it and fragment.
//
// Released buffers wait, up to an idle budget, for a request of exactly their size (the
// network's shapes repeat exactly); past the budget the least recently released are unmapped.
// The idle buffers count towards the process's resident memory: callers that care more
// about peak memory than speed (large frames) lower the budget.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ck {

class BufferPool {
 public:
  // Requests of at least this many bytes come from the pool; smaller ones use the C heap.
  static constexpr size_t kMinBytes = size_t{1} << 20;

  static BufferPool& instance();

  // A buffer of `bytes` bytes (a multiple of the page size after rounding), aligned to a
  // page; nullptr when the system has no memory left.
  void* acquire(size_t bytes);
  void release(void* p, size_t bytes);

  // Most bytes kept idle; lowering it unmaps the excess at once. 0 keeps nothing.
  void set_idle_budget(size_t bytes);
  size_t idle_budget() const;
  size_t idle_bytes() const;
  // Unmaps every idle buffer (e.g. between clips of different sizes).
  void trim();

  struct Stats {
    uint64_t reused = 0, mapped = 0, unmapped = 0;
  };
  Stats stats() const;

 private:
  BufferPool();
  struct State;
  State* state_;
};

}  // namespace ck
