// `corridorkey process` on one frame: the four outputs where the original puts them, every
// option reaching the pipeline, and bad input refused with nothing left behind.
#include <filesystem>

#include "backends/backend.hpp"
#include "cli_runner.hpp"
#include "corridorkey/colour.hpp"
#include "corridorkey/image_file.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

const std::string kSamples = sample_path("");  // ends with a slash

class ProcessCli : public TempDirTest {
 protected:
  CliResult process(const std::string& extra, const std::string& plate = sample_path("plate.png"),
                    const std::string& out = "") const {
    return run_cli("process --image " + plate + " --hint " + kSamples + "hint.png --checkpoint " +
                   fixture_path("checkpoints/tiny_official.pth") + " --img-size 64 --output-dir " +
                   (out.empty() ? path("out") : out) + " " + extra);
  }
};

TEST_F(ProcessCli, WritesMatteFgProcessedAndComp) {
  const CliResult r = process("");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Image matte = unwrap(read_image(path("out/Matte/plate.exr")));
  const Image fg = unwrap(read_image(path("out/FG/plate.exr")));
  const Image processed = unwrap(read_image(path("out/Processed/plate.exr")));
  const Image comp = unwrap(read_image(path("out/Comp/plate.png")));
  EXPECT_EQ(matte.channels, 1);
  EXPECT_EQ(fg.channels, 3);
  EXPECT_EQ(processed.channels, 4);
  EXPECT_EQ(comp.channels, 3);
  for (const Image* img : {&matte, &fg, &processed, &comp}) {
    EXPECT_EQ(img->width, 960);
    EXPECT_EQ(img->height, 540);
  }
  // Processed alpha is the despeckled alpha: the raw alpha times a mask in [0, 1] (Lanczos
  // may overshoot below 0 and above 1; nothing is clamped, as in the original).
  for (size_t i = 0; i < processed.pixels.size(); i += 4) {
    ASSERT_LE(std::fabs(processed.pixels[i + 3]), std::fabs(matte.pixels[i / 4]) + 2e-3f);  // half rounding
  }
  EXPECT_NE(r.output.find("keying"), std::string::npos) << r.output;
}

// Compression options change the bytes, never the pixels (PIZ is lossless on half floats).
TEST_F(ProcessCli, CompressionOptionsChangeBytesNotPixels) {
  ASSERT_EQ(process("", sample_path("plate.png"), path("default")).exit_code, 0);
  ASSERT_EQ(process("--exr-compression piz --png-compression 0", sample_path("plate.png"), path("other")).exit_code, 0);
  for (const char* file : {"Matte/plate.exr", "FG/plate.exr", "Processed/plate.exr", "Comp/plate.png"}) {
    EXPECT_EQ(unwrap(read_image(path(std::string("default/") + file))).pixels,
              unwrap(read_image(path(std::string("other/") + file))).pixels)
        << file;
    EXPECT_NE(fs::file_size(path(std::string("default/") + file)), fs::file_size(path(std::string("other/") + file))) << file;
  }
  const CliResult bad = process("--png-compression 12");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

TEST_F(ProcessCli, OptionsReachTheOutputs) {
  ASSERT_EQ(process("--exr-float --no-despeckle --no-comp").exit_code, 0);
  EXPECT_FALSE(fs::exists(path("out/Comp/plate.png")));
  const Image matte = unwrap(read_image(path("out/Matte/plate.exr")));
  const Image processed = unwrap(read_image(path("out/Processed/plate.exr")));
  // Without despeckle the processed alpha is the raw alpha, exactly (float EXR).
  for (size_t i = 0; i < matte.pixels.size(); ++i) ASSERT_EQ(processed.pixels[4 * i + 3], matte.pixels[i]);
  const Image fg_srgb = unwrap(read_image(path("out/FG/plate.exr")));

  ASSERT_EQ(process("--exr-float --fg-linear", sample_path("plate.png"), path("lin")).exit_code, 0);
  const Image fg_linear = unwrap(read_image(path("lin/FG/plate.exr")));
  for (size_t i = 0; i < fg_srgb.pixels.size(); i += 997) {
    EXPECT_NEAR(fg_linear.pixels[i], srgb_to_linear(fg_srgb.pixels[i]), 1e-6);
  }
  ASSERT_EQ(process("--exr-float --refiner-scale 0 --despill 0 --linear --despeckle-size 10", sample_path("plate.png"),
                    path("coarse"))
                .exit_code,
            0);
  EXPECT_NE(unwrap(read_image(path("coarse/Matte/plate.exr"))).pixels, matte.pixels);

  // --precision reaches the engine: bf16 keys close to fp32 but not identically.
  if (make_cpu_backend()->supports(OpKind::kLinear, DType::BF16).ok()) {
    ASSERT_EQ(process("--exr-float --no-despeckle --no-comp --precision bf16", sample_path("plate.png"), path("bf16"))
                  .exit_code,
              0);
    const Image bf16 = unwrap(read_image(path("bf16/Matte/plate.exr")));
    float worst = 0;
    for (size_t i = 0; i < matte.pixels.size(); ++i) worst = std::max(worst, std::fabs(bf16.pixels[i] - matte.pixels[i]));
    EXPECT_GT(worst, 0.0f);
    EXPECT_LT(worst, 5e-2f);  // an untrained tiny network (see the infer test)
  }
}

TEST_F(ProcessCli, BadInputIsRefusedAndNothingIsWritten) {
  CliResult r = process("--despill 1.5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("despill_strength 1.5"), std::string::npos) << r.output;

  r = process("", "/nonexistent/plate.exr");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent/plate.exr"), std::string::npos) << r.output;

  // A float plate with a NaN is reported, not keyed (the hint: the sample's shape, resized).
  Image nan_plate{96, 54, 3, std::vector<float>(96 * 54 * 3, 0.5f)};
  nan_plate.pixels[3 * (5 * 96 + 9) + 1] = std::nanf("");
  WriteOptions f32;
  f32.format = SampleFormat::kFloat;
  ASSERT_TRUE(write_image(path("nan.exr"), nan_plate, f32).ok());
  r = process("", path("nan.exr"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("non-finite"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("out/Matte/nan.exr")));

  // An output folder that cannot be created.
  r = process("", sample_path("plate.png"), "/proc/ck_cannot_write_here");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/proc/ck_cannot_write_here"), std::string::npos) << r.output;
}

TEST_F(ProcessCli, HintOfAnotherSizeIsResizedWithAWarning) {
  Image small{96, 54, 1, std::vector<float>(96 * 54, 0.0f)};
  for (int y = 10; y < 44; ++y) {
    for (int x = 30; x < 66; ++x) small.pixels[y * 96 + x] = 1.0f;
  }
  ASSERT_TRUE(write_image_8bit(path("small_hint.png"), small).ok());
  const CliResult r = run_cli("process --image " + kSamples + "plate.png --hint " + path("small_hint.png") +
                              " --checkpoint " + fixture_path("checkpoints/tiny_official.pth") +
                              " --img-size 32 --output-dir " + path("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: hint is 96x54"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ck::test
