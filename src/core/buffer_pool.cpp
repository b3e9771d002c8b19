#include "core/buffer_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/memory_plan.hpp"

namespace ck {

namespace {

size_t page_size() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t page_rounded(size_t bytes) { return (bytes + page_size() - 1) / page_size() * page_size(); }

// Populated at once: one call into the kernel instead of a fault per page (every byte of a
// tensor is written anyway).
void* map_populated(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

constexpr int64_t kNotReleased = std::numeric_limits<int64_t>::max();

// One block holding a frame plan's buffers, and which of its ranges are handed out now.
struct Arena {
  char* base = nullptr;
  size_t bytes = 0;
  std::map<size_t, size_t> live;  // offset -> end of the ranges in use

  bool contains(const void* p) const {
    const char* c = static_cast<const char*>(p);
    return c >= base && c < base + bytes;
  }
  bool overlaps_live(size_t begin, size_t end) const {
    auto it = live.lower_bound(begin);
    if (it != live.end() && it->first < end) return true;
    return it != live.begin() && std::prev(it)->second > begin;
  }
  ~Arena() { munmap(base, bytes); }
};

}  // namespace

struct BufferPool::State {
  struct Idle {
    void* p;
    size_t bytes;
  };
  mutable std::mutex mutex;
  std::list<Idle> idle;  // least recently released first
  size_t idle_bytes = 0;
  // Serves what frame plans do not: the first frame, outputs, building the network.
  size_t budget = size_t{64} << 20;
  Stats stats;

  // The open frame: its thread, an event counter (takes and releases), and the buffers
  // it has taken so far, with where each live one is.
  bool in_frame = false;
  std::thread::id frame_thread;
  int64_t event = 0;
  bool recording = false;  // false once bookkeeping failed for lack of memory
  std::vector<BufferLifetime> seen;
  std::unordered_map<void*, size_t> seen_live;  // pointer -> index in `seen`

  // The plan: the last frame that did not follow the one before, where each of its
  // buffers goes (kNoSlot: outlived the frame, not planned), and its arena once mapped.
  static constexpr size_t kNoSlot = std::numeric_limits<size_t>::max();
  std::vector<BufferLifetime> plan_lifetimes;
  std::vector<size_t> plan_offsets;
  size_t plan_arena_bytes = 0;
  std::unique_ptr<Arena> arena;
  std::vector<std::unique_ptr<Arena>> retired;  // replaced while some of their buffers were in use

  void note_acquired(size_t bytes) {
    stats.live_bytes += bytes;
    stats.peak_live_bytes = std::max(stats.peak_live_bytes, stats.live_bytes);
  }

  // Unmaps the oldest idle buffers until at most `limit` bytes stay idle.
  void shrink_to(size_t limit) {
    while (idle_bytes > limit && !idle.empty()) {
      munmap(idle.front().p, idle.front().bytes);
      idle_bytes -= idle.front().bytes;
      idle.pop_front();
      ++stats.unmapped;
    }
  }

  void* take_idle(size_t bytes) {
    for (auto it = idle.rbegin(); it != idle.rend(); ++it) {  // most recent first
      if (it->bytes == bytes) {
        void* p = it->p;
        idle_bytes -= bytes;
        idle.erase(std::next(it).base());
        ++stats.reused;
        return p;
      }
    }
    return nullptr;
  }

  // The planned place of the frame's next buffer, if the plan has one of this size there
  // and nothing still in use overlaps it.
  void* take_planned(size_t bytes) {
    const size_t k = seen.size();
    if (!arena || k >= plan_lifetimes.size() || plan_lifetimes[k].bytes != bytes || plan_offsets[k] == kNoSlot) {
      return nullptr;
    }
    const size_t begin = plan_offsets[k], end = begin + bytes;
    if (arena->overlaps_live(begin, end)) return nullptr;
    try {
      arena->live.emplace(begin, end);
    } catch (const std::bad_alloc&) {
      return nullptr;  // served the other way
    }
    ++stats.planned;
    return arena->base + begin;
  }

  // Lets go of a buffer inside an arena; false if `p` is in none.
  bool release_to_arena(void* p) {
    if (arena && arena->contains(p)) {
      arena->live.erase(static_cast<size_t>(static_cast<char*>(p) - arena->base));
      return true;
    }
    for (auto it = retired.begin(); it != retired.end(); ++it) {
      if ((*it)->contains(p)) {
        (*it)->live.erase(static_cast<size_t>(static_cast<char*>(p) - (*it)->base));
        if ((*it)->live.empty()) retired.erase(it);  // unmapped
        return true;
      }
    }
    return false;
  }

  void drop_arena() noexcept {
    if (!arena) return;
    if (!arena->live.empty()) {
      try {
        retired.push_back(std::move(arena));
      } catch (const std::bad_alloc&) {
        arena.release();  // cannot record it: leaked rather than unmapped under live buffers
      }
    }
    arena.reset();
    stats.arena_bytes = 0;
  }

  void forget_plan() noexcept {
    drop_arena();
    plan_lifetimes.clear();
    plan_offsets.clear();
    plan_arena_bytes = 0;
  }

  // Makes the frame just seen the plan (its arena is mapped when the next frame opens).
  void replan() noexcept {
    forget_plan();
    try {
      std::vector<BufferLifetime> transient;
      for (const BufferLifetime& b : seen) {
        if (b.last != kNotReleased) transient.push_back(b);
      }
      const MemoryPlan plan = plan_memory(transient, page_size());
      std::vector<size_t> offsets(seen.size(), kNoSlot);
      for (size_t i = 0, t = 0; i < seen.size(); ++i) {
        if (seen[i].last != kNotReleased) offsets[i] = plan.offsets[t++];
      }
      plan_lifetimes = seen;
      plan_offsets = std::move(offsets);
      plan_arena_bytes = plan.arena_bytes;
    } catch (const std::bad_alloc&) {
      forget_plan();
    }
  }
};

BufferPool::BufferPool() : state_(new State) {}

BufferPool::~BufferPool() {
  // Every buffer handed out holds the pool (Tensor::empty), so none is in use any more.
  for (const State::Idle& b : state_->idle) munmap(b.p, b.bytes);
  delete state_;  // the arenas unmap themselves
}

std::shared_ptr<BufferPool> BufferPool::create() { return std::shared_ptr<BufferPool>(new BufferPool); }

namespace {

// The process's pool: never destroyed, since tensors may outlive static destructors.
const std::shared_ptr<BufferPool>& process_pool() {
  static const auto* pool = new std::shared_ptr<BufferPool>(BufferPool::create());
  return *pool;
}

thread_local const std::shared_ptr<BufferPool>* t_current = nullptr;

}  // namespace

BufferPool& BufferPool::instance() { return *process_pool(); }

const std::shared_ptr<BufferPool>& BufferPool::current() { return t_current ? *t_current : process_pool(); }

BufferPool::Use::Use(const std::shared_ptr<BufferPool>& pool) : previous_(t_current), pool_(pool) {
  t_current = &pool_;
}

BufferPool::Use::~Use() { t_current = previous_; }

void* BufferPool::acquire(size_t bytes) {
  bytes = page_rounded(bytes);
  std::lock_guard<std::mutex> lock(state_->mutex);
  State& s = *state_;
  const bool framed = s.in_frame && s.recording && std::this_thread::get_id() == s.frame_thread;
  void* p = framed ? s.take_planned(bytes) : nullptr;
  if (!p) p = s.take_idle(bytes);
  if (!p) {
    ++s.stats.mapped;
    p = map_populated(bytes);
    if (!p) return nullptr;
  }
  s.note_acquired(bytes);
  if (framed) {
    try {
      s.seen_live.emplace(p, s.seen.size());
      s.seen.push_back({bytes, s.event++, kNotReleased});
    } catch (const std::bad_alloc&) {
      s.recording = false;  // this frame will not become a plan
    }
  }
  return p;
}

void BufferPool::release(void* p, size_t bytes) {
  bytes = page_rounded(bytes);
  std::lock_guard<std::mutex> lock(state_->mutex);
  State& s = *state_;
  s.stats.live_bytes -= bytes;
  if (s.in_frame) {
    const auto it = s.seen_live.find(p);
    if (it != s.seen_live.end()) {
      s.seen[it->second].last = s.event++;
      s.seen_live.erase(it);
    }
  }
  if (s.release_to_arena(p)) return;
  // Called from tensors' deleters, so nothing may throw: a buffer the list has no room to
  // record is unmapped instead.
  bool kept = bytes <= s.budget;
  if (kept) {
    try {
      s.idle.push_back({p, bytes});
    } catch (const std::bad_alloc&) {
      kept = false;
    }
  }
  if (!kept) {
    munmap(p, bytes);
    ++s.stats.unmapped;
    return;
  }
  s.idle_bytes += bytes;
  s.shrink_to(s.budget);
}

bool BufferPool::begin_frame() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  State& s = *state_;
  if (s.in_frame) return false;
  s.in_frame = true;
  s.recording = true;
  s.frame_thread = std::this_thread::get_id();
  s.event = 0;
  s.seen.clear();
  s.seen_live.clear();
  if (!s.arena && s.plan_arena_bytes > 0) {
    // The idle buffers the planned frame left behind are what the arena replaces.
    s.shrink_to(0);
    if (void* p = map_populated(s.plan_arena_bytes)) {
      s.arena = std::make_unique<Arena>();
      s.arena->base = static_cast<char*>(p);
      s.arena->bytes = s.plan_arena_bytes;
      s.stats.arena_bytes = s.plan_arena_bytes;
    }
  }
  return true;
}

void BufferPool::end_frame() noexcept {
  std::lock_guard<std::mutex> lock(state_->mutex);
  State& s = *state_;
  s.in_frame = false;
  s.seen_live.clear();  // buffers still in use outlive the frame: never planned
  const bool same_as_plan = s.seen.size() == s.plan_lifetimes.size() &&
                            std::equal(s.seen.begin(), s.seen.end(), s.plan_lifetimes.begin(),
                                       [](const BufferLifetime& a, const BufferLifetime& b) {
                                         return a.bytes == b.bytes && a.first == b.first && a.last == b.last;
                                       });
  if (s.recording && !same_as_plan) s.replan();
}

void BufferPool::set_idle_budget(size_t bytes) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->budget = bytes;
  state_->shrink_to(bytes);
}

size_t BufferPool::idle_budget() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->budget;
}

size_t BufferPool::idle_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->idle_bytes;
}

void BufferPool::trim() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->shrink_to(0);
  state_->forget_plan();
}

void BufferPool::reset_peak_live() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->stats.peak_live_bytes = state_->stats.live_bytes;
}

BufferPool::Stats BufferPool::stats() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->stats;
}

}  // namespace ck
