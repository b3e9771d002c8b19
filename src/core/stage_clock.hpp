// Per-stage wall-clock laps for profiling a forward pass: each mark() closes the lap that
// began at the previous mark (or at construction) under the given name.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace ck {

class StageClock {
 public:
  StageClock() : last_(std::chrono::steady_clock::now()) {}
  void mark(std::string name) {
    const auto now = std::chrono::steady_clock::now();
    laps_.emplace_back(std::move(name), std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  void restart() {
    laps_.clear();
    last_ = std::chrono::steady_clock::now();
  }
  const std::vector<std::pair<std::string, double>>& laps() const { return laps_; }

 private:
  std::chrono::steady_clock::time_point last_;
  std::vector<std::pair<std::string, double>> laps_;
};

// Marks `clock` when profiling is on (a null clock costs nothing).
inline void lap(StageClock* clock, const char* name) {
  if (clock) clock->mark(name);
}

}  // namespace ck
