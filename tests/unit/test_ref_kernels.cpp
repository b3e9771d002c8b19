// The reference kernels against values worked out by hand, so the oracle is itself checked.
#include "backends/backend.hpp"
#include "model/batchnorm_fold.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

Tensor from(const Shape& s, std::vector<float> v) {
  Tensor t = unwrap(Tensor::empty(s));
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

class RefKernels : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> ref = make_reference_backend();
};

TEST_F(RefKernels, LinearUsesPyTorchWeightLayout) {
  Tensor x = from({1, 2}, {1, 2}), w = from({3, 2}, {1, 0, 0, 1, 1, 1}), b = from({3}, {0.5f, 0, -1});
  Tensor y = unwrap(Tensor::empty({1, 3}));
  ASSERT_TRUE(ref->linear(x, w, &b, y).ok());
  EXPECT_FLOAT_EQ(y.data<float>()[0], 1.5f);
  EXPECT_FLOAT_EQ(y.data<float>()[1], 2.0f);
  EXPECT_FLOAT_EQ(y.data<float>()[2], 2.0f);
}

TEST_F(RefKernels, DilatedConvReadsSpacedTaps) {
  // A 3x3 kernel with only its corner tap set, dilation 2, padding 2: y[i,j] = x[i-2, j-2].
  Tensor x = random_tensor({1, 1, 6, 6}, 3);
  Tensor w = unwrap(Tensor::zeros({1, 1, 3, 3}));
  w.data<float>()[0] = 1.0f;
  Tensor y = unwrap(Tensor::empty({1, 1, 6, 6}));
  ASSERT_TRUE(ref->conv2d(x, w, nullptr, {1, 2, 2}, y).ok());
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) {
      const float want = (i >= 2 && j >= 2) ? x.data<float>()[(i - 2) * 6 + j - 2] : 0.0f;
      EXPECT_FLOAT_EQ(y.data<float>()[i * 6 + j], want);
    }
  }
}

TEST_F(RefKernels, GeluIsTheExactErfForm) {
  Tensor x = from({3}, {1.0f, -1.0f, 0.0f}), y = unwrap(Tensor::empty({3}));
  ASSERT_TRUE(ref->unary(UnaryOp::kGelu, x, y).ok());
  EXPECT_NEAR(y.data<float>()[0], 0.8413447460685429, 1e-7);
  EXPECT_NEAR(y.data<float>()[1], -0.15865525393145707, 1e-7);
  EXPECT_EQ(y.data<float>()[2], 0.0f);
}

TEST_F(RefKernels, LayerNormNormalisesRows) {
  Tensor x = from({1, 4}, {1, 2, 3, 4}), w = from({4}, {1, 1, 1, 1}), b = from({4}, {0, 0, 0, 0});
  Tensor y = unwrap(Tensor::empty({1, 4}));
  ASSERT_TRUE(ref->layer_norm(x, w, b, 0.0f, y).ok());
  EXPECT_NEAR(y.data<float>()[0], -1.3416407865, 1e-6);
  EXPECT_NEAR(y.data<float>()[3], 1.3416407865, 1e-6);
}

TEST_F(RefKernels, BicubicQuarterResizeIsTheFourTapFilter) {
  // Bicubic (A = -0.75) at an exact /4: each output is [-0.09375, 0.59375, 0.59375, -0.09375]
  // over 4 inputs (the weights at distances 1.5, 0.5, 0.5, 1.5).
  Tensor x = random_tensor({1, 1, 1, 16}, 5);
  Tensor y = unwrap(Tensor::empty({1, 1, 1, 4}));
  Tensor x2 = unwrap(Tensor::empty({1, 1, 2, 16}));
  for (int r = 0; r < 2; ++r) std::copy(x.data<float>(), x.data<float>() + 16, x2.data<float>() + r * 16);
  Tensor y2 = unwrap(Tensor::empty({1, 1, 2, 4}));
  ASSERT_TRUE(ref->resize_bicubic(x2, y2).ok());
  const float* in = x.data<float>();
  for (int o = 1; o < 3; ++o) {  // interior outputs (edges replicate the border)
    const double want = -0.09375 * in[4 * o] + 0.59375 * in[4 * o + 1] + 0.59375 * in[4 * o + 2] - 0.09375 * in[4 * o + 3];
    EXPECT_NEAR(y2.data<float>()[o], want, 1e-6);
  }
}

TEST_F(RefKernels, BilinearUpsampleUsesHalfPixelCentres) {
  Tensor x = from({1, 1, 2, 1}, {0, 1}), y = unwrap(Tensor::empty({1, 1, 4, 1}));  // channels-last
  ASSERT_TRUE(ref->resize_bilinear(x, y).ok());
  const float want[] = {0.0f, 0.25f, 0.75f, 1.0f};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y.data<float>()[i], want[i]);
}

TEST_F(RefKernels, AttentionWithIdenticalKeysAveragesValues) {
  // One head, head_dim 1, one 2x2 window: equal scores give the mean of the values.
  AttentionParams p;
  p.grid_h = p.grid_w = p.window_h = p.window_w = 2;
  Tensor qkv = from({4, 3}, {1, 0, 1, 2, 0, 2, 3, 0, 3, 4, 0, 6});
  Tensor out = unwrap(Tensor::empty({4, 1}));
  ASSERT_TRUE(ref->attention(qkv, p, out).ok());
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(out.data<float>()[i], 3.0f);
  // q-pooled: one query (max of the four q) over the same keys.
  p.q_pool = true;
  Tensor pooled = unwrap(Tensor::empty({1, 1}));
  ASSERT_TRUE(ref->attention(qkv, p, pooled).ok());
  EXPECT_FLOAT_EQ(pooled.data<float>()[0], 3.0f);
}

TEST_F(RefKernels, GroupNormUsesWholeImageStatisticsPerGroup) {
  // Two groups of one channel each; each channel normalises to zero mean, unit variance.
  Tensor x = from({1, 2, 1, 2}, {1, 3, 10, 30}), w = from({2}, {1, 1}), b = from({2}, {0, 0});
  Tensor y = unwrap(Tensor::empty({1, 2, 1, 2}));
  ASSERT_TRUE(ref->group_norm(x, 2, w, b, 0.0f, y).ok());
  EXPECT_NEAR(y.data<float>()[0], -1.0f, 1e-6);
  EXPECT_NEAR(y.data<float>()[3], 1.0f, 1e-6);
}

TEST_F(RefKernels, BatchNormFoldsIntoTheConvolution) {
  Tensor x = random_tensor({1, 16, 12, 12}, 7), w = random_tensor({8, 16, 1, 1}, 8);
  Tensor mean = random_tensor({8}, 9), var = random_tensor({8}, 10, 0.5f, 2.0f);
  Tensor gamma = random_tensor({8}, 11), beta = random_tensor({8}, 12);
  Tensor conv = unwrap(Tensor::empty({1, 8, 12, 12})), bn = unwrap(Tensor::empty({1, 8, 12, 12}));
  ASSERT_TRUE(ref->conv2d(x, w, nullptr, {}, conv).ok());
  // Eval-mode BatchNorm written out: (x - mean) / sqrt(var + eps) * gamma + beta, per channel.
  for (int64_t c = 0; c < 8; ++c) {
    const double s = gamma.data<float>()[c] / std::sqrt(static_cast<double>(var.data<float>()[c]) + 1e-5);
    for (int64_t i = 0; i < 144; ++i) {
      const double v = conv.data<float>()[c * 144 + i];
      bn.data<float>()[c * 144 + i] = static_cast<float>((v - mean.data<float>()[c]) * s + beta.data<float>()[c]);
    }
  }
  FoldedConv f = unwrap(fold_batch_norm(w, nullptr, mean, var, gamma, beta, 1e-5f));
  Tensor folded = unwrap(Tensor::empty({1, 8, 12, 12}));
  ASSERT_TRUE(ref->conv2d(x, f.weight, &f.bias, {}, folded).ok());
  EXPECT_LE(nmse(folded, bn), 1e-12);
}

TEST(BackendErrors, UnsupportedDtypeAndMissingOpFailLoudly) {
  auto cpu = make_cpu_backend();
  Tensor x = unwrap(Tensor::empty({4, 8}, DType::F16)), w = unwrap(Tensor::empty({2, 8}, DType::F16));
  Tensor y = unwrap(Tensor::empty({4, 2}, DType::F16));
  Status st = cpu->linear(x, w, nullptr, y);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(st.error().message.find("cpu"), std::string::npos);
  EXPECT_NE(st.error().message.find("F16"), std::string::npos);

  struct Empty final : Backend {
    std::string_view name() const override { return "empty"; }
  } empty;
  Tensor a = random_tensor({2, 3}, 1), b = random_tensor({2, 3}, 2), c = unwrap(Tensor::empty({2, 3}));
  st = empty.add(a, b, c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(st.error().message.find("'add'"), std::string::npos);
}

TEST(BackendErrors, ShapeMismatchNamesTheOpAndShapes) {
  auto cpu = make_cpu_backend();
  Tensor x = random_tensor({4, 8}, 1), w = random_tensor({2, 7}, 2), y = unwrap(Tensor::empty({4, 2}));
  Status st = cpu->linear(x, w, nullptr, y);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("(4, 8)"), std::string::npos);
  EXPECT_NE(st.error().message.find("(2, 7)"), std::string::npos);
  AttentionParams p;
  p.grid_h = p.grid_w = 6;
  p.window_h = p.window_w = 4;
  Tensor qkv = random_tensor({36, 3}, 3), out = unwrap(Tensor::empty({36, 1}));
  st = cpu->attention(qkv, p, out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("does not tile"), std::string::npos);
}

// The fused forms' extra inputs are checked as carefully as the plain ones.
TEST(BackendErrors, FusedOperandsAreChecked) {
  for (BackendKind kind : {BackendKind::kCpu, BackendKind::kReference}) {
    auto be = make_backend(kind);
    SCOPED_TRACE(std::string(be->name()));
    const auto expect_error = [](const Status& st, const std::string& says) {
      ASSERT_FALSE(st.ok());
      EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
      EXPECT_NE(st.error().message.find(says), std::string::npos) << st.error().message;
    };
    // linear: a residual of another shape, or the output itself.
    Tensor x = random_tensor({4, 8}, 1), w = random_tensor({6, 8}, 2), y = unwrap(Tensor::empty({4, 6}));
    Tensor wrong = random_tensor({4, 5}, 3);
    expect_error(be->linear(x, w, nullptr, y, {.residual = &wrong}), "residual");
    expect_error(be->linear(x, w, nullptr, y, {.residual = &y}), "must not be the output");
    // group_norm (channels-last, as the network runs): statistics of another grouping or sample count.
    Tensor map = random_tensor({1, 5, 5, 16}, 4), gamma = random_tensor({16}, 5), beta = random_tensor({16}, 6);
    Tensor out = unwrap(Tensor::empty(map.shape()));
    GroupStats stats;
    ASSERT_TRUE(be->group_stats(map, 4, Layout::kNHWC, stats).ok());
    expect_error(be->group_norm(map, 8, gamma, beta, 1e-5f, out, Layout::kNHWC, false, nullptr, &stats),
                 "statistics of 4 groups for 8");
    GroupStats short_stats = stats;
    short_stats.host.var.pop_back();
    expect_error(be->group_norm(map, 4, gamma, beta, 1e-5f, out, Layout::kNHWC, false, nullptr, &short_stats),
                 "statistics");
    expect_error(be->group_stats(map, 3, Layout::kNHWC, stats), "do not split into 3 groups");
    // conv2d: an input norm without weights, output groups that do not divide the channels.
    Tensor cw = random_tensor({16, 16, 3, 3}, 7), cy = unwrap(Tensor::empty({1, 5, 5, 16}));
    const ConvInputNorm no_weights{&stats, nullptr, &beta, 1e-5f, false};
    expect_error(be->conv2d(map, cw, nullptr, {1, 1, 1, Layout::kNHWC}, cy, {.input_norm = &no_weights}), "input norm");
    GroupStats got;
    expect_error(be->conv2d(map, cw, nullptr, {1, 1, 1, Layout::kNHWC}, cy, {.output_stats = &got, .output_groups = 3}),
                 "do not split into 3 groups");
    // add_resized_bilinear: another channel count; the output as an input.
    Tensor nhwc = random_tensor({1, 8, 8, 16}, 8), other = random_tensor({1, 4, 4, 12}, 9);
    const Tensor* bad[] = {&other};
    expect_error(be->add_resized_bilinear(bad, nhwc, false), "does not resize");
    const Tensor* self[] = {&nhwc};
    expect_error(be->add_resized_bilinear(self, nhwc, false), "an input is the output");
  }
}

}  // namespace
}  // namespace ck::test
