// Count, mean and sum of squared deviations of a set of values, and the pairwise update
// (Chan et al.) that merges two sets: statistics taken chunk by chunk, merged in a fixed
// order, do not depend on how the chunks were shared among threads.
#pragma once

namespace ck::cpu {

struct GroupMoments {
  double count = 0.0, mean = 0.0, m2 = 0.0;
  void merge(const GroupMoments& o) {
    const double total = count + o.count, delta = o.mean - mean;
    mean += delta * o.count / total;
    m2 += o.m2 + delta * delta * count * o.count / total;
    count = total;
  }
};

}  // namespace ck::cpu
