// Keying without a network: the mask filters, the synthetic plates (deterministic, twins), the
// screen estimate and automatic hints, the matting errors, and the engine's blue-screen path.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "cli_runner.hpp"
#include "corridorkey/alpha_hint.hpp"
#include "corridorkey/engine.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/matting_metrics.hpp"
#include "corridorkey/synthetic_plates.hpp"
#include "keying/mask_filters.hpp"
#include "test_util.hpp"

namespace ck {
namespace {

namespace fs = std::filesystem;

double mse(const Image& a, const Image& b) {
  double s = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) s += (a.pixels[i] - b.pixels[i]) * (a.pixels[i] - b.pixels[i]);
  return s / static_cast<double>(a.pixels.size());
}

TEST(MaskFilters, DistanceTransformMatchesBruteForce) {
  const int w = 23, h = 17;
  std::mt19937 rng(3);
  std::vector<bool> inside(static_cast<size_t>(w) * h);
  for (size_t i = 0; i < inside.size(); ++i) inside[i] = rng() % 5 != 0;
  const std::vector<float> d2 = squared_distance_to_outside(inside, w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      float best = 1e20f;
      for (int v = 0; v < h; ++v) {
        for (int u = 0; u < w; ++u) {
          if (!inside[static_cast<size_t>(v) * w + u]) best = std::min(best, static_cast<float>((x - u) * (x - u) + (y - v) * (y - v)));
        }
      }
      EXPECT_EQ(d2[static_cast<size_t>(y) * w + x], best) << x << "," << y;
    }
  }
}

TEST(MaskFilters, ErodeAndDilateByADisc) {
  const int n = 41;
  Mask point(static_cast<size_t>(n) * n, 0.0f);
  point[20 * n + 20] = 1.0f;
  const Mask disc = dilate(point, n, n, 10.0f);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      const bool in = (x - 20) * (x - 20) + (y - 20) * (y - 20) <= 100;
      EXPECT_EQ(disc[static_cast<size_t>(y) * n + x], in ? 1.0f : 0.0f) << x << "," << y;
    }
  }
  const Mask shrunk = erode(disc, n, n, 4.0f);
  EXPECT_EQ(shrunk[20 * n + 20], 1.0f);
  EXPECT_EQ(shrunk[20 * n + 20 + 8], 0.0f);
  EXPECT_EQ(shrunk[20 * n + 20 + 6], 1.0f);
  // A blur keeps the mean (edges clamped, the disc far from them).
  const Mask soft = blur(disc, n, n, 2.0f);
  double a = 0, b = 0;
  for (size_t i = 0; i < disc.size(); ++i) {
    a += disc[i];
    b += soft[i];
  }
  EXPECT_NEAR(a, b, 1e-3 * a);
}

TEST(SyntheticPlates, DeterministicMovingAndTwinned) {
  const SyntheticPlate a = make_synthetic_plate({96, 64, ScreenColour::kGreen, 5, 0});
  const SyntheticPlate again = make_synthetic_plate({96, 64, ScreenColour::kGreen, 5, 0});
  EXPECT_EQ(a.plate.pixels, again.plate.pixels);
  EXPECT_EQ(a.alpha.pixels, again.alpha.pixels);
  EXPECT_EQ(a.hint.pixels, again.hint.pixels);
  const SyntheticPlate next = make_synthetic_plate({96, 64, ScreenColour::kGreen, 5, 1});
  EXPECT_NE(a.alpha.pixels, next.alpha.pixels) << "the subject does not move";
  const SyntheticPlate blue = make_synthetic_plate({96, 64, ScreenColour::kBlue, 5, 0});
  EXPECT_EQ(a.alpha.pixels, blue.alpha.pixels) << "twins differ in their subject";
  EXPECT_EQ(a.fg.pixels, blue.fg.pixels);
  // Some of everything: subject, screen, soft edges.
  int opaque = 0, clear = 0, partial = 0;
  for (float v : a.alpha.pixels) (v >= 1.0f ? opaque : v <= 0.0f ? clear : partial)++;
  EXPECT_GT(opaque, 100);
  EXPECT_GT(clear, 1000);
  EXPECT_GT(partial, 10);
  for (float v : a.plate.pixels) EXPECT_EQ(v, std::round(v * 255.0f) / 255.0f) << "not 8-bit";
}

TEST(AlphaHint, ScreenIsFoundAndHintsFollowTheSubject) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    for (ScreenColour screen : {ScreenColour::kGreen, ScreenColour::kBlue}) {
      const SyntheticPlate p = make_synthetic_plate({160, 128, screen, seed, 0});
      const ScreenEstimate e = test::unwrap(estimate_screen(view_of(p.plate), ScreenColour::kAuto));
      EXPECT_EQ(e.colour, screen) << "seed " << seed;
      const AlphaHint hint = test::unwrap(make_alpha_hint(view_of(p.plate)));
      // The key is close to the truth; the hint is coarse (eroded, blurred) yet on the subject.
      EXPECT_LT(mse(hint.key, p.alpha), 0.02) << "seed " << seed << " " << screen_colour_name(screen);
      EXPECT_LT(mse(hint.hint, p.alpha), 0.05) << "seed " << seed;
      double inside = 0, outside = 0;
      int n_in = 0, n_out = 0;
      for (size_t i = 0; i < p.alpha.pixels.size(); ++i) {
        if (p.alpha.pixels[i] >= 1.0f) inside += hint.hint.pixels[i], ++n_in;
        if (p.alpha.pixels[i] <= 0.0f) outside += hint.hint.pixels[i], ++n_out;
      }
      EXPECT_GT(inside / n_in, 0.6) << "seed " << seed;
      EXPECT_LT(outside / n_out, 0.05) << "seed " << seed;
    }
  }
}

TEST(AlphaHint, APlateWithoutAScreenIsAnErrorNamingTheWayOut) {
  Image grey{64, 48, 3, std::vector<float>(64 * 48 * 3, 0.5f)};
  const Result<AlphaHint> r = make_alpha_hint(view_of(grey));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("--screen-color"), std::string::npos) << r.error().message;
  const SyntheticPlate green = make_synthetic_plate({64, 48, ScreenColour::kGreen, 2, 0});
  EXPECT_FALSE(estimate_screen(view_of(green.plate), ScreenColour::kBlue).ok()) << "a green plate taken for blue";
}

TEST(MattingErrors, ZeroForTheTruthAndTheTextbookValuesOtherwise) {
  const SyntheticPlate p = make_synthetic_plate({64, 64, ScreenColour::kGreen, 9, 0});
  const MattingErrors same = test::unwrap(matting_errors(p.alpha, p.alpha, &p.fg, &p.fg));
  EXPECT_EQ(same.sad, 0);
  EXPECT_EQ(same.mse, 0);
  EXPECT_EQ(same.gradient, 0);
  EXPECT_EQ(same.connectivity, 0);
  EXPECT_EQ(same.fg_mse, 0);
  Image offset = p.alpha;
  for (float& v : offset.pixels) v = std::min(1.0f, v + 0.1f);
  double sad = 0, sse = 0;
  for (size_t i = 0; i < offset.pixels.size(); ++i) {
    const double d = static_cast<double>(offset.pixels[i]) - p.alpha.pixels[i];
    sad += std::abs(d);
    sse += d * d;
  }
  const MattingErrors e = test::unwrap(matting_errors(offset, p.alpha));
  EXPECT_NEAR(e.sad, sad / 1000, 1e-9);
  EXPECT_NEAR(e.mse, sse / offset.pixels.size(), 1e-12);
  EXPECT_GT(e.connectivity, 0);
  EXPECT_EQ(e.fg_mse, -1);
  EXPECT_EQ(test::unwrap(dtssd_term(p.alpha, p.alpha, p.alpha, p.alpha)), 0);
  EXPECT_NEAR(test::unwrap(dtssd_term(offset, p.alpha, p.alpha, p.alpha)), std::sqrt(sse / offset.pixels.size()), 1e-9);
  Image small{32, 32, 1, std::vector<float>(32 * 32)};
  EXPECT_FALSE(matting_errors(small, p.alpha).ok());
}

// A blue plate made by swapping a green plate's green and blue keys exactly as the green one:
// the same alpha, and every colour output the same with green and blue swapped back.
TEST(BlueScreens, KeyedThroughTheGreenNetworkWithChannelsSwapped) {
  EngineOptions options;
  options.img_size = 64;
  auto engine = test::unwrap(Engine::create(test::fixture_path("checkpoints/tiny_official.pth"), options));
  const SyntheticPlate green = make_synthetic_plate({80, 64, ScreenColour::kGreen, 4, 0});
  Image blue = green.plate;
  for (size_t i = 0; i < blue.pixels.size(); i += 3) std::swap(blue.pixels[i + 1], blue.pixels[i + 2]);
  FrameOptions as_green, as_blue;
  as_blue.screen = ScreenColour::kBlue;
  const FrameResult g = test::unwrap(engine->process_frame(view_of(green.plate), view_of(green.hint), as_green));
  const FrameResult b = test::unwrap(engine->process_frame(view_of(blue), view_of(green.hint), as_blue));
  EXPECT_EQ(g.alpha.pixels, b.alpha.pixels);
  for (const auto& [gi, bi] : {std::pair{&g.fg, &b.fg}, {&g.processed, &b.processed}, {&g.comp, &b.comp}}) {
    ASSERT_EQ(gi->pixels.size(), bi->pixels.size());
    const size_t c = static_cast<size_t>(gi->channels);
    for (size_t i = 0; i < gi->pixels.size(); i += c) {
      ASSERT_EQ(gi->pixels[i], bi->pixels[i]);
      ASSERT_EQ(gi->pixels[i + 1], bi->pixels[i + 2]);
      ASSERT_EQ(gi->pixels[i + 2], bi->pixels[i + 1]);
    }
  }
  FrameOptions unsettled;
  unsettled.screen = ScreenColour::kAuto;
  EXPECT_FALSE(engine->process_frame(view_of(green.plate), view_of(green.hint), unsettled).ok());
}

// Weights trained on blue screens key a blue plate as it is (no swap into the network): the
// same alpha and raw foreground as green weights given that plate unswapped; despill still
// works against blue (the processed colours differ).
TEST(BlueScreens, ABlueScreenModelKeysBluePlatesAsTheyAre) {
  EngineOptions green_options, blue_options;
  green_options.img_size = blue_options.img_size = 64;
  blue_options.trained_screen = ScreenColour::kBlue;
  const std::string weights = test::fixture_path("checkpoints/tiny_official.pth");
  auto green_engine = test::unwrap(Engine::create(weights, green_options));
  auto blue_engine = test::unwrap(Engine::create(weights, blue_options));
  const SyntheticPlate blue = make_synthetic_plate({80, 64, ScreenColour::kBlue, 6, 0});
  FrameOptions as_blue, as_green;
  as_blue.screen = ScreenColour::kBlue;
  const FrameResult native = test::unwrap(blue_engine->process_frame(view_of(blue.plate), view_of(blue.hint), as_blue));
  const FrameResult plain = test::unwrap(green_engine->process_frame(view_of(blue.plate), view_of(blue.hint), as_green));
  EXPECT_EQ(native.alpha.pixels, plain.alpha.pixels);
  EXPECT_EQ(native.fg.pixels, plain.fg.pixels);
  EXPECT_NE(native.processed.pixels, plain.processed.pixels);
  // A green plate through the blue model goes in swapped.
  const FrameResult swapped = test::unwrap(blue_engine->process_frame(view_of(blue.plate), view_of(blue.hint), as_green));
  EXPECT_NE(swapped.alpha.pixels, plain.alpha.pixels);
}

class KeyingCli : public test::TempDirTest {};

TEST_F(KeyingCli, SynthHintEvalAndBadHints) {
  const std::string cli = CK_CLI_PATH;
  test::CliResult made = test::run_cli("synth " + path("shots") + " --shots 1 --frames 2 --width 96 --height 64 --screen both");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  for (const char* f : {"green_1/Input/green_1.0002.png", "green_1/AlphaHint/green_1.0001.png", "blue_1/Truth/Alpha/blue_1.0001.png",
                        "blue_1/Truth/FG/blue_1.0002.png"}) {
    EXPECT_TRUE(fs::exists(path("shots/") + f)) << f;
  }
  // The truth measured against itself, then the user-like hint against the truth.
  test::CliResult perfect = test::run_cli("eval " + path("shots/green_1") + " --pred Truth/Alpha --pred-fg Truth/FG --json");
  ASSERT_EQ(perfect.exit_code, 0) << perfect.output;
  EXPECT_NE(perfect.output.find("\"sad\":0.0"), std::string::npos) << perfect.output;
  EXPECT_NE(perfect.output.find("\"dtssd\":0.0"), std::string::npos) << perfect.output;
  test::CliResult hinted = test::run_cli("eval " + path("shots/green_1") + " --pred AlphaHint --no-fg");
  EXPECT_EQ(hinted.exit_code, 0) << hinted.output;
  EXPECT_NE(hinted.output.find("mean over 2 frames"), std::string::npos) << hinted.output;
  test::CliResult missing = test::run_cli("eval " + path("shots/green_1") + " --pred Output/Matte");
  EXPECT_EQ(missing.exit_code, 1);

  test::CliResult hints = test::run_cli("hint " + path("shots/blue_1") + " --overwrite --key");
  ASSERT_EQ(hints.exit_code, 0) << hints.output;
  EXPECT_NE(hints.output.find("blue screen"), std::string::npos) << hints.output;
  EXPECT_TRUE(fs::exists(path("shots/blue_1/AlphaHint/blue_1.0002.png")));
  EXPECT_TRUE(fs::exists(path("shots/blue_1/AlphaHint/blue_1.0002.key.png")));

  // No screen, an empty hint, a hint of another shape: errors naming what is wrong.
  ASSERT_TRUE(write_image_8bit(path("grey.png"), Image{64, 48, 3, std::vector<float>(64 * 48 * 3, 0.5f)}).ok());
  ASSERT_TRUE(write_image_8bit(path("black.png"), Image{64, 48, 1, std::vector<float>(64 * 48, 0.0f)}).ok());
  ASSERT_TRUE(write_image_8bit(path("tall.png"), Image{48, 64, 1, std::vector<float>(48 * 64, 1.0f)}).ok());
  const std::string key = " --checkpoint " + test::fixture_path("checkpoints/tiny_official.pth") +
                          " --img-size 64 --output-dir " + path("out");
  test::CliResult no_screen = test::run_cli("process --image " + path("grey.png") + key);
  EXPECT_EQ(no_screen.exit_code, 1);
  EXPECT_NE(no_screen.output.find("--screen-color"), std::string::npos) << no_screen.output;
  test::CliResult empty = test::run_cli("process --image " + path("grey.png") + " --hint " + path("black.png") + key);
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.output.find("black.png' is empty"), std::string::npos) << empty.output;
  test::CliResult tall = test::run_cli("infer --image " + path("grey.png") + " --hint " + path("tall.png") + key);
  EXPECT_EQ(tall.exit_code, 1);
  EXPECT_NE(tall.output.find("tall.png' is 48x64, not the plate's shape"), std::string::npos) << tall.output;
  EXPECT_FALSE(fs::exists(path("out/Matte")));
}

}  // namespace
}  // namespace ck
