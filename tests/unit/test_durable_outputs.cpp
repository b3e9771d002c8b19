// Outputs that cannot lie: a disk that fills (a file-size limit, a small filesystem) at any
// point of a frame, an interrupting signal at any moment, or a killed earlier run never leaves
// a truncated file, a partial set of a frame's outputs, a temporary or an empty folder; the
// exit code says what happened.
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "cli_runner.hpp"
#include "corridorkey/output_set.hpp"
#include "corridorkey/pending_outputs.hpp"
#include "corridorkey/image_file.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

const char* const kFrameFiles[] = {"Matte/plate.exr", "FG/plate.exr", "Processed/plate.exr", "Comp/plate.png"};

std::string process_args(const std::string& out_dir) {
  return "process --image " + sample_path("plate.png") + " --hint " + sample_path("hint.png") + " --checkpoint " +
         fixture_path("tiny/weights.safetensors") + " --img-size 64 --output-dir " + out_dir;
}

std::vector<std::string> temporaries_under(const fs::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().find(".cktmp-") != std::string::npos) found.push_back(it->path().string());
  }
  return found;
}

// A frame's outputs are all present and decodable, or none is present; no temporary remains.
// Returns how many were present.
int expect_whole_frame_or_nothing(const fs::path& out, const std::string& context) {
  int present = 0;
  for (const char* f : kFrameFiles) {
    if (!fs::exists(out / f)) continue;
    ++present;
    auto img = read_image((out / f).string());
    EXPECT_TRUE(img.ok()) << context << ": " << f << " does not decode: " << (img.ok() ? "" : img.error().message);
  }
  EXPECT_TRUE(present == 0 || present == 4) << context << ": " << present << " of 4 outputs";
  EXPECT_EQ(temporaries_under(out).size(), 0u) << context << ": temporaries left";
  return present;
}

class DurableOutputs : public TempDirTest {};

TEST_F(DurableOutputs, AFileSizeLimitAnywhereInAFrameLeavesAllOrNothing) {
  // The frame's files are about 0.4, 0.4, 1.4 and 1.9 MB: limits below, between and above them.
  int failed = 0, finished = 0;
  for (int kib : {0, 1, 64, 300, 420, 600, 1000, 1500, 1900, 4000}) {
    const fs::path out = dir_ / ("limit_" + std::to_string(kib));
    const CliResult r = run_shell("trap \"\" XFSZ; ulimit -f " + std::to_string(kib) + "; exec " + CK_CLI_PATH + " " +
                                  process_args(out.string()));
    const std::string context = "limit " + std::to_string(kib) + " KiB";
    const int present = expect_whole_frame_or_nothing(out, context);
    if (r.exit_code == 0) {
      ++finished;
      EXPECT_EQ(present, 4) << context << "\n" << r.output;
    } else {
      ++failed;
      EXPECT_EQ(r.exit_code, 1) << context << "\n" << r.output;
      EXPECT_NE(r.output.find("file size limit"), std::string::npos) << context << "\n" << r.output;
      EXPECT_FALSE(fs::exists(out)) << context << ": the run's empty folders were left";
    }
  }
  EXPECT_GE(failed, 7);
  EXPECT_GE(finished, 1);
}

TEST_F(DurableOutputs, InferUnderAFileSizeLimitWritesBothImagesOrNeither) {
  for (int kib : {0, 50, 200, 100000}) {
    const fs::path out = dir_ / ("infer_" + std::to_string(kib));
    const CliResult r = run_shell("trap \"\" XFSZ; ulimit -f " + std::to_string(kib) + "; exec " + CK_CLI_PATH +
                                  " infer --image " + sample_path("plate.png") + " --hint " + sample_path("hint.png") +
                                  " --checkpoint " + fixture_path("tiny/weights.safetensors") +
                                  " --img-size 64 --output-dir " + out.string() + " --dump-tensors " +
                                  (out / "stages.safetensors").string());
    const bool all = fs::exists(out / "alpha.png") && fs::exists(out / "foreground.png") &&
                     fs::exists(out / "stages.safetensors");
    if (r.exit_code == 0) {
      EXPECT_TRUE(all) << kib;
    } else {
      EXPECT_EQ(r.exit_code, 1) << r.output;
      EXPECT_FALSE(fs::exists(out)) << kib << " KiB: " << r.output;
    }
    EXPECT_EQ(temporaries_under(dir_).size(), 0u);
  }
}

TEST_F(DurableOutputs, AFullFilesystemLeavesAllOrNothing) {
  // A real small filesystem (tmpfs), where root may mount one; elsewhere the file-size limit
  // tests above stand in for it.
  const fs::path mnt = dir_ / "small_fs";
  fs::create_directories(mnt);
  int finished = 0, failed = 0;
  for (int kib : {256, 1024, 2048, 3072, 8192}) {
    const std::string opts = "size=" + std::to_string(kib) + "k";
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, opts.c_str()) != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
    const fs::path out = mnt / "shot";
    const CliResult r = run_cli(process_args(out.string()));
    const std::string context = "filesystem of " + std::to_string(kib) + " KiB";
    const int present = expect_whole_frame_or_nothing(out, context);
    if (r.exit_code == 0) {
      ++finished;
      EXPECT_EQ(present, 4) << context;
    } else {
      ++failed;
      EXPECT_EQ(r.exit_code, 1) << context << "\n" << r.output;
      EXPECT_NE(r.output.find("disk full"), std::string::npos) << context << "\n" << r.output;
      EXPECT_FALSE(fs::exists(out)) << context;
    }
    ::umount(mnt.c_str());
  }
  EXPECT_GE(failed, 2);
  EXPECT_GE(finished, 1);
}

pid_t spawn_cli(const std::string& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl("/bin/sh", "sh", "-c", ("exec " + std::string(CK_CLI_PATH) + " " + args).c_str(), nullptr);
    _exit(127);
  }
  return pid;
}

TEST_F(DurableOutputs, SignalsAtAnyMomentLeaveWholeFramesOrNothing) {
  // How long an uninterrupted run takes (the faster of two: the first may pay for cold
  // caches), then signals spread over most of that time.
  double run_s = 1e9;
  for (int i = 0; i < 2; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(run_cli(process_args((dir_ / ("timing" + std::to_string(i))).string())).exit_code, 0);
    run_s = std::min(run_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  // Before main has installed the handlers a signal kills the process as it would any
  // program: the signals start after a start-up's time (`--help`, the faster of two), which
  // under the sanitizers is a large share of a run.
  double startup_s = 1e9;
  for (int i = 0; i < 2; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    run_cli("--help");
    startup_s = std::min(startup_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  ASSERT_LT(startup_s, 0.5 * run_s) << "start-up takes most of a run: nothing left to interrupt";
  int interrupted = 0;
  const int rounds = 16;
  for (int i = 0; i < rounds; ++i) {
    const int sig = i % 2 ? SIGINT : SIGTERM;
    const fs::path out = dir_ / ("sig_" + std::to_string(i));
    const pid_t pid = spawn_cli(process_args(out.string()));
    std::this_thread::sleep_for(
        std::chrono::duration<double>(startup_s + (0.9 * run_s - startup_s) * (i + 0.5) / rounds));
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << "round " << i << " died of a signal";
    const int code = WEXITSTATUS(status);
    EXPECT_TRUE(code == 0 || code == 128 + sig) << "round " << i << ": exit " << code;
    const std::string context = "round " + std::to_string(i) + " (exit " + std::to_string(code) + ")";
    const int present = expect_whole_frame_or_nothing(out, context);
    if (code == 0) {
      EXPECT_EQ(present, 4) << context;
    } else {
      ++interrupted;
      // Folders the run made stay only if they hold a finished frame.
      if (present == 0) {
        EXPECT_FALSE(fs::exists(out)) << context;
      }
    }
  }
  // The test says something only if signals did land mid-run (how many depends on the load).
  EXPECT_GE(interrupted, rounds / 4);
}

TEST_F(DurableOutputs, TemporariesOfKilledRunsAreRemovedAndLiveOnesKept) {
  const fs::path out = dir_ / "shot";
  fs::create_directories(out / "Matte");
  // A live process's temporary (this test's), and one of a process that has exited.
  auto live = create_temporary_beside((out / "Matte" / "plate.exr").string());
  ASSERT_TRUE(live.ok());
  const std::string live_path = live->path();
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ::waitpid(child, nullptr, 0);
  std::string dead_path = live_path;
  const std::string own_pid = "-" + std::to_string(::getpid()) + "-";
  dead_path.replace(dead_path.find(own_pid), own_pid.size(), "-" + std::to_string(child) + "-");
  std::ofstream(dead_path) << "half a frame";
  ASSERT_EQ(run_cli(process_args(out.string())).exit_code, 0);
  EXPECT_FALSE(fs::exists(dead_path));
  EXPECT_TRUE(fs::exists(live_path));
  ::unlink(live_path.c_str());
  forget_temporary(live_path);
}

TEST_F(DurableOutputs, RunningOutOfMemoryIsAnErrorNotAnAbort) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer reserves its shadow memory beyond any address-space limit";
#endif
  // A 2048 frame needs about 3 GB: with 1.5 GB of address space, every allocation failure on
  // the way (the library's tensors, the standard library's vectors) must come back as an
  // error. Less would starve the libraries' start-up instead (OpenBLAS, loaded by
  // OpenImageIO's OpenCV, retries its buffers forever when they cannot be mapped).
  for (const char* cmd : {"infer", "process"}) {
    const fs::path out = dir_ / cmd;
    const CliResult r = run_shell(std::string("ulimit -v 1500000; exec ") + CK_CLI_PATH + " " + cmd + " --image " +
                                  sample_path("plate.png") + " --hint " + sample_path("hint.png") + " --checkpoint " +
                                  fixture_path("tiny/weights.safetensors") + " --img-size 2048 --output-dir " +
                                  out.string());
    EXPECT_EQ(r.exit_code, 1) << cmd << ": " << r.output;
    EXPECT_NE(r.output.find(std::string("corridorkey ") + cmd + ":"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out)) << cmd;
  }
}

TEST_F(DurableOutputs, AnOutputSetThatFailsLeavesNothing) {
  OutputSet set;
  ASSERT_TRUE(set.add(path("a.bin"), [](FileSink& f) { return f.write("abc", 3); }).ok());
  const Status failed = set.add(path("b.bin"), [](FileSink&) -> Status { return err(ErrorCode::kIo, "encoder failed"); });
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(temporaries_under(dir_).size(), 1u);  // a.bin's, until the set goes
  // A rename that fails half-way (b's folder has gone) takes back what was renamed.
  fs::create_directories(path("sub"));
  ASSERT_TRUE(set.add(path("sub/c.bin"), [](FileSink& f) { return f.write("c", 1); }).ok());
  fs::rename(path("sub"), path("moved"));
  EXPECT_FALSE(set.commit().ok());
  EXPECT_FALSE(fs::exists(path("a.bin")));
  fs::remove_all(path("moved"));
  EXPECT_EQ(temporaries_under(dir_).size(), 0u);
  {
    OutputSet abandoned;
    ASSERT_TRUE(abandoned.add(path("d.bin"), [](FileSink& f) { return f.write("d", 1); }).ok());
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace ck::test
