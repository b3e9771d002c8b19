// Every optimised CPU kernel against the reference kernel, on the network's real shapes
// (the case table of tests/op_cases.cpp, shared with ck_opbench: head_dim 56; 112/224/448/896
// channels; 64-channel dilated convs; Hiera's windows and q-pooling). Spatial extents are cut
// down where the kernel's code path does not depend on them, to keep the suite fast on two
// cores. Each case requires NMSE <= 1e-10 (fp32), no
// NaN/Inf, and intact guard bytes around the optimised kernel's output.
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>

#include "backends/backend.hpp"
#include "backends/cpu/cpu_backend.hpp"
#include "op_cases.hpp"
#include "cpu_level_guard.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

constexpr double kMaxNmse = 1e-10;

TEST(OpCrossCheck, OptimisedCpuKernelsMatchReferenceOnModelShapes) {
  auto ref = make_reference_backend();
  auto cpu = make_cpu_backend();
  std::cout << std::left << std::setw(56) << "op" << std::setw(14) << "NMSE" << "max abs\n";
  for (const opcases::OpCase& c : opcases::make_op_cases(opcases::Scale::kCheck)) {
    if (c.bf16) continue;  // tests/unit/test_bf16_kernels.cpp, against the reference's emulation
    SCOPED_TRACE(c.name);
    Tensor expected = unwrap(Tensor::empty(c.out_shape));
    GuardedTensor got(c.out_shape);
    ASSERT_TRUE(c.run(*ref, expected).ok());
    const Status st = c.run(*cpu, got.tensor());
    ASSERT_TRUE(st.ok()) << st.error().message;
    const double e = nmse(got.tensor(), expected);
    std::cout << std::setw(56) << c.name << std::setw(14) << std::scientific << std::setprecision(2) << e
              << max_abs_diff(got.tensor(), expected) << "\n";
    EXPECT_LE(e, kMaxNmse);
    EXPECT_EQ(count_non_finite(got.tensor()), 0);
    EXPECT_EQ(count_non_finite(expected), 0);
    EXPECT_TRUE(got.guards_intact()) << "kernel wrote outside its output";
  }
}

// In place, maps are convolved in bands of rows; small band sizes force many bands (and bands
// of a single row) on test-sized maps, covering the halo and border-padding arithmetic. The
// network's convolutions, all channels-last.
TEST(OpCrossCheck, BandedConvolutionMatchesReference) {
  auto ref = make_reference_backend();
  const std::unique_ptr<cpu::CpuBackend> cpu_owner = unwrap(cpu::create_cpu_backend());
  cpu::CpuBackend& cpu = *cpu_owner;
  struct Case {
    int64_t c, o, h, w, k;
    Conv2dParams p;
  };
  const Case cases[] = {{64, 64, 37, 29, 3, {1, 1, 1}},  {64, 64, 37, 29, 3, {1, 2, 2}}, {64, 64, 40, 24, 3, {1, 4, 4}},
                        {64, 64, 41, 23, 3, {1, 8, 8}},  {4, 112, 64, 48, 7, {4, 3, 1}}, {7, 64, 33, 20, 3, {1, 1, 1}},
                        {64, 4, 30, 30, 1, {1, 0, 1}},   {128, 128, 21, 19, 3, {1, 2, 2}}};
  uint32_t seed = 100;
  for (const Case& c : cases) {
    for (size_t band_bytes : {size_t{1}, size_t{20000}, size_t{200000}}) {
      SCOPED_TRACE(testing::Message() << c.c << "->" << c.o << " k" << c.k << " dilation " << c.p.dilation
                                      << " stride " << c.p.stride << " band bytes " << band_bytes);
      Conv2dParams p = c.p;
      p.layout = Layout::kNHWC;
      Tensor x = random_tensor({1, c.h, c.w, c.c}, seed++), w = random_tensor({c.o, c.c, c.k, c.k}, seed++, -0.2f, 0.2f),
             b = random_tensor({c.o}, seed++);
      const Shape out = conv2d_output_shape(x.shape(), w.shape(), p);
      Tensor expected = unwrap(Tensor::empty(out));
      GuardedTensor got(out);
      ASSERT_TRUE(ref->conv2d(x, w, &b, p, expected).ok());
      cpu.set_conv_band_bytes(band_bytes);
      const Status st = cpu.conv2d(x, w, &b, p, got.tensor());
      ASSERT_TRUE(st.ok()) << st.error().message;
      EXPECT_LE(nmse(got.tensor(), expected), kMaxNmse);
      EXPECT_TRUE(got.guards_intact());
      if (out == x.shape()) {  // same shape: the in-place path too
        GuardedTensor inout(x.shape());
        std::memcpy(inout.tensor().raw(), x.raw(), x.nbytes());
        const Status sti = cpu.conv2d(inout.tensor(), w, &b, p, inout.tensor());
        ASSERT_TRUE(sti.ok()) << sti.error().message;
        EXPECT_LE(nmse(inout.tensor(), expected), kMaxNmse) << "in place";
        EXPECT_TRUE(inout.guards_intact());
        Tensor ref_inout = unwrap(x.clone());
        ASSERT_TRUE(ref->conv2d(ref_inout, w, &b, p, ref_inout).ok());
        EXPECT_LE(nmse(ref_inout, expected), 1e-14) << "reference in place";
      }
    }
  }
  // NHWC in place, in bands of every size.
  for (int d : {1, 2, 4, 8}) {
    for (size_t band_bytes : {size_t{1}, size_t{30000}, size_t{1} << 30}) {
      SCOPED_TRACE(testing::Message() << "NHWC in place, dilation " << d << ", band bytes " << band_bytes);
      const Conv2dParams p{1, d, d, Layout::kNHWC};
      Tensor x = random_tensor({1, 41, 29, 64}, seed++), w = random_tensor({64, 64, 3, 3}, seed++, -0.2f, 0.2f),
             b = random_tensor({64}, seed++);
      Tensor expected = unwrap(Tensor::empty(x.shape()));
      ASSERT_TRUE(ref->conv2d(x, w, &b, p, expected).ok());
      GuardedTensor inout(x.shape());
      std::memcpy(inout.tensor().raw(), x.raw(), x.nbytes());
      cpu.set_conv_band_bytes(band_bytes);
      const Status sti = cpu.conv2d(inout.tensor(), w, &b, p, inout.tensor());
      ASSERT_TRUE(sti.ok()) << sti.error().message;
      EXPECT_LE(nmse(inout.tensor(), expected), kMaxNmse);
      EXPECT_TRUE(inout.guards_intact());
    }
  }
  // fp32 3x3 NHWC convolutions go through Winograd tiles of each dilation phase, in steps of
  // eight image rows; in place, each thread works through a range of steps and each step's
  // rows wait one step before they are written (three threads make ranges meet inside a
  // phase). The tall map gives every dilation many steps per phase; the odd one gives phases
  // of different sizes and tiles that stick out of the image. That the Winograd path ran shows
  // in results that differ from the direct kernel's.
  const int threads_before = cpu::cpu_threads();
  for (const Shape& shape : {Shape{1, 48, 40, 64}, Shape{1, 320, 24, 64}, Shape{1, 41, 29, 64}})
  for (int d : {1, 2, 4, 8}) {
    const Conv2dParams p{1, d, d, Layout::kNHWC};
    Tensor x = random_tensor(shape, seed++), w = random_tensor({64, 64, 3, 3}, seed++, -0.2f, 0.2f),
           b = random_tensor({64}, seed++);
    Tensor expected = unwrap(Tensor::empty(x.shape())), direct = unwrap(Tensor::empty(x.shape()));
    ASSERT_TRUE(ref->conv2d(x, w, &b, p, expected).ok());
    cpu.set_winograd(false);
    ASSERT_TRUE(cpu.conv2d(x, w, &b, p, direct).ok());
    cpu.set_winograd(true);
    // The refiner's fusion: GroupNorm + ReLU of the input (statistics of x itself, as the
    // convolution before would have taken them) applied as tiles are read, and the output's
    // GroupNorm statistics taken as they are written.
    GroupStats x_stats, want_stats;
    ASSERT_TRUE(ref->group_stats(x, 8, Layout::kNHWC, x_stats).ok());
    const Tensor gamma = random_tensor({64}, seed++, 0.5f, 1.5f), beta = random_tensor({64}, seed++);
    const ConvInputNorm norm{&x_stats, &gamma, &beta, 1e-5f, true};
    Tensor expected_fused = unwrap(Tensor::empty(x.shape()));
    ASSERT_TRUE(ref->conv2d(x, w, &b, p, expected_fused, {&norm, &want_stats, 8}).ok());
    for (bool in_place : {false, true}) {
      for (bool fused : {false, true}) {
        std::optional<Tensor> first_thread_count;
        GroupStats first_stats;
        for (int threads : {1, 2, 3}) {
          SCOPED_TRACE(testing::Message() << "Winograd, " << shape[1] << "x" << shape[2] << ", dilation " << d
                                          << (in_place ? ", in place" : "") << (fused ? ", fused" : "") << ", "
                                          << threads << " threads");
          cpu.set_num_threads(threads);
          GuardedTensor out(x.shape());
          if (in_place) std::memcpy(out.tensor().raw(), x.raw(), x.nbytes());
          GroupStats got_stats;
          const ConvFusion fusion = fused ? ConvFusion{&norm, &got_stats, 8} : ConvFusion{};
          const Status st = cpu.conv2d(in_place ? out.tensor() : x, w, &b, p, out.tensor(), fusion);
          ASSERT_TRUE(st.ok()) << st.error().message;
          EXPECT_LE(nmse(out.tensor(), fused ? expected_fused : expected), kMaxNmse);
          EXPECT_TRUE(out.guards_intact());
          if (!first_thread_count) {
            first_thread_count = unwrap(out.tensor().clone());
            first_stats = got_stats;
          } else {
            EXPECT_EQ(max_abs_diff(out.tensor(), *first_thread_count), 0.0) << "depends on the thread count";
            EXPECT_EQ(got_stats.host.mean, first_stats.host.mean);
            EXPECT_EQ(got_stats.host.var, first_stats.host.var);
          }
          if (!fused) {
            EXPECT_GT(max_abs_diff(out.tensor(), direct), 0.0) << "the Winograd path did not run";
            continue;
          }
          ASSERT_EQ(got_stats.host.mean.size(), 8u);
          for (size_t g = 0; g < 8; ++g) {
            EXPECT_NEAR(got_stats.host.mean[g], want_stats.host.mean[g], 1e-5 * std::sqrt(want_stats.host.var[g])) << "group " << g;
            EXPECT_NEAR(got_stats.host.var[g], want_stats.host.var[g], 1e-5 * want_stats.host.var[g]) << "group " << g;
          }
        }
      }
    }
  }
  // Channel counts other than the refiner's (32 -> 48: column blocks of 16 in the GEMM; 16 ->
  // 16 in place), and maps smaller than a tile or than the dilation (phases without pixels).
  struct SmallCase {
    int64_t h, w, c, o;
    int d;
  };
  for (const SmallCase& sc : {SmallCase{21, 18, 32, 48, 2}, SmallCase{3, 5, 16, 16, 4}, SmallCase{1, 1, 16, 16, 1},
                              SmallCase{2, 9, 16, 32, 8}}) {
    SCOPED_TRACE(testing::Message() << "Winograd " << sc.h << "x" << sc.w << ", " << sc.c << "->" << sc.o
                                    << ", dilation " << sc.d);
    const Conv2dParams p{1, sc.d, sc.d, Layout::kNHWC};
    Tensor x = random_tensor({1, sc.h, sc.w, sc.c}, seed++), w = random_tensor({sc.o, sc.c, 3, 3}, seed++, -0.2f, 0.2f);
    Tensor expected = unwrap(Tensor::empty({1, sc.h, sc.w, sc.o}));
    GroupStats want_stats, got_stats;
    ASSERT_TRUE(ref->conv2d(x, w, nullptr, p, expected, {nullptr, &want_stats, 4}).ok());
    GuardedTensor out({1, sc.h, sc.w, sc.o});
    ASSERT_TRUE(cpu.conv2d(x, w, nullptr, p, out.tensor(), {nullptr, &got_stats, 4}).ok());
    EXPECT_LE(nmse(out.tensor(), expected), kMaxNmse);
    EXPECT_TRUE(out.guards_intact());
    ASSERT_EQ(got_stats.host.mean.size(), 4u);
    for (size_t g = 0; g < 4; ++g) {
      EXPECT_NEAR(got_stats.host.mean[g], want_stats.host.mean[g], 1e-5 * std::sqrt(want_stats.host.var[g]) + 1e-7) << "group " << g;
      EXPECT_NEAR(got_stats.host.var[g], want_stats.host.var[g], 1e-5 * want_stats.host.var[g] + 1e-7) << "group " << g;
    }
    if (sc.c == sc.o) {
      GuardedTensor inout({1, sc.h, sc.w, sc.c});
      std::memcpy(inout.tensor().raw(), x.raw(), x.nbytes());
      ASSERT_TRUE(cpu.conv2d(inout.tensor(), w, nullptr, p, inout.tensor()).ok());
      EXPECT_LE(nmse(inout.tensor(), expected), kMaxNmse) << "in place";
      EXPECT_TRUE(inout.guards_intact());
    }
  }
  cpu.set_num_threads(threads_before);
  cpu.set_conv_band_bytes(size_t{64} << 20);
  // Partly overlapping input and output is refused.
  Tensor big = random_tensor({1, 64, 20, 20}, 7);
  Tensor shifted = Tensor::wrap(big.data<float>() + 400, {1, 63, 20, 20}, DType::F32, big.owner());
  Tensor w63 = random_tensor({63, 64, 3, 3}, 9);
  const Status st = cpu.conv2d(big, w63, nullptr, {1, 1, 1}, shifted);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("overlaps"), std::string::npos);
}

TEST(OpCrossCheck, ResultsDoNotDependOnThreadCount) {
  auto cpu = make_cpu_backend();
  for (const opcases::OpCase& c : opcases::make_op_cases(opcases::Scale::kCheck)) {
    if (c.bf16) continue;  // tests/unit/test_bf16_kernels.cpp, against the reference's emulation
    SCOPED_TRACE(c.name);
    Tensor one = unwrap(Tensor::empty(c.out_shape)), two = unwrap(Tensor::empty(c.out_shape));
    cpu->set_num_threads(1);
    ASSERT_TRUE(c.run(*cpu, one).ok());
    cpu->set_num_threads(2);
    ASSERT_TRUE(c.run(*cpu, two).ok());
    // oneDNN may split reductions differently per thread count: allow float rounding only.
    double scale = 1.0;
    for (int64_t i = 0; i < one.numel(); ++i) scale = std::max(scale, std::fabs(static_cast<double>(one.data<float>()[i])));
    EXPECT_LE(max_abs_diff(one, two), 1e-6 * scale);
  }
}

}  // namespace
}  // namespace ck::test
