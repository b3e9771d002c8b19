// Image files through OpenImageIO: every format a plate or hint may come in, with the
// scaling rules (integers to [0, 1], floats as stored), and the files `process` writes.
#include <filesystem>
#include <fstream>

#include "corridorkey/image_file.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

class ImageIo : public TempDirTest {};

Image gradient(int w, int h, int c, float scale = 1.0f) {
  Image img{w, h, c, std::vector<float>(static_cast<size_t>(w) * h * c)};
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = scale * static_cast<float>(i % 257) / 256.0f;
  return img;
}

double max_diff(const Image& a, const Image& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  double m = 0;
  for (size_t i = 0; i < a.pixels.size() && i < b.pixels.size(); ++i) m = std::max(m, std::fabs(double(a.pixels[i]) - b.pixels[i]));
  return m;
}

TEST_F(ImageIo, IntegerFormatsAreScaledToUnitRange) {
  const Image src = gradient(33, 17, 3);
  struct Case {
    const char* file;
    SampleFormat format;
    double tolerance;
  };
  for (const Case& c : {Case{"a.png", SampleFormat::kUint8, 0.5 / 255 + 1e-6}, Case{"b.png", SampleFormat::kUint16, 0.5 / 65535 + 1e-7},
                        Case{"c.tif", SampleFormat::kUint8, 0.5 / 255 + 1e-6}, Case{"d.tif", SampleFormat::kUint16, 0.5 / 65535 + 1e-7},
                        Case{"e.dpx", SampleFormat::kUint16, 0.5 / 65535 + 1e-7}}) {
    WriteOptions o;
    o.format = c.format;
    ASSERT_TRUE(write_image(path(c.file), src, o).ok()) << c.file;
    const Image back = unwrap(read_image(path(c.file)));
    EXPECT_EQ(back.width, 33) << c.file;
    EXPECT_EQ(back.channels, 3) << c.file;
    EXPECT_LE(max_diff(back, src), c.tolerance) << c.file;
  }
  // JPEG is lossy: a smooth image comes back close.
  Image smooth{64, 32, 3, std::vector<float>(64 * 32 * 3)};
  for (size_t i = 0; i < smooth.pixels.size(); ++i) smooth.pixels[i] = static_cast<float>((i / 3) % 64) / 63.0f;
  ASSERT_TRUE(write_image(path("f.jpg"), smooth, {}).ok());
  EXPECT_LE(max_diff(unwrap(read_image(path("f.jpg"))), smooth), 0.05);
  // Full scale is exactly 1.
  Image white{2, 2, 1, {1, 1, 1, 1}};
  WriteOptions o16;
  o16.format = SampleFormat::kUint16;
  ASSERT_TRUE(write_image(path("white.png"), white, o16).ok());
  EXPECT_EQ(unwrap(read_image(path("white.png"))).pixels[0], 1.0f);
}

TEST_F(ImageIo, ExrKeepsFloatValuesBeyondUnitRange) {
  const Image hdr = gradient(20, 10, 4, 3.0f);  // values up to ~3, plus negatives below
  Image signed_hdr = hdr;
  signed_hdr.pixels[5] = -0.25f;
  WriteOptions f32;
  f32.format = SampleFormat::kFloat;
  ASSERT_TRUE(write_image(path("f.exr"), signed_hdr, f32).ok());
  EXPECT_EQ(max_diff(unwrap(read_image(path("f.exr"))), signed_hdr), 0.0);
  WriteOptions half;
  half.format = SampleFormat::kHalf;
  half.compression = "pxr24";
  ASSERT_TRUE(write_image(path("h.exr"), signed_hdr, half).ok());
  EXPECT_LE(max_diff(unwrap(read_image(path("h.exr"))), signed_hdr), 3.0 / 1024);  // 11-bit mantissa
}

TEST_F(ImageIo, SingleChannelFilesWithAnyName) {
  Image matte = gradient(16, 8, 1);
  WriteOptions o;
  o.format = SampleFormat::kFloat;
  o.channel_names = {"mask"};
  ASSERT_TRUE(write_image(path("m.exr"), matte, o).ok());
  const Image back = unwrap(read_image(path("m.exr")));
  EXPECT_EQ(back.channels, 1);
  EXPECT_EQ(max_diff(back, matte), 0.0);
  o.channel_names = {"a", "b"};
  EXPECT_FALSE(write_image(path("bad.exr"), matte, o).ok());
}

TEST_F(ImageIo, UnreadableFilesAreNamed) {
  auto missing = read_image(path("none.png"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("none.png"), std::string::npos);
  std::ofstream(path("junk.png")) << "not an image";
  auto junk = read_image(path("junk.png"));
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().message.find("junk.png"), std::string::npos);
}

TEST_F(ImageIo, FailedWritesLeaveNothing) {
  const Image img = gradient(4, 4, 3);
  EXPECT_FALSE(write_image(path("no_such_dir/x.png"), img, {}).ok());
  EXPECT_FALSE(write_image(path("x.unknownformat"), img, {}).ok());
  Image inconsistent{4, 4, 3, std::vector<float>(5)};
  EXPECT_FALSE(write_image(path("y.png"), inconsistent, {}).ok());
  for (const auto& e : fs::directory_iterator(dir_)) ADD_FAILURE() << "left behind: " << e.path();
}

}  // namespace
}  // namespace ck::test
