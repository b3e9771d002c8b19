// `corridorkey infer` end to end on the bundled sample with the committed tiny weights, and
// every kind of bad input it must refuse without writing anything.
#include <filesystem>

#include "backends/backend.hpp"
#include "cli_runner.hpp"
#include "corridorkey/image_file.hpp"
#include "test_util.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

const std::string kSamples = sample_path("");  // ends with a slash

class InferCli : public TempDirTest {
 protected:
  std::string args(const std::string& extra, const std::string& hint = sample_path("hint.png")) const {
    return "infer --image " + kSamples + "plate.png --hint " + hint + " --checkpoint " +
           fixture_path("checkpoints/tiny_official.pth") + " --output-dir " + path("out") + " " + extra;
  }
};

TEST_F(InferCli, KeysTheSampleAndDumpsEveryStage) {
  const CliResult r = run_cli(args("--img-size 64 --dump-tensors " + path("stages.safetensors")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Image alpha = unwrap(read_image(path("out/alpha.png")));
  const Image fg = unwrap(read_image(path("out/foreground.png")));
  EXPECT_EQ(alpha.width, 960);
  EXPECT_EQ(alpha.height, 540);
  EXPECT_EQ(alpha.channels, 1);
  EXPECT_EQ(fg.channels, 3);
  EXPECT_EQ(fg.width, 960);
  const StateDict stages = unwrap(read_safetensors(path("stages.safetensors"))).tensors;
  EXPECT_EQ(stages.size(), 14u);
  EXPECT_EQ(stages.at("input").shape(), (Shape{1, 4, 64, 64}));
  EXPECT_EQ(stages.at("encoder_feature_3").shape(), (Shape{1, 64, 2, 2}));
  EXPECT_EQ(stages.at("fg_final").shape(), (Shape{1, 3, 64, 64}));
  // The matte written is the network's alpha brought back to the plate's size: not constant.
  float lo = 1, hi = 0;
  for (float v : alpha.pixels) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_LT(lo, hi);
}

TEST_F(InferCli, Bf16PrecisionKeysCloseToFp32) {
  if (!make_cpu_backend()->supports(OpKind::kLinear, DType::BF16).ok()) GTEST_SKIP() << "this CPU has no AVX512-BF16";
  ASSERT_EQ(run_cli(args("--img-size 64 --dump-tensors " + path("fp32.safetensors"))).exit_code, 0);
  const CliResult r = run_cli(args("--img-size 64 --precision bf16 --dump-tensors " + path("bf16.safetensors")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const StateDict fp32 = unwrap(read_safetensors(path("fp32.safetensors"))).tensors;
  const StateDict bf16 = unwrap(read_safetensors(path("bf16.safetensors"))).tensors;
  for (const char* stage : {"alpha_final", "fg_final"}) {
    const double d = max_abs_diff(bf16.at(stage), fp32.at(stage));
    EXPECT_GT(d, 0.0) << stage << ": bf16 arithmetic leaves some trace";
    EXPECT_LT(d, 5e-2) << stage;  // an untrained tiny network: no saturation, high gain
  }
}

TEST_F(InferCli, HintOfAnotherSizeIsResizedWithAWarning) {
  Image small = unwrap(read_image(sample_path("hint.png")));
  Image half{480, 270, 1, std::vector<float>(480 * 270)};
  for (int y = 0; y < 270; ++y) {
    for (int x = 0; x < 480; ++x) half.pixels[y * 480 + x] = small.at(2 * y, 2 * x, 0);
  }
  ASSERT_TRUE(write_image_8bit(path("half_hint.png"), half).ok());
  const CliResult r = run_cli(args("--img-size 32", path("half_hint.png")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: hint"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("480x270"), std::string::npos) << r.output;
}

TEST_F(InferCli, BadInputFailsClearlyAndWritesNothing) {
  struct Case {
    std::string args, expect;
  };
  const Case cases[] = {
      {args("--img-size 100"), "--img-size 100 is not a positive multiple of 32"},
      {args("--img-size 64 --precision fp16"), "--precision: fp16 not in {fp32,bf16}"},
      {"infer --image /nonexistent/plate.png --hint " + kSamples + "hint.png --checkpoint " +
           fixture_path("checkpoints/tiny_official.pth") + " --output-dir " + path("out"),
       "/nonexistent/plate.png"},
      {args("--img-size 64", fixture_path("tiny/weights.safetensors")), "weights.safetensors"},
      {"infer --image " + kSamples + "plate.png --hint " + kSamples + "hint.png --checkpoint " +
           fixture_path("checkpoints/malicious.pth") + " --output-dir " + path("out"),
       "malicious.pth"},
  };
  for (const Case& c : cases) {
    const CliResult r = run_cli(c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(path("out/alpha.png"))) << c.args;
  }
}

TEST_F(InferCli, CheckpointThatDoesNotFitIsNamed) {
  StateDict sd = unwrap(read_safetensors(fixture_path("tiny/weights.safetensors"))).tensors;
  sd.erase("fg_decoder.classifier.bias");
  ASSERT_TRUE(write_safetensors(path("partial.safetensors"), sd).ok());
  const CliResult r = run_cli("infer --image " + kSamples + "plate.png --hint " + kSamples +
                              "hint.png --img-size 64 --checkpoint " + path("partial.safetensors") +
                              " --output-dir " + path("out"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("partial.safetensors"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("missing: fg_decoder.classifier.bias"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("out")));
}

TEST_F(InferCli, WithoutACheckpointItSaysWhereTheWeightsComeFrom) {
  unsetenv("CORRIDORKEY_CHECKPOINT");  // inherited by the tool
  const std::string args = "infer --image " + kSamples + "plate.png --img-size 64 --output-dir " + path("out");
  const std::string empty_cache = "CORRIDORKEY_CACHE_DIR=" + path("cache") + " ";
  // Nothing named, nothing cached: the bundled demo model, said on stderr.
  const CliResult demo = run_command(empty_cache + CK_CLI_PATH + " " + args);
  EXPECT_EQ(demo.exit_code, 0) << demo.output;
  EXPECT_NE(demo.output.find("from the bundled demo model"), std::string::npos) << demo.output;
  // Without the demo model: an error saying where it looked and where the weights come from.
  const CliResult none = run_command(empty_cache + "CORRIDORKEY_NO_DEMO=1 " + CK_CLI_PATH + " " + args);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.output.find("looked at"), std::string::npos) << none.output;
  EXPECT_NE(none.output.find("nikopueringer/CorridorKey_v1.0"), std::string::npos) << none.output;
  EXPECT_NE(none.output.find("corridorkey weights download"), std::string::npos) << none.output;
}

}  // namespace
}  // namespace ck::test
