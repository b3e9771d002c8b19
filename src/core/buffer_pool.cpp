#include "core/buffer_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <list>
#include <mutex>
#include <new>

namespace ck {

namespace {

size_t page_rounded(size_t bytes) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

}  // namespace

struct BufferPool::State {
  struct Idle {
    void* p;
    size_t bytes;
  };
  mutable std::mutex mutex;
  std::list<Idle> idle;  // least recently released first
  size_t idle_bytes = 0;
  // Enough for a frame at S = 512 to find every buffer it asks for already mapped (measured:
  // 256 MiB leaves the refiner's 64 MiB maps to be faulted in again, 0.1-0.2 s a frame).
  size_t budget = size_t{512} << 20;
  Stats stats;

  // Unmaps the oldest idle buffers until at most `limit` bytes stay idle.
  void shrink_to(size_t limit) {
    while (idle_bytes > limit && !idle.empty()) {
      munmap(idle.front().p, idle.front().bytes);
      idle_bytes -= idle.front().bytes;
      idle.pop_front();
      ++stats.unmapped;
    }
  }
};

BufferPool::BufferPool() : state_(new State) {}  // lives as long as the process: tensors may outlive statics

BufferPool& BufferPool::instance() {
  static BufferPool* pool = new BufferPool;
  return *pool;
}

void* BufferPool::acquire(size_t bytes) {
  bytes = page_rounded(bytes);
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    for (auto it = state_->idle.rbegin(); it != state_->idle.rend(); ++it) {  // most recent first
      if (it->bytes == bytes) {
        void* p = it->p;
        state_->idle_bytes -= bytes;
        state_->idle.erase(std::next(it).base());
        ++state_->stats.reused;
        return p;
      }
    }
    ++state_->stats.mapped;
  }
  // Populated at once: one call into the kernel instead of a fault per page (every byte of
  // a tensor is written anyway).
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void BufferPool::release(void* p, size_t bytes) {
  bytes = page_rounded(bytes);
  std::lock_guard<std::mutex> lock(state_->mutex);
  // Called from tensors' deleters, so nothing may throw: a buffer the list has no room to
  // record is unmapped instead.
  bool kept = bytes <= state_->budget;
  if (kept) {
    try {
      state_->idle.push_back({p, bytes});
    } catch (const std::bad_alloc&) {
      kept = false;
    }
  }
  if (!kept) {
    munmap(p, bytes);
    ++state_->stats.unmapped;
    return;
  }
  state_->idle_bytes += bytes;
  state_->shrink_to(state_->budget);
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
}

BufferPool::Stats BufferPool::stats() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->stats;
}

}  // namespace ck
