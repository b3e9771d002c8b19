// For programs that key many frames (the corridorkey tool, benchmarks): keeps the large
// buffers a frame allocates and frees in the process's heap. By default glibc maps each
// buffer over 32 MB afresh and unmaps it when freed, so every frame pays page faults and
// zeroing on new memory (measured: a 3840x2160 frame's finish 1.16 s, 0.53-0.63 s with this).
// It changes the allocator of the whole process, so the library never calls it on its own;
// a host that keys frames in a loop may.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <malloc.h>

namespace ck {

// True when glibc took the settings.
inline bool keep_frame_buffers_in_heap() {
  const bool no_mmap = mallopt(M_MMAP_MAX, 0) == 1;               // large blocks from the heap
  const bool no_trim = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;   // freed memory kept for the next frame
  const bool pad = mallopt(M_TOP_PAD, 64 << 20) == 1;             // the heap grows in large steps
  return no_mmap && no_trim && pad;
}

// Gives the heap's free memory back to the system. Under keep_frame_buffers_in_heap nothing
// freed is returned, so what loading an engine used and let go (a .pth checkpoint's buffers:
// about 400 MB for the official weights) would stay resident for the process's life; a
// program calls this once its engines are built (measured: `infer` at S = 2048, peak resident
// memory in the table of docs/BENCHMARKS.md, "Memory").
inline void release_free_heap_memory() { malloc_trim(0); }

}  // namespace ck

#pragma GCC visibility pop
