// Tensors, dtypes and conversions.
#include <bit>
#include <cstring>
#include <immintrin.h>

#include "core/buffer_pool.hpp"

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

// Large buffers are recycled by exact size, within an idle budget, oldest unmapped first.
TEST(BufferPool, ReusesReleasedBuffersWithinItsBudget) {
  BufferPool& pool = BufferPool::instance();
  const size_t saved_budget = pool.idle_budget();
  pool.trim();
  pool.set_idle_budget(size_t{8} << 20);
  const size_t mb3 = size_t{3} << 20;
  const BufferPool::Stats s0 = pool.stats();

  void* a = pool.acquire(mb3);
  ASSERT_NE(a, nullptr);
  std::memset(a, 1, mb3);  // writable, all of it
  pool.release(a, mb3);
  EXPECT_EQ(pool.idle_bytes(), mb3);
  void* b = pool.acquire(mb3);
  EXPECT_EQ(b, a) << "the released buffer of the same size comes back";
  EXPECT_EQ(pool.stats().reused, s0.reused + 1);
  void* other = pool.acquire(mb3 + 4096);  // another size: freshly mapped
  EXPECT_NE(other, a);

  // Three idle 3 MiB buffers do not fit an 8 MiB budget: the oldest is unmapped.
  void* c = pool.acquire(mb3);
  pool.release(b, mb3);
  pool.release(c, mb3);
  pool.release(other, mb3 + 4096);
  EXPECT_LE(pool.idle_bytes(), size_t{8} << 20);
  EXPECT_GE(pool.stats().unmapped, s0.unmapped + 1);

  // A buffer larger than the whole budget is never kept.
  void* big = pool.acquire(size_t{16} << 20);
  const size_t idle_before = pool.idle_bytes();
  pool.release(big, size_t{16} << 20);
  EXPECT_EQ(pool.idle_bytes(), idle_before);

  // Tensors go through the pool: a freed tensor's memory serves the next of its size.
  void* first = nullptr;
  {
    Tensor t = unwrap(Tensor::empty({1 << 19}));  // 2 MiB
    first = t.raw();
  }
  const Tensor again = unwrap(Tensor::empty({1 << 19}));
  EXPECT_EQ(again.raw(), first);

  pool.trim();
  EXPECT_EQ(pool.idle_bytes(), 0u);
  pool.set_idle_budget(saved_budget);
}

}  // namespace
}  // namespace ck::test
