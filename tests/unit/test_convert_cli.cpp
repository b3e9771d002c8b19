// `corridorkey convert`: every accepted input becomes the same canonical safetensors; bad
// input fails with a message naming the file and leaves no output behind.
#include <filesystem>
#include <fstream>

#include "cli_runner.hpp"
#include "test_util.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

class ConvertCli : public TempDirTest {};

TEST_F(ConvertCli, OfficialPthConvertsToTheCanonicalTensors) {
  const CliResult r = run_cli("convert " + fixture_path("checkpoints/tiny_official.pth") + " " + path("a.safetensors"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("173 tensors"), std::string::npos) << r.output;
  const SafetensorsFile f = unwrap(read_safetensors(path("a.safetensors")));
  EXPECT_EQ(f.metadata.at("corridorkey.source_layout"), "pytorch");
  ASSERT_EQ(f.tensors.size(), tiny_weights().size());
  for (const auto& [name, want] : tiny_weights()) {
    ASSERT_TRUE(f.tensors.count(name)) << name;
    EXPECT_EQ(f.tensors.at(name).shape(), want.shape()) << name;
    EXPECT_EQ(std::memcmp(f.tensors.at(name).raw(), want.raw(), want.nbytes()), 0) << name;
  }
}

TEST_F(ConvertCli, MlxFileConvertsToPyTorchNamesAndLayout) {
  const CliResult r = run_cli("convert " + fixture_path("checkpoints/tiny_mlx.safetensors") + " " + path("m.safetensors"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("MLX"), std::string::npos) << r.output;
  const SafetensorsFile f = unwrap(read_safetensors(path("m.safetensors")));
  EXPECT_EQ(f.metadata.at("corridorkey.source_layout"), "mlx");
  const Tensor& stem = f.tensors.at("refiner.stem.0.weight");
  EXPECT_EQ(stem.shape(), (Shape{16, 7, 3, 3}));
  const Tensor want = unwrap(tiny_weights().at("refiner.stem.0.weight").to(DType::BF16));
  EXPECT_EQ(std::memcmp(stem.raw(), want.raw(), want.nbytes()), 0);
  // A converted file converts again to the same bytes.
  ASSERT_EQ(run_cli("convert " + path("m.safetensors") + " " + path("m2.safetensors")).exit_code, 0);
  const SafetensorsFile g = unwrap(read_safetensors(path("m2.safetensors")));
  for (const auto& [name, t] : f.tensors) {
    EXPECT_EQ(std::memcmp(g.tensors.at(name).raw(), t.raw(), t.nbytes()), 0) << name;
  }
}

TEST_F(ConvertCli, MaliciousPickleFailsAndWritesNothing) {
  const std::string in = fixture_path("checkpoints/malicious.pth");
  const CliResult r = run_cli("convert " + in + " " + path("x.safetensors"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find(in), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("posix.system"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_empty(dir_));
  EXPECT_FALSE(fs::exists("/tmp/corridorkey_malicious_pickle_ran"));
}

TEST_F(ConvertCli, CheckpointOfTheWrongShapeFailsAndWritesNothing) {
  StateDict sd = tiny_weights();
  sd["refiner.final.weight"] = unwrap(Tensor::zeros({4, 16, 3, 3}));
  ASSERT_TRUE(write_safetensors(path("bad.safetensors"), sd).ok());
  const CliResult r = run_cli("convert " + path("bad.safetensors") + " " + path("y.safetensors"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("bad.safetensors"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("wrong shape: refiner.final.weight is (4, 16, 3, 3), expected (4, 16, 1, 1)"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(path("y.safetensors")));
}

TEST_F(ConvertCli, TruncatedInputAndUnwritableOutputFail) {
  std::ifstream in(fixture_path("checkpoints/tiny_official.pth"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(path("cut.pth"), std::ios::binary).write(bytes.data(), 1000);
  CliResult r = run_cli("convert " + path("cut.pth") + " " + path("z.safetensors"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("cut.pth"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(path("z.safetensors")));

  r = run_cli("convert " + fixture_path("tiny/weights.safetensors") + " /nonexistent-dir/w.safetensors");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent-dir/w.safetensors"), std::string::npos) << r.output;

  r = run_cli("convert /nonexistent/in.pth " + path("w.safetensors"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent/in.pth"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ck::test
