// The bf16 precision mode's kernels (linear and NHWC convolution with BF16 weights) on the
// CPU backend against the reference backend's exact emulation: input rounded to bf16, then
// products accumulated in double. Products of two bf16 values are exact in fp32, so the only
// difference left is fp32 summation order, and the fp32 bar applies. Skipped on CPUs
// without AVX512-BF16, where the CPU backend refuses BF16 weights.
#include <cmath>
#include <cstring>

#include "backends/backend.hpp"
#include "backends/cpu/cpu_backend.hpp"
#include "cpu_level_guard.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

constexpr double kMaxNmse = 1e-10;

Tensor bf16_weight(const Shape& shape, uint32_t seed, float range) {
  return unwrap(random_tensor(shape, seed, -range, range).to(DType::BF16));
}

class Bf16Kernels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cpu_.bf16_supported()) GTEST_SKIP() << "this CPU has no AVX512-BF16 (or CORRIDORKEY_CPU_LEVEL is below it)";
  }
  std::unique_ptr<Backend> ref_ = make_reference_backend();
  std::unique_ptr<cpu::CpuBackend> cpu_owner_ = unwrap(cpu::create_cpu_backend());
  cpu::CpuBackend& cpu_ = *cpu_owner_;
};

TEST_F(Bf16Kernels, LinearMatchesEmulationOnStageShapes) {
  struct Case {
    int64_t m, k, n;
  };
  uint32_t seed = 1;
  for (const Case c : {Case{200, 448, 1344}, Case{128, 1792, 448}, Case{32, 896, 3584}, Case{256, 224, 256}}) {
    SCOPED_TRACE(testing::Message() << c.m << "x" << c.k << " -> " << c.n);
    const Tensor x = random_tensor({c.m, c.k}, seed++, -3.0f, 3.0f), w = bf16_weight({c.n, c.k}, seed++, 0.1f),
                 b = random_tensor({c.n}, seed++);
    Tensor want = unwrap(Tensor::empty({c.m, c.n}));
    GuardedTensor got({c.m, c.n});
    ASSERT_TRUE(ref_->linear(x, w, &b, want).ok());
    const Status st = cpu_.linear(x, w, &b, got.tensor());
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_LE(nmse(got.tensor(), want), kMaxNmse);
    EXPECT_TRUE(got.guards_intact());
    // It is bf16 arithmetic, not fp32: the fp32 product of the same values differs.
    Tensor fp32 = unwrap(Tensor::empty({c.m, c.n}));
    ASSERT_TRUE(ref_->linear(x, unwrap(w.to(DType::F32)), &b, fp32).ok());
    EXPECT_GT(max_abs_diff(want, fp32), 1e-4);
    // With the block's epilogues fused into the bf16 GEMM: GELU, then a residual.
    const Tensor r = random_tensor({c.m, c.n}, seed++, -2.0f, 2.0f);
    for (const LinearEpilogue ep : {LinearEpilogue{.gelu = true}, LinearEpilogue{.residual = &r}}) {
      ASSERT_TRUE(ref_->linear(x, w, &b, want, ep).ok());
      ASSERT_TRUE(cpu_.linear(x, w, &b, got.tensor(), ep).ok());
      EXPECT_LE(nmse(got.tensor(), want), kMaxNmse) << (ep.gelu ? "gelu" : "residual");
    }
  }
}

TEST_F(Bf16Kernels, NhwcConvolutionMatchesEmulationOutOfPlaceAndInBands) {
  uint32_t seed = 50;
  struct Case {
    int64_t c, o, k;
    int dilation;
  };
  for (const Case c : {Case{7, 64, 3, 1}, Case{7, 16, 3, 1}, Case{16, 16, 3, 2}, Case{64, 64, 3, 1}, Case{64, 64, 3, 2}, Case{64, 64, 3, 4},
                       Case{64, 64, 3, 8}}) {
    const Conv2dParams p{1, c.dilation, c.dilation, Layout::kNHWC};
    const Tensor x = random_tensor({1, 37, 29, c.c}, seed++, -2.0f, 2.0f), w = bf16_weight({c.o, c.c, 3, 3}, seed++, 0.2f),
                 b = random_tensor({c.o}, seed++);
    Tensor want = unwrap(Tensor::empty({1, 37, 29, c.o}));
    ASSERT_TRUE(ref_->conv2d(x, w, &b, p, want).ok());
    SCOPED_TRACE(testing::Message() << c.c << "->" << c.o << " dilation " << c.dilation);
    GuardedTensor got({1, 37, 29, c.o});
    const Status st = cpu_.conv2d(x, w, &b, p, got.tensor());
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_LE(nmse(got.tensor(), want), kMaxNmse) << "out of place";
    EXPECT_TRUE(got.guards_intact());
    if (c.c != c.o) continue;
    for (size_t band_bytes : {size_t{1}, size_t{40000}, size_t{1} << 30}) {
      SCOPED_TRACE(testing::Message() << "in place, band bytes " << band_bytes);
      GuardedTensor inout(x.shape());
      std::memcpy(inout.tensor().raw(), x.raw(), x.nbytes());
      cpu_.set_conv_band_bytes(band_bytes);
      const Status sti = cpu_.conv2d(inout.tensor(), w, &b, p, inout.tensor());
      ASSERT_TRUE(sti.ok()) << sti.error().message;
      EXPECT_LE(nmse(inout.tensor(), want), kMaxNmse);
      EXPECT_TRUE(inout.guards_intact());
    }
  }
}

// Global attention in bf16 (stage 2 and 3 blocks, with and without q pooling). The CPU
// exponentials come from a 2-ulp exp where the reference uses double: one weight in some
// ten thousand lands on the other side of a bf16 rounding boundary (a 2^-8 step), hence a
// bar ten times the GEMMs'.
TEST_F(Bf16Kernels, GlobalAttentionMatchesEmulation) {
  struct Case {
    int grid, heads, head_dim;
    bool q_pool;
  };
  uint32_t seed = 300;
  // Besides the network's shapes: key counts that are no multiple of the kernel's 64-key
  // blocks, odd head sizes (a zero-padded pair), value widths of 8, 40 and 72 columns (half a
  // vector after 0, 2 and 4 whole ones) and query blocks with 1-5 rows left over.
  for (const Case c : {Case{16, 8, 56, false}, Case{16, 4, 56, true}, Case{8, 16, 56, false}, Case{4, 4, 8, false},
                       Case{4, 8, 8, true}, Case{6, 3, 7, false}, Case{10, 2, 72, true}, Case{14, 2, 40, false},
                       Case{7, 1, 33, false}}) {
    SCOPED_TRACE(testing::Message() << "grid " << c.grid << ", " << c.heads << " heads of " << c.head_dim
                                    << ", q_pool " << c.q_pool);
    AttentionParams p;
    p.heads = c.heads;
    p.head_dim = c.head_dim;
    p.grid_h = p.grid_w = p.window_h = p.window_w = c.grid;
    p.q_pool = c.q_pool;
    p.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    p.bf16 = true;
    const int64_t tokens = int64_t{c.grid} * c.grid, dim = int64_t{c.heads} * c.head_dim;
    const int64_t out_tokens = c.q_pool ? tokens / 4 : tokens;
    const Tensor qkv = random_tensor({tokens, 3 * dim}, seed++, -2.0f, 2.0f);
    Tensor want = unwrap(Tensor::empty({out_tokens, dim}));
    GuardedTensor got({out_tokens, dim});
    ASSERT_TRUE(ref_->attention(qkv, p, want).ok());
    const Status st = cpu_.attention(qkv, p, got.tensor());
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_LE(nmse(got.tensor(), want), 10 * kMaxNmse);
    EXPECT_TRUE(got.guards_intact());
    // And it is bf16: the fp32 attention of the same input differs by more.
    p.bf16 = false;
    Tensor fp32 = unwrap(Tensor::empty({out_tokens, dim}));
    ASSERT_TRUE(ref_->attention(qkv, p, fp32).ok());
    EXPECT_GT(nmse(fp32, want), 1e-7);
  }
  // Windowed attention has no bf16 path.
  AttentionParams w;
  w.heads = 2;
  w.head_dim = 56;
  w.grid_h = w.grid_w = 16;
  w.window_h = w.window_w = 8;
  w.bf16 = true;
  const Tensor qkv = random_tensor({256, 3 * 112}, 1);
  Tensor out = unwrap(Tensor::empty({256, 112}));
  const Status st = cpu_.attention(qkv, w, out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("global attention only"), std::string::npos) << st.error().message;
}

TEST_F(Bf16Kernels, UnsupportedCombinationsAreReported) {
  // NCHW maps have no bf16 path; other ops take no BF16 tensors at all.
  const Tensor x = random_tensor({1, 8, 10, 10}, 1), w = bf16_weight({8, 8, 3, 3}, 2, 0.2f);
  Tensor y = unwrap(Tensor::empty({1, 8, 10, 10}));
  Status st = cpu_.conv2d(x, w, nullptr, {1, 1, 1}, y);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("NHWC"), std::string::npos) << st.error().message;
  const Tensor xb = unwrap(x.to(DType::BF16));
  st = cpu_.conv2d(xb, w, nullptr, {1, 1, 1, Layout::kNHWC}, y);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("BF16"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("input"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace ck::test
