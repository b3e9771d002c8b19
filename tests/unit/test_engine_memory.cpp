// Memory plans and tiled inference through the public API: a budget picks whole maps or
// the tallest refiner bands that fit and refuses one that cannot be met, saying the least;
// tiles start and fade where they should, and a tiled frame is each tile's own output
// wherever one tile alone covers it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <string>

#include "corridorkey/engine.hpp"
#include "pipeline/tiling.hpp"

namespace ck::test {
namespace {

const std::string kTinyWeights = std::string(CK_FIXTURES_DIR) + "/tiny/weights.safetensors";

EngineOptions full_size(int s, int budget_mib) {
  EngineOptions o;
  o.img_size = s;
  o.threads = 2;
  o.max_memory_mib = budget_mib;
  return o;
}

TEST(EngineMemory, ABudgetPicksWholeMapsOrTheTallestBandsThatFitOrSaysTheLeast) {
  auto roomy = Engine::create_with_generated_weights(full_size(512, 4096));
  ASSERT_TRUE(roomy.ok()) << roomy.error().message;
  EXPECT_EQ(roomy.value()->memory().refiner_band_rows, 0);
  EXPECT_EQ(roomy.value()->memory().plan, "whole maps");
  const int64_t weights_mib = roomy.value()->memory().weight_bytes >> 20;
  EXPECT_GT(weights_mib, 200);  // the full-size network holds about 250 MiB
  const int64_t whole_mib = roomy.value()->memory().frame_bytes_estimate >> 20;

  // Less than whole maps need: bands, within the budget.
  const int tight = static_cast<int>(weights_mib + whole_mib - 40);
  auto banded = Engine::create_with_generated_weights(full_size(512, tight));
  ASSERT_TRUE(banded.ok()) << banded.error().message;
  const EngineMemory m = banded.value()->memory();
  EXPECT_GT(m.refiner_band_rows, 0);
  EXPECT_LE(m.weight_bytes + m.frame_bytes_estimate, int64_t{tight} << 20);
  EXPECT_EQ(m.plan, "refiner in bands of " + std::to_string(m.refiner_band_rows) + " rows");

  // Too little: refused, naming the least budget, which then works.
  auto refused = Engine::create_with_generated_weights(full_size(512, 64));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  std::smatch least;
  const std::string message = refused.error().message;
  ASSERT_TRUE(std::regex_search(message, least, std::regex("the least budget is ([0-9]+) MiB"))) << message;
  EXPECT_NE(message.find("64 MiB cannot be met at S = 512"), std::string::npos) << message;
  auto least_works = Engine::create_with_generated_weights(full_size(512, std::stoi(least[1].str())));
  ASSERT_TRUE(least_works.ok()) << least_works.error().message;
  EXPECT_GT(least_works.value()->memory().refiner_band_rows, 0);
}

TEST(EngineMemory, BandRowsAskedForOverrideTheBudgetsChoice) {
  EngineOptions o = full_size(64, 0);
  o.refiner_band_rows = 5;
  auto e = Engine::create(kTinyWeights, o);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e.value()->memory().refiner_band_rows, 5);
}

TEST(EngineMemory, BadMemoryAndTileOptionsAreNamed) {
  auto message = [](EngineOptions o) {
    auto e = Engine::create(kTinyWeights, o);
    return e.ok() ? std::string("(accepted)") : e.error().message;
  };
  EngineOptions o = full_size(128, 0);
  o.max_memory_mib = -1;
  EXPECT_NE(message(o).find("max_memory_mib -1 is negative"), std::string::npos) << message(o);
  o = full_size(128, 0);
  o.refiner_band_rows = -3;
  EXPECT_NE(message(o).find("refiner_band_rows -3"), std::string::npos) << message(o);
  o = full_size(128, 0);
  o.tile_size = 48;
  EXPECT_NE(message(o).find("tile size 48 is not a positive multiple of 32"), std::string::npos) << message(o);
  o.tile_size = 256;
  EXPECT_NE(message(o).find("up to img_size 128"), std::string::npos) << message(o);
  o.tile_size = 64;
  o.tile_overlap = 64;
  EXPECT_NE(message(o).find("tile overlap 64 is outside [0, 64)"), std::string::npos) << message(o);
}

TEST(Tiling, TilesCoverTheFrameWithAtLeastTheOverlapAndFadeOnlyTowardsNeighbours) {
  EXPECT_EQ(tile_starts(512, 512, 64), std::vector<int64_t>{0});
  for (const auto& [size, tile, overlap] : {std::tuple{2048, 512, 64}, std::tuple{1024, 512, 0},
                                            std::tuple{1000, 256, 100}, std::tuple{96, 64, 32}}) {
    const std::vector<int64_t> starts = tile_starts(size, tile, overlap);
    ASSERT_GE(starts.size(), 2u);
    EXPECT_EQ(starts.front(), 0);
    EXPECT_EQ(starts.back(), size - tile);
    for (size_t i = 1; i < starts.size(); ++i) {
      EXPECT_GE(starts[i - 1] + tile - starts[i], overlap) << size << " " << tile << " " << overlap;
      EXPECT_GT(starts[i], starts[i - 1]);
    }
    // The first tile fades only at its end, the last only at its start; never to 0.
    const std::vector<float> first = tile_window(size, tile, overlap, starts.front());
    const std::vector<float> last = tile_window(size, tile, overlap, starts.back());
    EXPECT_EQ(first.front(), 1.0f);
    EXPECT_EQ(last.back(), 1.0f);
    if (overlap > 0) {
      EXPECT_LT(first.back(), 0.01f);
      EXPECT_LT(last.front(), 0.01f);
    }
    for (float w : first) EXPECT_GT(w, 0.0f);
  }
  // Complementary ramps: two neighbours overlapping by exactly the overlap sum to 1 there.
  const std::vector<float> a = tile_window(192, 128, 64, 0), b = tile_window(192, 128, 64, 64);
  for (int i = 0; i < 64; ++i) EXPECT_NEAR(a[static_cast<size_t>(64 + i)] + b[static_cast<size_t>(i)], 1.0f, 1e-6f);
}

// A smooth plate-like input (1, S, S, 4): normalised colour and a disc of hint.
std::vector<float> test_input(int s) {
  std::vector<float> x(static_cast<size_t>(s) * s * 4);
  for (int y = 0; y < s; ++y) {
    for (int c = 0; c < s; ++c) {
      float* p = &x[(static_cast<size_t>(y) * s + c) * 4];
      p[0] = std::sin(0.05f * c);
      p[1] = std::cos(0.07f * y);
      p[2] = 0.3f * std::sin(0.03f * (c + y));
      const float dy = y - 0.5f * s, dx = c - 0.5f * s;
      p[3] = dx * dx + dy * dy < 0.1f * s * s ? 1.0f : 0.0f;
    }
  }
  return x;
}

TEST(TiledInference, EachTileAloneWhereItAloneCoversTheFrameAndWholeWhenOneTileDoes) {
  constexpr int kSize = 128, kTile = 64, kOverlap = 16;
  const std::vector<float> x = test_input(kSize);
  EngineOptions o = full_size(kSize, 0);
  o.tile_size = kTile;
  o.tile_overlap = kOverlap;
  auto tiled = Engine::create(kTinyWeights, o);
  ASSERT_TRUE(tiled.ok()) << tiled.error().message;
  auto out = tiled.value()->run_network(x.data());
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->size, kSize);

  // Tiles start at 0, 32 and 64 (three a side, 32 shared by neighbours). Pixel rows and
  // columns [0, 32) come from the first tile alone, at full weight.
  ASSERT_EQ(tile_starts(kSize, kTile, kOverlap), (std::vector<int64_t>{0, 32, 64}));
  auto single = Engine::create(kTinyWeights, full_size(kTile, 0));
  ASSERT_TRUE(single.ok());
  std::vector<float> corner(static_cast<size_t>(kTile) * kTile * 4);
  for (int y = 0; y < kTile; ++y) {
    std::copy_n(&x[static_cast<size_t>(y) * kSize * 4], kTile * 4, &corner[static_cast<size_t>(y) * kTile * 4]);
  }
  auto alone = single.value()->run_network(corner.data());
  ASSERT_TRUE(alone.ok());
  double exclusive_diff = 0, blended_diff = 0;
  for (int y = 0; y < 32; ++y) {
    for (int c = 0; c < 32; ++c) {
      exclusive_diff = std::max<double>(exclusive_diff, std::abs(out->alpha[y * kSize + c] - alone->alpha[y * kTile + c]));
    }
  }
  EXPECT_EQ(exclusive_diff, 0.0);
  for (int i = 0; i < kSize * kSize; ++i) {
    ASSERT_TRUE(out->alpha[i] >= 0.0f && out->alpha[i] <= 1.0f) << i;
    ASSERT_TRUE(out->fg[i] >= 0.0f && out->fg[i] <= 1.0f) << i;
  }

  // Against the whole frame: different (the network sees less), but a blend of plausible values.
  auto whole = Engine::create(kTinyWeights, full_size(kSize, 0));
  ASSERT_TRUE(whole.ok());
  auto reference = whole.value()->run_network(x.data());
  ASSERT_TRUE(reference.ok());
  for (int i = 0; i < kSize * kSize; ++i) blended_diff = std::max<double>(blended_diff, std::abs(out->alpha[i] - reference->alpha[i]));
  EXPECT_GT(blended_diff, 0.0);

  // One tile the frame's size is the whole frame, bit for bit.
  o.tile_size = kSize;
  auto one_tile = Engine::create(kTinyWeights, o);
  ASSERT_TRUE(one_tile.ok());
  auto same = one_tile.value()->run_network(x.data());
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(std::equal(same->alpha, same->alpha + kSize * kSize, reference->alpha));
}

}  // namespace
}  // namespace ck::test
