// `corridorkey bench` on the committed tiny weights: the JSON report has every stage, the
// options reach it, and bad options are refused.
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

const std::string kTiny = " --checkpoint " + fixture_path("checkpoints/tiny_official.pth");

TEST(BenchCli, ReportsEveryStageAndPeakMemoryAsJson) {
  const CliResult r = run_cli("bench --img-size 64 --runs 2 --warmup 1 --threads 1 --buffer-cache-mb 0 --json" + kTiny);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto report = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(report["img_size"], 64);
  EXPECT_EQ(report["threads"], 1);
  EXPECT_EQ(report["runs"], 2);
  EXPECT_EQ(report["precision"], "fp32");
  for (const char* stage : {"patch_embed", "stage0", "stage1", "stage2", "stage3", "decoders", "refiner", "output"}) {
    ASSERT_TRUE(report["stages"].contains(stage)) << stage;
    EXPECT_LE(report["stages"][stage]["min_s"].get<double>(), report["stages"][stage]["max_s"].get<double>());
  }
  EXPECT_GT(report["total"]["median_s"].get<double>(), 0.0);
  EXPECT_GT(report["peak_rss_mb"].get<double>(), 0.0);
}

TEST(BenchCli, BadOptionsAreRefused) {
  for (const std::string& args : {"bench --img-size 100" + kTiny, "bench --runs 0 --img-size 64" + kTiny,
                                 "bench --buffer-cache-mb -1 --img-size 64" + kTiny,
                                 "bench --precision fp8 --img-size 64" + kTiny,
                                 std::string("bench --img-size 64 --checkpoint /nonexistent/weights.pth")}) {
    const CliResult r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_FALSE(r.output.empty()) << args;
  }
}

}  // namespace
}  // namespace ck::test
