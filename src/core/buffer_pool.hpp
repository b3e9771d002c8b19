// Large tensor buffers, recycled. Every op allocates its output, and a frame allocates the
// same shapes in the same order each time: fresh memory from the kernel costs a page fault
// and a page clear per 4 KiB (about 15 % of a frame at S = 512), while memory used earlier
// is already mapped. Buffers are mapped directly (mmap), so memory that is let go really
// returns to the system; the C heap would keep it and fragment.
//
// Two ways to reuse:
// - Frames (FrameScope): the buffers a frame takes and lets go are recorded. From the next
//   frame on, they come from one arena laid out by plan_memory (core/memory_plan.hpp), sized
//   for the most bytes the frame holds at once, so a frame needs no fresh memory and keeps
//   no idle copies of every size it used. A frame that asks for something else (another
//   size, another order) gets memory the other way and becomes the plan for the next one.
// - Everything else (the first frame, outputs that outlive their frame, building the
//   network): released buffers wait, up to an idle budget, for a request of exactly their
//   size; past the budget the least recently released are unmapped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace ck {

//
// Each engine has its own pool (two engines of different sizes would otherwise replace each
// other's frame plan); BufferPool::Use makes it the calling thread's for the engine's calls.
// Code running outside any Use (tests, tools, other threads) uses the process's pool.
class BufferPool {
 public:
  // Requests of at least this many bytes come from the pool; smaller ones use the C heap.
  static constexpr size_t kMinBytes = size_t{1} << 20;

  static std::shared_ptr<BufferPool> create();
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // The process's pool.
  static BufferPool& instance();
  // The pool the calling thread allocates from now.
  static const std::shared_ptr<BufferPool>& current();

  // Makes `pool` the calling thread's pool for the scope's lifetime (scopes nest).
  class Use {
   public:
    explicit Use(const std::shared_ptr<BufferPool>& pool);
    ~Use();
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    const std::shared_ptr<BufferPool>* previous_;
    std::shared_ptr<BufferPool> pool_;
  };

  // A buffer of `bytes` bytes (a multiple of the page size after rounding), aligned to a
  // page; nullptr when the system has no memory left.
  void* acquire(size_t bytes);
  void release(void* p, size_t bytes);

  // Marks one frame (e.g. one network evaluation) on the calling thread. Frames do not nest:
  // while one is open, another thread's or an inner one's scope does nothing.
  class FrameScope {
   public:
    FrameScope() : pool_(BufferPool::current()), open_(pool_->begin_frame()) {}
    ~FrameScope() {
      if (open_) pool_->end_frame();
    }
    FrameScope(const FrameScope&) = delete;
    FrameScope& operator=(const FrameScope&) = delete;

   private:
    std::shared_ptr<BufferPool> pool_;
    bool open_;
  };

  // Most bytes kept idle outside frame plans; lowering it unmaps the excess at once. 0 keeps
  // nothing.
  void set_idle_budget(size_t bytes);
  size_t idle_budget() const;
  size_t idle_bytes() const;
  // Unmaps every idle buffer and forgets the frame plan, whose arena goes once nothing in it
  // is in use (e.g. between clips of different sizes).
  void trim();

  struct Stats {
    uint64_t reused = 0, mapped = 0, unmapped = 0;
    uint64_t planned = 0;     // buffers handed out from a frame plan's arena
    size_t arena_bytes = 0;   // size of the current plan's arena (0 until a frame replays it)
    size_t live_bytes = 0, peak_live_bytes = 0;  // handed out and not yet released
  };
  Stats stats() const;
  // Starts a new peak_live_bytes from the bytes live now.
  void reset_peak_live();

 private:
  BufferPool();
  bool begin_frame();
  void end_frame() noexcept;
  struct State;
  State* state_;
};

}  // namespace ck
