// Colour management through OpenColorIO, with a config of built-in transforms
// (tests/fixtures/ocio/config.ocio): camera log to the network's linear Rec.709, outputs back,
// values above 1 kept, unknown names refused.
#include <gtest/gtest.h>

#include "corridorkey/colour_management.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

const std::string kConfig = fixture_path("ocio/config.ocio");

Image grey(float v, int channels = 3) {
  Image img{2, 1, channels, std::vector<float>(2 * channels, v)};
  if (channels == 4) img.pixels[3] = img.pixels[7] = 1.0f;
  return img;
}

// Mid grey (18%) as each camera's curve writes it, published by the makers.
TEST(ColourManagement, CameraLogMidGreyBecomesLinearEighteenPercent) {
  const struct {
    const char* space;
    float code;
  } cases[] = {{"ACEScct", 0.4135884f}, {"ARRI LogC3 (EI800)", 0.3910072f}, {"S-Log3 S-Gamut3", 0.4105572f}};
  for (const auto& c : cases) {
    const auto conversion = unwrap(ColourConversion::to_working(kConfig, c.space));
    Image img = grey(c.code);
    ASSERT_TRUE(conversion->apply(img).ok());
    for (float v : img.pixels) EXPECT_NEAR(v, 0.18f, 2e-3f) << c.space;
  }
}

TEST(ColourManagement, ValuesAboveOneAreKeptAndOutputsRoundTrip) {
  const auto in = unwrap(ColourConversion::to_working(kConfig, "ACEScct"));
  const auto out = unwrap(ColourConversion::from_working(kConfig, "ACEScct"));
  Image bright = grey(0.7f);
  ASSERT_TRUE(in->apply(bright).ok());
  EXPECT_GT(bright.pixels[0], 4.0f);  // about 5.8: a highlight, not clamped to 1
  ASSERT_TRUE(out->apply(bright).ok());
  EXPECT_NEAR(bright.pixels[0], 0.7f, 1e-4f);
  // Premultiplied RGBA converts its straight colour; alpha stays.
  Image rgba = grey(0.09f, 4);
  rgba.pixels[3] = 0.5f;  // 0.18 straight
  const auto to_cct = unwrap(ColourConversion::from_working(kConfig, "ACEScct"));
  ASSERT_TRUE(to_cct->apply_premultiplied(rgba).ok());
  EXPECT_NEAR(rgba.pixels[0], 0.4135884f * 0.5f, 1e-3f);
  EXPECT_EQ(rgba.pixels[3], 0.5f);
}

TEST(ColourManagement, UnknownSpacesAndConfigsAreNamed) {
  const auto unknown = ColourConversion::to_working(kConfig, "LogC9");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("'LogC9'"), std::string::npos);
  EXPECT_NE(unknown.error().message.find("ACEScct"), std::string::npos);  // lists what there is
  const auto no_config = ColourConversion::to_working("/nonexistent/config.ocio", "ACEScct");
  ASSERT_FALSE(no_config.ok());
  EXPECT_NE(no_config.error().message.find("/nonexistent/config.ocio"), std::string::npos);
  const auto no_working = ColourConversion::to_working(kConfig, "ACEScct", "Rec.2020 linear");
  ASSERT_FALSE(no_working.ok());
}

}  // namespace
}  // namespace ck::test
