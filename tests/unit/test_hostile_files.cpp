// The regression corpus of crafted files (tests/fixtures/hostile, written by
// tools/reference/make_hostile_fixtures.py): each once crashed, hung or misled a reader and
// must now be refused quickly, with an error naming the file and the reason.
#include <chrono>
#include <fstream>

#include "cli_runner.hpp"
#include "corridorkey/image_file.hpp"
#include "test_util.hpp"
#include "weights/pth.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {
namespace {

struct HostileCase {
  std::string file, expect;
};

void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.file; }

class HostilePth : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostilePth, IsRefusedQuicklyWithTheReason) {
  const std::string path = fixture_path("hostile/" + GetParam().file);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = read_pth(path);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(r.ok()) << path << " was accepted";
  EXPECT_EQ(r.error().code, ErrorCode::kFormat) << r.error().message;
  EXPECT_NE(r.error().message.find(GetParam().file), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(GetParam().expect), std::string::npos) << r.error().message;
  EXPECT_LT(seconds, 5.0);
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, HostilePth,
    ::testing::Values(HostileCase{"overflow_stride.pth", "reach past any storage"},
                      HostileCase{"overflow_offset.pth", "reaches past the end of its storage"},
                      HostileCase{"huge_storage.pth", "holds 4 bytes, 4398046511104 needed"},
                      HostileCase{"storage_two_sizes.pth", "is used with two sizes (1 and 64 elements)"},
                      HostileCase{"nested_lists.pth", "nests containers more than 100 deep"},
                      HostileCase{"nested_tuples.pth", "nests containers more than 100 deep"},
                      HostileCase{"nested_marks.pth", "nests containers more than 100 deep"},
                      HostileCase{"cycle_self.pth", "reference cycle"},
                      HostileCase{"cycle_pair.pth", "reference cycle"},
                      HostileCase{"slot_bomb.pth", "more container items than its size allows"}),
    [](const auto& info) {
      std::string name = info.param.file.substr(0, info.param.file.find('.'));
      for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return name;
    });

class HostileFiles : public TempDirTest {};

TEST_F(HostileFiles, SafetensorsWithAHeaderLengthOneShortIsRefused) {
  std::ifstream in(fixture_path("tiny/weights.safetensors"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  uint64_t header_len;
  std::memcpy(&header_len, bytes.data(), 8);
  --header_len;  // the header's last byte (padding) now looks like the first byte of data
  std::memcpy(bytes.data(), &header_len, 8);
  std::ofstream(path("short.safetensors"), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto r = read_safetensors(path("short.safetensors"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFormat);
  EXPECT_NE(r.error().message.find("header and data disagree"), std::string::npos) << r.error().message;
}

TEST_F(HostileFiles, ImageHeadersClaimingHugeSizesAreRefusedBeforeDecoding) {
  for (const char* name : {"huge_header.png", "zlib_bomb.png"}) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = read_image(fixture_path(std::string("hostile/") + name));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("more than the limit of 268435456 pixels"), std::string::npos)
        << r.error().message;
    EXPECT_LT(seconds, 1.0) << name;
  }
  // The limit is the caller's: a 960x540 sample is refused under 500,000 pixels.
  auto small = read_image(sample_path("plate.png"), ReadOptions{500'000});
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.error().message.find("960x540"), std::string::npos) << small.error().message;
  EXPECT_TRUE(read_image(sample_path("plate.png"), ReadOptions{960 * 540}).ok());
}

TEST_F(HostileFiles, EveryCommandRefusesTheCorpusWithoutCrashing) {
  const std::string plate = sample_path("plate.png"), hint = sample_path("hint.png");
  for (const char* name : {"overflow_stride.pth", "nested_lists.pth", "cycle_self.pth", "slot_bomb.pth"}) {
    const std::string weights = fixture_path(std::string("hostile/") + name);
    const std::string commands[] = {
        "infer --image " + plate + " --hint " + hint + " --img-size 64 --output-dir " + path("infer") +
            " --checkpoint " + weights,
        "process --image " + plate + " --hint " + hint + " --img-size 64 --output-dir " + path("process") +
            " --checkpoint " + weights,
        "convert " + weights + " " + path("w.safetensors"),
        "bench --img-size 64 --runs 1 --checkpoint " + weights,
    };
    for (const std::string& args : commands) {
      const CliResult r = run_cli(args);
      EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.output;
      EXPECT_NE(r.output.find(name), std::string::npos) << args << "\n" << r.output;
    }
  }
  // Nothing was written, and no empty folder was left behind.
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
  const CliResult big = run_cli("infer --image " + fixture_path("hostile/huge_header.png") + " --hint " + hint +
                                " --checkpoint " + fixture_path("tiny/weights.safetensors") +
                                " --img-size 64 --output-dir " + path("big"));
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_NE(big.output.find("--max-pixels"), std::string::npos) << big.output;
  EXPECT_FALSE(std::filesystem::exists(path("big")));
}

}  // namespace
}  // namespace ck::test
