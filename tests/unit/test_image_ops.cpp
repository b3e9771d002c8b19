// Properties of the image operations that the parity fixtures cannot cover exhaustively:
// resampling taps for every size pair, despeckle on edge cases, colour round trips.
#include "corridorkey/colour.hpp"
#include "image/composite.hpp"
#include "image/despeckle.hpp"
#include "image/despill.hpp"
#include "image/frame_finish.hpp"
#include "image/resample.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

void expect_normalised(const ResampleTaps& t, int64_t in, int64_t out, const char* what) {
  for (int64_t i = 0; i < out; ++i) {
    double sum = 0;
    for (int k = 0; k < t.width; ++k) {
      const float w = t.weight[static_cast<size_t>(i * t.width + k)];
      ASSERT_TRUE(std::isfinite(w)) << what << " " << in << "->" << out << " output " << i;
      if (w != 0.0f) {
        ASSERT_LT(t.first[static_cast<size_t>(i)] + k, in) << what << " reads past the input";
      }
      sum += w;
    }
    ASSERT_NEAR(sum, 1.0, 1e-5) << what << " " << in << "->" << out << " output " << i;
  }
}

TEST(Resample, TapsAreFiniteInRangeAndNormalisedForEverySizePair) {
  // Includes integer ratios (64 -> 960 once produced a 0/0 tap when a position rounded to -0).
  for (int64_t in : {1, 2, 7, 8, 9, 64, 100, 128, 512}) {
    for (int64_t out : {1, 3, 8, 23, 64, 90, 540, 960, 1080, 1920}) {
      expect_normalised(lanczos4_taps(in, out), in, out, "lanczos4");
      expect_normalised(antialiased_bilinear_taps(in, out), in, out, "antialiased bilinear");
    }
  }
}

TEST(Resample, ConstantImagesStayConstant) {
  Planar p = Planar::zeros(37, 21, 2);
  std::fill(p.data.begin(), p.data.end(), 0.25f);
  for (ResampleFilter f : {ResampleFilter::kLanczos4, ResampleFilter::kAntialiasedBilinear}) {
    for (auto [w, h] : {std::pair{512, 512}, {9, 4}, {37, 80}}) {
      const Planar r = resample(p, w, h, f);
      ASSERT_EQ(r.width, w);
      for (float v : r.data) ASSERT_NEAR(v, 0.25f, 1e-6f);
    }
  }
}

TEST(Despeckle, EmptyFullAndTinyMattes) {
  const int w = 40, h = 30;
  std::vector<float> zero(w * h, 0.0f), one(w * h, 1.0f);
  DespeckleParams p;
  p.min_area = 400;
  for (float v : despeckle(zero.data(), w, h, p)) ASSERT_EQ(v, 0.0f);
  // A full 40x30 matte is one component of 1200 >= 400 pixels: kept whole.
  for (float v : despeckle(one.data(), w, h, p)) ASSERT_EQ(v, 1.0f);
  p.min_area = 1201;  // ... and removed whole when smaller than the minimum
  for (float v : despeckle(one.data(), w, h, p)) ASSERT_EQ(v, 0.0f);
  // A 1x1 image does not trip the reflect border.
  const float single = 0.9f;
  p.min_area = 1;
  EXPECT_EQ(despeckle(&single, 1, 1, p)[0], 0.9f);
}

TEST(Despeckle, DiagonalNeighboursAreOneComponent) {
  const int w = 10, h = 10;
  std::vector<uint8_t> mask(w * h, 0);
  for (int i = 0; i < 5; ++i) mask[i * w + i] = 255;  // a diagonal line of 5 pixels
  EXPECT_EQ(std::count(mask.begin(), mask.end(), 255), 5);
  const auto kept5 = keep_large_components(mask, w, h, 5);
  EXPECT_EQ(std::count(kept5.begin(), kept5.end(), 255), 5);
  const auto kept6 = keep_large_components(mask, w, h, 6);
  EXPECT_EQ(std::count(kept6.begin(), kept6.end(), 255), 0);
}

TEST(Colour, TransferFunctionsRoundTripAndPassHdr) {
  for (float x = 0.0f; x <= 4.0f; x += 0.01f) EXPECT_NEAR(srgb_to_linear(linear_to_srgb(x)), x, 2e-6f * std::max(1.0f, x));
  EXPECT_EQ(linear_to_srgb(-1.0f), 0.0f);
  EXPECT_GT(linear_to_srgb(2.0f), 1.0f);
}

}  // namespace
}  // namespace ck::test

namespace ck::test {
namespace {

// The one-pass finish gives exactly what the steps give one after another (the pipeline parity
// tests check the steps against the reference).
TEST(FrameFinish, OnePassEqualsTheStepsExactly) {
  const int w = 300, h = 170;  // more than one checker square, odd sizes
  Planar alpha = Planar::zeros(w, h, 1), clean = Planar::zeros(w, h, 1), fg = Planar::zeros(w, h, 3);
  uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / 16777216.0f * 1.4f - 0.2f;  // some values outside [0, 1]
  };
  for (float& v : alpha.data) v = next();
  for (size_t i = 0; i < clean.data.size(); ++i) clean.data[i] = i % 7 == 0 ? 0.0f : alpha.data[i];
  for (float& v : fg.data) v = next();
  for (float strength : {1.0f, 0.35f, 0.0f}) {
    FrameResult r;
    finish_frame_outputs(alpha, clean, fg, strength, true, r);
    Planar lin = fg;
    despill_in_place(lin, strength);
    for (float& v : lin.data) v = srgb_to_linear(v);
    const Planar comp = composite_over_checkerboard(lin, clean);
    for (size_t i = 0; i < alpha.plane_size(); ++i) {
      ASSERT_EQ(r.alpha.pixels[i], alpha.data[i]);
      ASSERT_EQ(r.processed.pixels[4 * i + 3], clean.data[i]);
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(r.fg.pixels[3 * i + c], fg.plane(c)[i]);
        ASSERT_EQ(r.processed.pixels[4 * i + c], lin.plane(c)[i] * clean.data[i]) << i;
        ASSERT_EQ(r.comp.pixels[3 * i + c], comp.plane(c)[i]) << i;
      }
    }
    FrameResult no_comp;
    finish_frame_outputs(alpha, clean, fg, strength, false, no_comp);
    EXPECT_TRUE(no_comp.comp.pixels.empty());
    EXPECT_EQ(no_comp.processed.pixels, r.processed.pixels);
  }
}

}  // namespace
}  // namespace ck::test

namespace ck::test {
namespace {

// The dilation against its definition: a pixel is set when a set pixel lies inside OpenCV's
// elliptical structuring element around it (rows of half-width round(r sqrt(1 - dy^2 / r^2))).
TEST(Despeckle, DilationMatchesTheEllipseByDefinition) {
  uint32_t state = 7;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  for (int trial = 0; trial < 60; ++trial) {
    const int w = 1 + static_cast<int>(next() % 70), h = 1 + static_cast<int>(next() % 50);
    const int r = static_cast<int>(next() % 20);
    const uint32_t density = next() % 60;
    std::vector<uint8_t> mask(static_cast<size_t>(w) * h);
    for (uint8_t& v : mask) v = next() % 1000 < density ? 255 : 0;
    const std::vector<uint8_t> got = dilate_ellipse(mask, w, h, r);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        bool hit = false;
        for (int dy = -r; dy <= r && !hit; ++dy) {
          const int half = r == 0 ? 0 : static_cast<int>(std::lround(r * std::sqrt((double(r) * r - dy * dy) / (double(r) * r))));
          for (int dx = -half; dx <= half && !hit; ++dx) {
            const int sx = x + dx, sy = y + dy;
            hit = sx >= 0 && sx < w && sy >= 0 && sy < h && mask[static_cast<size_t>(sy) * w + sx];
          }
        }
        ASSERT_EQ(got[static_cast<size_t>(y) * w + x], hit ? 255 : 0) << "trial " << trial << " at " << x << "," << y;
      }
    }
  }
}

}  // namespace
}  // namespace ck::test
