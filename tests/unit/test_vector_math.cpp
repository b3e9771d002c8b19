// The vectorisable exp and erf the CPU kernels use, against the C library over their ranges.
#include <bit>
#include <cmath>

#include "core/dtype.hpp"
#include "backends/cpu/vector_math.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

TEST(VectorMath, ExpIsWithinTwoUlpOnTheSoftmaxRange) {
  double worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(cpu::fast_exp(x) - want) / want);
  }
  EXPECT_LT(worst, 2.5e-7) << "relative error";
  EXPECT_EQ(cpu::fast_exp(0.0f), 1.0f);
  EXPECT_LT(cpu::fast_exp(-INFINITY), 1e-37f);  // a softmax's empty running max
  EXPECT_GE(cpu::fast_exp(-INFINITY), 0.0f);
}

TEST(VectorMath, ErfIsWithinItsBoundEverywhere) {
  double worst = 0;
  for (float x = -6.0f; x <= 6.0f; x += 0.0007f) {
    worst = std::max(worst, std::fabs(cpu::fast_erf(x) - std::erf(static_cast<double>(x))));
  }
  EXPECT_LT(worst, 5e-7);
  EXPECT_EQ(cpu::fast_erf(0.0f), 0.0f);
  EXPECT_EQ(cpu::fast_erf(10.0f), 1.0f);
  EXPECT_EQ(cpu::fast_erf(-10.0f), -1.0f);
}

TEST(VectorMath, OnlineSoftmaxStepsEqualOneSoftmax) {
  // Two steps over halves of a row give the same normalised weights as one over the row.
  std::vector<float> row(77);
  for (size_t i = 0; i < row.size(); ++i) row[i] = std::sin(0.37f * i) * 6.0f;
  std::vector<float> one = row, two = row;
  float m1 = -INFINITY, l1 = 0, m2 = -INFINITY, l2 = 0;
  cpu::online_softmax_step(one.data(), 77, m1, l1);
  cpu::online_softmax_step(two.data(), 40, m2, l2);
  const float corr = cpu::online_softmax_step(two.data() + 40, 37, m2, l2);
  for (int i = 0; i < 40; ++i) two[i] *= corr;
  EXPECT_EQ(m1, m2);
  EXPECT_NEAR(l1, l2, 1e-5f * l1);
  double sum = 0;
  for (int i = 0; i < 77; ++i) {
    EXPECT_NEAR(one[i] / l1, two[i] / l2, 1e-6f);
    sum += std::exp(static_cast<double>(row[i]) - m1);
  }
  EXPECT_NEAR(l1, sum, 1e-5 * sum);
}

TEST(VectorMath, Bf16RoundingMatchesTheScalarConversionBitForBit) {
  // Ties to even, carries into the exponent, infinities, NaN, subnormals, both signs.
  const uint32_t bit_patterns[] = {0x00000000u, 0x80000000u, 0x3F808000u, 0x3F818000u, 0x3F80FFFFu, 0x7F7FFFFFu,
                                   0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFA00001u, 0x00000001u, 0x807FFFFFu};
  for (uint32_t b : bit_patterns) {
    const float x = std::bit_cast<float>(b);
    EXPECT_EQ(cpu::round_to_bf16(x), f32_to_bf16(x)) << std::hex << b;
  }
  for (float x = -300.0f; x <= 300.0f; x += 0.01337f) ASSERT_EQ(cpu::round_to_bf16(x), f32_to_bf16(x)) << x;
}

}  // namespace
}  // namespace ck::test
