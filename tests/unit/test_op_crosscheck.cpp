// Every optimised CPU kernel against the reference kernel, on the network's real shapes
// (head_dim 56; 112/224/448/896 channels; 64-channel dilated convs; Hiera's windows and
// q-pooling). Spatial extents are cut down where the kernel's code path does not depend on
// them, to keep the suite fast on two cores. Each case requires NMSE <= 1e-10 (fp32), no
// NaN/Inf, and intact guard bytes around the optimised kernel's output.
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>

#include "backends/backend.hpp"
#include "backends/cpu/cpu_backend.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

constexpr double kMaxNmse = 1e-10;

struct OpCase {
  std::string name;
  Shape out_shape;
  // Runs the op on `b` writing `out`; inputs are captured by the case.
  std::function<Status(Backend& b, Tensor& out)> run;
};

std::vector<OpCase> make_cases() {
  std::vector<OpCase> cases;
  uint32_t seed = 1;
  auto rnd = [&](const Shape& s, float lo = -1.0f, float hi = 1.0f) { return random_tensor(s, seed++, lo, hi); };

  auto linear = [&](const std::string& name, int64_t m, int64_t k, int64_t n, bool bias) {
    Tensor x = rnd({m, k}), w = rnd({n, k}, -0.1f, 0.1f), b = rnd({n});
    cases.push_back({name, {m, n}, [=](Backend& be, Tensor& y) { return be.linear(x, w, bias ? &b : nullptr, y); }});
  };
  linear("linear qkv stage0 112->336", 1024, 112, 336, true);
  linear("linear pool-proj 112->224", 256, 112, 224, true);
  linear("linear mlp.fc1 stage2 448->1792", 512, 448, 1792, true);
  linear("linear mlp.fc2 stage3 3584->896", 64, 3584, 896, true);
  linear("linear decoder c4 896->256 (no bias)", 256, 896, 256, false);
  // The block's fused epilogues: GELU after fc1, the residual added by attn_proj and fc2.
  {
    Tensor x = rnd({512, 448}), w = rnd({1792, 448}, -0.1f, 0.1f), b = rnd({1792});
    cases.push_back({"linear mlp.fc1 + gelu", {512, 1792},
                     [=](Backend& be, Tensor& y) { return be.linear(x, w, &b, y, {.gelu = true}); }});
    Tensor h = rnd({512, 1792}), w2 = rnd({448, 1792}, -0.05f, 0.05f), b2 = rnd({448}), r = rnd({512, 448}, -4.0f, 4.0f);
    cases.push_back({"linear mlp.fc2 + residual", {512, 448},
                     [=](Backend& be, Tensor& y) { return be.linear(h, w2, &b2, y, {.residual = &r}); }});
    cases.push_back({"linear + gelu + residual", {512, 1792}, [=](Backend& be, Tensor& y) {
                       Tensor r2 = unwrap(Tensor::empty({512, 1792}));
                       std::fill_n(r2.data<float>(), r2.numel(), 0.25f);
                       return be.linear(x, w, nullptr, y, {.gelu = true, .residual = &r2});
                     }});
  }

  auto conv = [&](const std::string& name, Shape xs, int64_t o, int64_t k, Conv2dParams p, bool bias) {
    Tensor x = rnd(xs), w = rnd({o, xs[1], k, k}, -0.2f, 0.2f), b = rnd({o});
    cases.push_back({name, conv2d_output_shape(xs, w.shape(), p), [=](Backend& be, Tensor& y) { return be.conv2d(x, w, bias ? &b : nullptr, p, y); }});
  };
  conv("conv patch_embed 7x7 s4 p3 4->112", {1, 4, 128, 128}, 112, 7, {4, 3, 1}, true);
  conv("conv refiner stem 3x3 7->64", {1, 7, 64, 64}, 64, 3, {1, 1, 1}, true);
  for (int d : {1, 2, 4, 8}) {
    conv("conv refiner 3x3 dilation " + std::to_string(d) + " 64->64", {1, 64, 48, 40}, 64, 3, {1, d, d}, true);
  }
  conv("conv linear_fuse 1x1 1024->256", {1, 1024, 16, 16}, 256, 1, {}, false);
  // The refiner runs channels-last: x (N, H, W, C) -> y (N, Ho, Wo, O).
  auto conv_nhwc = [&](const std::string& name, Shape xs, int64_t o, int64_t k, Conv2dParams p) {
    p.layout = Layout::kNHWC;
    Tensor x = rnd(xs), w = rnd({o, xs[3], k, k}, -0.2f, 0.2f), b = rnd({o});
    cases.push_back({name, conv2d_output_shape(xs, w.shape(), p), [=](Backend& be, Tensor& y) { return be.conv2d(x, w, &b, p, y); }});
  };
  conv_nhwc("conv NHWC refiner stem 3x3 7->64", {1, 45, 37, 7}, 64, 3, {1, 1, 1});
  for (int d : {1, 2, 4, 8}) {
    conv_nhwc("conv NHWC refiner 3x3 dilation " + std::to_string(d) + " 64->64", {1, 48, 40, 64}, 64, 3, {1, d, d});
  }
  conv_nhwc("conv NHWC refiner.final 1x1 64->4", {1, 40, 33, 64}, 4, 1, {1, 0, 1});
  conv_nhwc("conv NHWC 1x1 20->8", {1, 9, 11, 20}, 8, 1, {1, 0, 1});
  conv_nhwc("conv NHWC 1x1 20->9 (oneDNN)", {1, 9, 11, 20}, 9, 1, {1, 0, 1});
  conv("conv classifier 1x1 256->3", {1, 256, 32, 32}, 3, 1, {}, true);
  conv("conv refiner.final 1x1 64->4", {1, 64, 64, 64}, 4, 1, {}, true);

  for (int64_t c : {112, 224, 448, 896}) {
    Tensor x = rnd({256, c}, -3.0f, 5.0f), w = rnd({c}), b = rnd({c});
    cases.push_back({"layer_norm C=" + std::to_string(c), {256, c},
                     [=](Backend& be, Tensor& y) { return be.layer_norm(x, w, b, 1e-6f, y); }});
  }
  {
    // Offset inputs: one-pass E[x^2] - mean^2 would lose digits here; two-pass does not.
    Tensor x = rnd({1, 64, 96, 80}, 2.0f, 4.0f), w = rnd({64}), b = rnd({64});
    cases.push_back({"group_norm 8 groups 64ch", {1, 64, 96, 80},
                     [=](Backend& be, Tensor& y) { return be.group_norm(x, 8, w, b, 1e-5f, y); }});
  }
  {
    // NHWC, more pixels than one statistics chunk, offset values.
    Tensor x = rnd({1, 67, 45, 64}, 2.0f, 4.0f), w = rnd({64}), b = rnd({64});
    cases.push_back({"group_norm NHWC 8 groups 64ch", {1, 67, 45, 64},
                     [=](Backend& be, Tensor& y) { return be.group_norm(x, 8, w, b, 1e-5f, y, Layout::kNHWC); }});
    Tensor centred = rnd({1, 67, 45, 64}, -2.0f, 2.0f);
    cases.push_back({"group_norm NHWC + relu", {1, 67, 45, 64}, [=](Backend& be, Tensor& y) {
                       return be.group_norm(centred, 8, w, b, 1e-5f, y, Layout::kNHWC, true);
                     }});
    Tensor residual = rnd({1, 67, 45, 64}, -2.0f, 2.0f);
    cases.push_back({"group_norm NHWC + residual + relu", {1, 67, 45, 64}, [=](Backend& be, Tensor& y) {
                       return be.group_norm(centred, 8, w, b, 1e-5f, y, Layout::kNHWC, true, &residual);
                     }});
    Tensor planar = rnd({1, 64, 30, 20}, -2.0f, 2.0f), planar_residual = rnd({1, 64, 30, 20});
    cases.push_back({"group_norm NCHW + residual", {1, 64, 30, 20}, [=](Backend& be, Tensor& y) {
                       return be.group_norm(planar, 8, w, b, 1e-5f, y, Layout::kNCHW, false, &planar_residual);
                     }});
    cases.push_back({"group_norm NCHW + relu", {1, 64, 30, 20}, [=](Backend& be, Tensor& y) {
                       return be.group_norm(planar, 8, w, b, 1e-5f, y, Layout::kNCHW, true);
                     }});
  }
  for (UnaryOp op : {UnaryOp::kGelu, UnaryOp::kRelu, UnaryOp::kSigmoid}) {
    Tensor x = rnd({1, 448, 32, 32}, -8.0f, 8.0f);
    cases.push_back({std::string(unary_op_name(op)) + " 448x32x32", x.shape(),
                     [=](Backend& be, Tensor& y) { return be.unary(op, x, y); }});
  }

  auto attn = [&](const std::string& name, int grid, int heads, int window, bool q_pool) {
    AttentionParams p;
    p.heads = heads;
    p.head_dim = 56;
    p.grid_h = p.grid_w = grid;
    p.window_h = p.window_w = window;
    p.q_pool = q_pool;
    p.scale = 1.0f / std::sqrt(56.0f);
    Tensor qkv = rnd({static_cast<int64_t>(grid) * grid, 3LL * heads * 56}, -2.0f, 2.0f);
    const int64_t out_tokens = q_pool ? static_cast<int64_t>(grid / 2) * (grid / 2) : static_cast<int64_t>(grid) * grid;
    cases.push_back({name, {out_tokens, static_cast<int64_t>(heads) * 56},
                     [=](Backend& be, Tensor& y) { return be.attention(qkv, p, y); }});
  };
  attn("attention blocks 0-1: 8x8 windows, 2 heads", 32, 2, 8, false);
  attn("attention block 2: 8x8 windows, q-pooled, 4 heads", 32, 4, 8, true);
  attn("attention blocks 3-4: 4x4 windows, 4 heads", 16, 4, 4, false);
  attn("attention block 5: 4x4 windows, q-pooled, 8 heads", 16, 8, 4, true);
  attn("attention blocks 6-20: global 1024 tokens, 8 heads", 32, 8, 32, false);
  attn("attention block 21: global, q-pooled, 16 heads", 32, 16, 32, true);
  attn("attention blocks 22-23: global 256 tokens, 16 heads", 16, 16, 16, false);

  {
    Tensor x = rnd({1, 32, 32, 224});
    cases.push_back({"max_pool2x2 32x32x224 (tokens)", {1, 16, 16, 224},
                     [=](Backend& be, Tensor& y) { return be.max_pool2x2(x, y); }});
  }
  auto resize = [&](const std::string& name, Shape in, int64_t ho, int64_t wo, bool cubic) {
    Tensor x = rnd(in);
    cases.push_back({name, {in[0], in[1], ho, wo}, [=](Backend& be, Tensor& y) {
                       return cubic ? be.resize_bicubic(x, y) : be.resize_bilinear(x, y);
                     }});
  };
  {
    // The decoders' sum: y (S/4 map, channels-last) plus three coarser maps upsampled x2, x4,
    // x8, then ReLU; and a non-integer ratio without the ReLU.
    Tensor y0 = rnd({1, 32, 24, 40}), a = rnd({1, 16, 12, 40}), b = rnd({1, 8, 6, 40}), c = rnd({1, 4, 3, 40});
    Tensor odd = rnd({1, 7, 5, 40});
    cases.push_back({"add_resized_bilinear x2 x4 x8 + relu (NHWC)", y0.shape(), [=](Backend& be, Tensor& y) {
                       std::memcpy(y.raw(), y0.raw(), y0.nbytes());
                       const Tensor* parts[] = {&a, &b, &c};
                       return be.add_resized_bilinear(parts, y, true);
                     }});
    cases.push_back({"add_resized_bilinear non-integer (NHWC)", y0.shape(), [=](Backend& be, Tensor& y) {
                       std::memcpy(y.raw(), y0.raw(), y0.nbytes());
                       const Tensor* parts[] = {&odd};
                       return be.add_resized_bilinear(parts, y, false);
                     }});
  }
  resize("bilinear decoder c4 x8 up 256ch", {1, 256, 16, 16}, 128, 128, false);
  resize("bilinear logits x4 up", {1, 3, 128, 128}, 512, 512, false);
  resize("bilinear non-integer down", {1, 3, 100, 60}, 37, 23, false);
  resize("bicubic pos_embed 512->128 grid", {1, 112, 512, 512}, 128, 128, true);
  resize("bicubic pos_embed 512->256 grid", {1, 112, 512, 512}, 256, 256, true);
  resize("bicubic upscale 16->40", {1, 8, 16, 16}, 40, 40, true);
  {
    Tensor a = rnd({1, 256, 32, 32}), b = rnd({1, 256, 32, 32}), c = rnd({1, 256, 32, 32}), d = rnd({1, 256, 32, 32});
    cases.push_back({"concat 4x256 channels", {1, 1024, 32, 32}, [=](Backend& be, Tensor& y) {
                       const Tensor* xs[] = {&a, &b, &c, &d};
                       return be.concat(xs, 1, y);
                     }});
    Tensor img = rnd({1, 3, 64, 64}), coarse = rnd({1, 4, 64, 64});
    cases.push_back({"concat refiner input 3+4", {1, 7, 64, 64}, [=](Backend& be, Tensor& y) {
                       const Tensor* xs[] = {&img, &coarse};
                       return be.concat(xs, 1, y);
                     }});
  }
  {
    Tensor a = rnd({1, 64, 128, 128}), b = rnd({1, 64, 128, 128});
    cases.push_back({"add 64x128x128", a.shape(), [=](Backend& be, Tensor& y) { return be.add(a, b, y); }});
    Tensor tokens = rnd({4096, 112}), map = rnd({256, 33 * 35});
    cases.push_back({"transpose tokens 4096x112 -> NCHW", {112, 4096},
                     [=](Backend& be, Tensor& y) { return be.transpose(tokens, y); }});
    cases.push_back({"transpose NCHW 256x(33x35) -> tokens", {33 * 35, 256},
                     [=](Backend& be, Tensor& y) { return be.transpose(map, y); }});
  }
  return cases;
}

TEST(OpCrossCheck, OptimisedCpuKernelsMatchReferenceOnModelShapes) {
  auto ref = make_reference_backend();
  auto cpu = make_cpu_backend();
  std::cout << std::left << std::setw(56) << "op" << std::setw(14) << "NMSE" << "max abs\n";
  for (const OpCase& c : make_cases()) {
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

// Large maps are convolved in bands of rows; small band sizes force many bands (and bands
// of a single row) on test-sized maps, covering the halo and border-padding arithmetic.
TEST(OpCrossCheck, BandedConvolutionMatchesReference) {
  auto ref = make_reference_backend();
  cpu::CpuBackend cpu;
  struct Case {
    int64_t c, o, h, w, k;
    Conv2dParams p;
  };
  const Case cases[] = {{64, 64, 37, 29, 3, {1, 1, 1}},  {64, 64, 37, 29, 3, {1, 2, 2}}, {64, 64, 40, 24, 3, {1, 4, 4}},
                        {64, 64, 41, 23, 3, {1, 8, 8}},  {4, 112, 64, 48, 7, {4, 3, 1}}, {7, 64, 33, 20, 3, {1, 1, 1}},
                        {64, 4, 30, 30, 1, {1, 0, 1}}};
  uint32_t seed = 100;
  for (const Case& c : cases) {
    for (size_t band_bytes : {size_t{1}, size_t{20000}, size_t{200000}}) {
      SCOPED_TRACE(testing::Message() << c.c << "->" << c.o << " k" << c.k << " dilation " << c.p.dilation
                                      << " stride " << c.p.stride << " band bytes " << band_bytes);
      Tensor x = random_tensor({1, c.c, c.h, c.w}, seed++), w = random_tensor({c.o, c.c, c.k, c.k}, seed++, -0.2f, 0.2f),
             b = random_tensor({c.o}, seed++);
      const Shape out = conv2d_output_shape(x.shape(), w.shape(), c.p);
      Tensor expected = unwrap(Tensor::empty(out));
      GuardedTensor got(out);
      ASSERT_TRUE(ref->conv2d(x, w, &b, c.p, expected).ok());
      cpu.set_conv_band_bytes(band_bytes);
      const Status st = cpu.conv2d(x, w, &b, c.p, got.tensor());
      ASSERT_TRUE(st.ok()) << st.error().message;
      EXPECT_LE(nmse(got.tensor(), expected), kMaxNmse);
      EXPECT_TRUE(got.guards_intact());
      if (out == x.shape()) {  // same shape: the in-place path too
        GuardedTensor inout({1, c.c, c.h, c.w});
        std::memcpy(inout.tensor().raw(), x.raw(), x.nbytes());
        const Status sti = cpu.conv2d(inout.tensor(), w, &b, c.p, inout.tensor());
        ASSERT_TRUE(sti.ok()) << sti.error().message;
        EXPECT_LE(nmse(inout.tensor(), expected), kMaxNmse) << "in place";
        EXPECT_TRUE(inout.guards_intact());
        Tensor ref_inout = unwrap(x.clone());
        ASSERT_TRUE(ref->conv2d(ref_inout, w, &b, c.p, ref_inout).ok());
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
  for (const OpCase& c : make_cases()) {
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
