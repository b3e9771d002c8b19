// Stage-by-stage comparison of the engine's intermediates with the PyTorch reference's:
// max abs error, mean abs error and NMSE per stage, in the network's order, so the first
// stage that drifts is the one to look at.
#pragma once

#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "model/greenformer.hpp"
#include "test_util.hpp"

namespace ck::test {

inline const std::vector<std::string>& stage_names() {
  static const std::vector<std::string> names{
      "input",        "encoder_feature_0", "encoder_feature_1", "encoder_feature_2", "encoder_feature_3",
      "alpha_logits", "fg_logits",         "alpha_logits_up",   "fg_logits_up",      "alpha_coarse",
      "fg_coarse",    "delta_logits",      "alpha_final",       "fg_final"};
  return names;
}

struct StageError {
  double max_abs = 0, mean_abs = 0, nmse = 0;
};

inline StageError stage_error(const Tensor& got, const Tensor& want) {
  const Tensor g = unwrap(got.contiguous());
  StageError e;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double d = std::fabs(static_cast<double>(g.data<float>()[i]) - want.data<float>()[i]);
    e.max_abs = std::max(e.max_abs, d);
    e.mean_abs += d;
  }
  e.mean_abs /= static_cast<double>(std::max<int64_t>(1, want.numel()));
  e.nmse = nmse(g, want);
  return e;
}

// Compares every stage; `max_abs_bar(name)` gives the allowed max abs error of each.
template <class Bar>
void expect_stages_match(const StageTensors& got, const StageTensors& want, Bar&& max_abs_bar) {
  std::cout << std::left << std::setw(20) << "stage" << std::setw(14) << "max abs" << std::setw(14) << "mean abs"
            << "NMSE\n";
  for (const std::string& name : stage_names()) {
    ASSERT_TRUE(want.count(name)) << "fixture lacks " << name;
    ASSERT_TRUE(got.count(name)) << "engine did not produce " << name;
    const Tensor& g = got.at(name);
    const Tensor& w = want.at(name);
    ASSERT_EQ(g.shape(), w.shape()) << name;
    const StageError e = stage_error(g, w);
    std::cout << std::setw(20) << name << std::scientific << std::setprecision(2) << std::setw(14) << e.max_abs
              << std::setw(14) << e.mean_abs << e.nmse << "\n";
    EXPECT_EQ(count_non_finite(unwrap(g.contiguous())), 0) << name;
    EXPECT_LE(e.max_abs, max_abs_bar(name)) << "first stage beyond its bar: " << name;
    if (e.max_abs > max_abs_bar(name)) return;
  }
}

}  // namespace ck::test
