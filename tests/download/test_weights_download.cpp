// The weights downloader against a server of the test's own on 127.0.0.1: a good download,
// checksums from a sidecar, SHA256SUMS or Hugging Face's header, resume after a cut
// connection (in one run and across runs), a server that ignores ranges, 404, redirects, a
// wrong checksum, a stalled server and an unwritable cache; then the CLI end to end.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "cli_runner.hpp"
#include "corridorkey/weights_download.hpp"
#include "corridorkey/weights_files.hpp"
#include "download/loopback_http_server.hpp"
#include "test_util.hpp"

namespace ck {
namespace {

namespace fs = std::filesystem;
using test::LoopbackHttpServer;
using test::Route;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class WeightsDownload : public test::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    std::mt19937 rng(7);
    model_.resize(3 << 20);
    for (char& c : model_) c = static_cast<char>(rng());
    const std::string scratch = path("model.bin");
    std::ofstream(scratch, std::ios::binary) << model_;
    digest_ = test::unwrap(file_sha256(scratch));
    fs::remove(scratch);
    options_.cache_dir = path("cache");
    options_.warn = [this](const std::string& w) { warnings_.push_back(w); };
    options_.stall_timeout_s = 5;
  }

  void serve_model(Route r = {}) {
    r.body = model_;
    server_.route("/w/model.bin", r);
  }
  void serve_sidecar(const std::string& digest) { server_.route("/w/model.bin.sha256", test::reply(200, digest + "  model.bin\n")); }

  Result<DownloadResult> download(const std::string& url_path) {
    return download_weights(test::unwrap(weights_at_url(server_.url(url_path))), options_);
  }
  std::string cached_path() const {
    return cached_weights_path(test::unwrap(weights_at_url(server_.url("/w/model.bin"))), options_.cache_dir);
  }
  // Every file under the cache folder.
  std::vector<std::string> cache_files() const {
    std::vector<std::string> files;
    if (!fs::exists(options_.cache_dir)) return files;
    for (const auto& e : fs::recursive_directory_iterator(options_.cache_dir)) {
      if (e.is_regular_file()) files.push_back(e.path().string());
    }
    return files;
  }

  LoopbackHttpServer server_;
  std::string model_, digest_;
  DownloadOptions options_;
  std::vector<std::string> warnings_;
};

TEST_F(WeightsDownload, GoodDownloadIsVerifiedAgainstItsSidecarAndThenServedFromTheCache) {
  serve_model();
  serve_sidecar(digest_);
  const DownloadResult r = test::unwrap(download("/w/model.bin"));
  EXPECT_EQ(r.path, cached_path());
  EXPECT_EQ(read_file(r.path), model_);
  EXPECT_EQ(r.sha256, digest_);
  EXPECT_EQ(r.checksum_source, "URL.sha256");
  EXPECT_FALSE(r.already_cached);
  EXPECT_FALSE(fs::exists(r.path + ".partial"));
  EXPECT_EQ(recorded_sha256(r.path), digest_);
  EXPECT_TRUE(warnings_.empty());

  const DownloadResult again = test::unwrap(download("/w/model.bin"));
  EXPECT_TRUE(again.already_cached);
  EXPECT_EQ(server_.requests_for("/w/model.bin").size(), 1u) << "the cached copy was downloaded again";
}

TEST_F(WeightsDownload, ChecksumFromSha256SumsWhenThereIsNoSidecar) {
  serve_model();
  server_.route("/w/SHA256SUMS", test::reply(200, std::string(64, '0') + "  other.bin\n" + digest_ + " *model.bin\n"));
  const DownloadResult r = test::unwrap(download("/w/model.bin"));
  EXPECT_EQ(r.checksum_source, "SHA256SUMS");
  EXPECT_EQ(read_file(r.path), model_);
}

TEST_F(WeightsDownload, ChecksumFromHuggingFacesLinkedEtag) {
  Route r;
  r.headers = {{"X-Linked-Etag", "\"" + digest_ + "\""}};
  serve_model(r);
  const DownloadResult d = test::unwrap(download("/w/model.bin"));
  EXPECT_EQ(d.checksum_source, "X-Linked-Etag");
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(WeightsDownload, NoPublishedChecksumKeepsTheFileWithAWarning) {
  serve_model();
  const DownloadResult r = test::unwrap(download("/w/model.bin"));
  EXPECT_EQ(r.checksum_source, "");
  EXPECT_EQ(read_file(r.path), model_);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("no checksum is published"), std::string::npos) << warnings_[0];
  EXPECT_NE(warnings_[0].find(digest_), std::string::npos) << warnings_[0];
}

TEST_F(WeightsDownload, ACutConnectionIsResumedWithARangeInTheSameRun) {
  Route r;
  r.cut_after = 1 << 20;
  serve_model(r);
  serve_sidecar(digest_);
  const DownloadResult d = test::unwrap(download("/w/model.bin"));
  EXPECT_EQ(read_file(d.path), model_);
  const auto gets = server_.requests_for("/w/model.bin");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].range, "");
  EXPECT_EQ(gets[1].range, "bytes=1048576-");
}

TEST_F(WeightsDownload, APartialFileLeftByACutRunIsResumedByTheNextRun) {
  Route r;
  r.cut_after = 1 << 20;
  serve_model(r);
  serve_sidecar(digest_);
  options_.attempts = 1;
  const Result<DownloadResult> cut = download("/w/model.bin");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, ErrorCode::kNetwork);
  EXPECT_FALSE(fs::exists(cached_path())) << "a cut download was put in place";
  EXPECT_EQ(fs::file_size(cached_path() + ".partial"), 1u << 20) << "the bytes that arrived were not kept";

  const DownloadResult d = test::unwrap(download("/w/model.bin"));
  EXPECT_EQ(d.resumed_from, 1u << 20);
  EXPECT_EQ(read_file(d.path), model_);
  EXPECT_EQ(server_.requests_for("/w/model.bin").back().range, "bytes=1048576-");
}

TEST_F(WeightsDownload, AServerThatIgnoresRangesIsDownloadedAfresh) {
  Route r;
  r.ranges = false;
  serve_model(r);
  serve_sidecar(digest_);
  fs::create_directories(fs::path(cached_path()).parent_path());
  std::ofstream(cached_path() + ".partial", std::ios::binary) << model_.substr(0, 1000) << "stale bytes";
  const DownloadResult d = test::unwrap(download("/w/model.bin"));
  EXPECT_EQ(d.resumed_from, 0u);
  EXPECT_EQ(read_file(d.path), model_);
}

TEST_F(WeightsDownload, NotFoundIsAnErrorAndLeavesNothingInTheCache) {
  const Result<DownloadResult> r = download("/w/missing.bin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
  EXPECT_NE(r.error().message.find("404"), std::string::npos) << r.error().message;
  EXPECT_TRUE(cache_files().empty());
  EXPECT_FALSE(fs::exists(fs::path(options_.cache_dir) / "weights" / "url")) << "empty folders were left";
}

TEST_F(WeightsDownload, RedirectsAreFollowedAndTheChecksumComesFromTheAddressAsked) {
  serve_model();
  serve_sidecar(digest_);
  server_.route("/release/model.bin", test::reply(302, "", {{"Location", "/w/model.bin"}}));
  server_.route("/release/model.bin.sha256", test::reply(302, "", {{"Location", "/w/model.bin.sha256"}}));
  const DownloadResult d = test::unwrap(download("/release/model.bin"));
  EXPECT_EQ(d.checksum_source, "URL.sha256");
  EXPECT_EQ(read_file(d.path), model_);
}

TEST_F(WeightsDownload, AWrongChecksumIsRefusedAndNothingStaysInTheCache) {
  serve_model();
  serve_sidecar(std::string(64, 'a'));
  const Result<DownloadResult> r = download("/w/model.bin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFormat);
  EXPECT_NE(r.error().message.find("checksum mismatch"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(digest_), std::string::npos) << r.error().message;
  EXPECT_TRUE(cache_files().empty()) << cache_files().front();
}

TEST_F(WeightsDownload, AStalledServerTimesOutWithAClearMessage) {
  Route r;
  r.stall = true;
  serve_model(r);
  serve_sidecar(digest_);
  options_.stall_timeout_s = 1;
  options_.attempts = 1;
  const auto start = std::chrono::steady_clock::now();
  const Result<DownloadResult> d = download("/w/model.bin");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kNetwork);
  EXPECT_NE(d.error().message.find("stalled"), std::string::npos) << d.error().message;
  EXPECT_LT(seconds, 10.0);
  EXPECT_FALSE(fs::exists(cached_path()));
}

TEST_F(WeightsDownload, AnUnwritableCacheIsAClearError) {
  serve_model();
  serve_sidecar(digest_);
  std::ofstream(path("a_file")) << "not a folder";
  options_.cache_dir = path("a_file") + "/cache";
  const Result<DownloadResult> r = download("/w/model.bin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_NE(r.error().message.find("cannot create the weights cache folder"), std::string::npos) << r.error().message;
  EXPECT_TRUE(server_.requests_for("/w/model.bin").empty()) << "downloaded with nowhere to put it";
}

TEST_F(WeightsDownload, ACachedCopyThatNoLongerMatchesIsDownloadedAgain) {
  serve_model();
  serve_sidecar(digest_);
  test::unwrap(download("/w/model.bin"));
  std::ofstream(cached_path(), std::ios::binary) << "damaged";
  const DownloadResult d = test::unwrap(download("/w/model.bin"));
  EXPECT_FALSE(d.already_cached);
  EXPECT_EQ(read_file(d.path), model_);
  ASSERT_FALSE(warnings_.empty());
  EXPECT_NE(warnings_[0].find("no longer matches"), std::string::npos);
}

TEST(WeightsCatalog, KnownWeightsFollowTheEnvironment) {
  ::setenv("CORRIDORKEY_WEIGHTS_TAG", "v9", 1);
  ::setenv("CORRIDORKEY_WEIGHTS_REPO", "studio/keys", 1);
  const WeightsAsset w = test::unwrap(find_known_weights("safetensors"));
  EXPECT_EQ(w.url.find("https://github.com/studio/keys/releases/download/v9/"), 0u) << w.url;
  ::unsetenv("CORRIDORKEY_WEIGHTS_TAG");
  ::unsetenv("CORRIDORKEY_WEIGHTS_REPO");
  EXPECT_EQ(test::unwrap(find_known_weights("official")).url,
            "https://huggingface.co/nikopueringer/CorridorKey_v1.0/resolve/main/CorridorKey_v1.0.pth");
  EXPECT_FALSE(find_known_weights("nonesuch").ok());
  EXPECT_FALSE(weights_at_url("ftp://host/file").ok());
  ::setenv("CORRIDORKEY_CACHE_DIR", "/somewhere", 1);
  EXPECT_EQ(test::unwrap(weights_cache_dir()), "/somewhere");
  ::unsetenv("CORRIDORKEY_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(test::unwrap(weights_cache_dir()), "/xdg/corridorkey");
  ::unsetenv("XDG_CACHE_HOME");
}

// The CLI end to end: the tiny checkpoint downloaded from the local server as the official
// weights (a mirror through CORRIDORKEY_WEIGHTS_URL), then found by `infer` without --checkpoint.
TEST_F(WeightsDownload, CliDownloadsVerifiesAndCommandsFindTheCachedWeights) {
  const std::string tiny = read_file(test::fixture_path("checkpoints/tiny_official.pth"));
  server_.route("/mirror/CorridorKey_v1.0.pth", test::reply(200, tiny));
  std::ofstream(path("tiny.pth"), std::ios::binary) << tiny;
  server_.route("/mirror/CorridorKey_v1.0.pth.sha256", test::reply(200, test::unwrap(file_sha256(path("tiny.pth"))) + "\n"));
  const std::string env = "CORRIDORKEY_CACHE_DIR=" + path("cache") + " CORRIDORKEY_WEIGHTS_URL=" +
                          server_.url("/mirror/CorridorKey_v1.0.pth") + " CORRIDORKEY_CHECKPOINT= CORRIDORKEY_NO_DEMO=1 ";
  const std::string cli = env + CK_CLI_PATH;

  test::CliResult missing = test::run_command(cli + " weights path");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("weights download"), std::string::npos) << missing.output;
  test::CliResult no_weights = test::run_command(cli + " infer --image " + test::sample_path("plate.png") +
                                                 " --hint " + test::sample_path("hint.png") + " --output-dir " + path("out"));
  EXPECT_NE(no_weights.exit_code, 0);
  EXPECT_NE(no_weights.output.find("looked at"), std::string::npos) << no_weights.output;

  const test::CliResult got = test::run_command(cli + " weights download --print-path");
  ASSERT_EQ(got.exit_code, 0) << got.output;
  const std::string cached = got.output.substr(0, got.output.find('\n'));
  EXPECT_EQ(read_file(cached), tiny);
  EXPECT_EQ(test::run_command(cli + " weights path").output, cached + "\n");

  const test::CliResult verified = test::run_command(cli + " weights verify");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_NE(verified.output.find("(matches)"), std::string::npos) << verified.output;
  const test::CliResult wrong = test::run_command(cli + " weights verify " + cached + " --sha256 " + std::string(64, 'b'));
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("does not match"), std::string::npos) << wrong.output;

  const test::CliResult keyed = test::run_command(cli + " infer --image " + test::sample_path("plate.png") + " --hint " +
                                                  test::sample_path("hint.png") + " --img-size 64 --output-dir " + path("out"));
  EXPECT_EQ(keyed.exit_code, 0) << keyed.output;
  EXPECT_TRUE(fs::exists(path("out/alpha.png"))) << keyed.output;
}

}  // namespace
}  // namespace ck
