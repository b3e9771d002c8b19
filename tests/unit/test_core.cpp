// Tensors, dtypes and conversions.
#include <bit>
#include <immintrin.h>

#include "test_util.hpp"

namespace ck::test {
namespace {

TEST(DType, F16RoundTripsEveryHalfValue) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(f32_to_f16(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(DType, F16ConversionMatchesTheHardware) {
  std::mt19937 rng(42);
  for (int i = 0; i < 200000; ++i) {
    // Random bit patterns cover normals, subnormals, overflow, infinities and NaN.
    const float f = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    const auto hw = static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f))));
      continue;
    }
    ASSERT_EQ(f32_to_f16(f), hw) << f;
    ASSERT_EQ(std::bit_cast<uint32_t>(f16_to_f32(hw)), std::bit_cast<uint32_t>(_cvtsh_ss(hw)));
  }
}

TEST(DType, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(f32_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
  EXPECT_EQ(bf16_to_f32(0x4049), 3.140625f);
}

TEST(Tensor, AllocationIsAlignedAndShaped) {
  Tensor t = unwrap(Tensor::empty({2, 3, 5}));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % kTensorAlignment, 0u);
  EXPECT_EQ(t.numel(), 30);
  EXPECT_EQ(t.strides(), (std::vector<int64_t>{15, 5, 1}));
  EXPECT_EQ(shape_str(t.shape()), "(2, 3, 5)");
  EXPECT_EQ(shape_str({7}), "(7,)");
}

TEST(Tensor, ImpossibleAllocationIsAnErrorNotACrash) {
  auto r = Tensor::empty({1LL << 40, 1LL << 20});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kOutOfMemory);
  EXPECT_FALSE(Tensor::empty({-1, 3}).ok());
}

TEST(Tensor, PermuteIsAViewAndContiguousCopies) {
  Tensor t = unwrap(Tensor::empty({2, 3}));
  for (int i = 0; i < 6; ++i) t.data<float>()[i] = static_cast<float>(i);
  Tensor p = unwrap(t.permute({1, 0}));
  EXPECT_FALSE(p.is_contiguous());
  EXPECT_EQ(p.raw(), t.raw());
  Tensor c = unwrap(p.contiguous());
  const float want[] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(c.data<float>()[i], want[i]);
  EXPECT_FALSE(p.reshape({6}).ok());
  EXPECT_FALSE(t.reshape({4}).ok());
}

TEST(Tensor, DtypeConversionRoundTrips) {
  Tensor t = random_tensor({64}, 9);
  Tensor h = unwrap(t.to(DType::BF16));
  Tensor back = unwrap(h.to(DType::F32));
  EXPECT_EQ(h.nbytes(), 128u);
  EXPECT_LE(max_abs_diff(back, t), 1.0 / 256);
  Tensor h16 = unwrap(t.to(DType::F16));
  EXPECT_LE(max_abs_diff(unwrap(h16.to(DType::F32)), t), 1.0 / 2048);
}

}  // namespace
}  // namespace ck::test
