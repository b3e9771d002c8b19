// Count, mean and sum of squared deviations of a set of values, and the pairwise update
// (Chan et al.) that merges two sets: statistics taken chunk by chunk, merged in a fixed
// order, do not depend on how the chunks were shared among threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "backends/cpu/cpu_isa.hpp"

namespace ck::cpu::inline CK_CPU_ISA {

struct GroupMoments {
  double count = 0.0, mean = 0.0, m2 = 0.0;
  void merge(const GroupMoments& o) {
    const double total = count + o.count, delta = o.mean - mean;
    mean += delta * o.count / total;
    m2 += o.m2 + delta * delta * count * o.count / total;
    count = total;
  }
};

// The same per channel, for sets of pixels that count alike in every channel: merged
// channel by channel (vectorisable), then channels combined into groups at the end.
struct ChannelMoments {
  double count = 0.0;
  std::vector<double> mean, m2;
  explicit ChannelMoments(int64_t channels = 0)
      : mean(static_cast<size_t>(channels), 0.0), m2(static_cast<size_t>(channels), 0.0) {}

  template <class T>
  void merge(double n, const T* other_mean, const T* other_m2) {
    if (n == 0.0) return;
    const double total = count + n, share = n / total, cross = count * n / total;
    const int64_t channels = static_cast<int64_t>(mean.size());
#pragma omp simd
    for (int64_t c = 0; c < channels; ++c) {
      const double delta = static_cast<double>(other_mean[c]) - mean[c];
      mean[c] += delta * share;
      m2[c] += static_cast<double>(other_m2[c]) + delta * delta * cross;
    }
    count = total;
  }
  void reset() {
    count = 0.0;
    std::fill(mean.begin(), mean.end(), 0.0);
    std::fill(m2.begin(), m2.end(), 0.0);
  }

  // Channels [c0, c1) as one set.
  GroupMoments group(int64_t c0, int64_t c1) const {
    GroupMoments g;
    for (int64_t c = c0; c < c1; ++c) g.merge({count, mean[static_cast<size_t>(c)], m2[static_cast<size_t>(c)]});
    return g;
  }
};

}  // namespace ck::cpu::inline CK_CPU_ISA
