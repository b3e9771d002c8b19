// Render farms for real: a one-node Slurm cluster (Debian's slurmctld, slurmd and munge, started
// here on the loopback address with their own key, ports and folders) keys a 24-frame clip in
// chunks of 5 with one task killed and requeued, and `openjd run` (PyPI's openjd-cli) runs the
// Open Job Description template over the same clip. Every frame must end up keyed exactly once
// and identical to a single-process run. A scheduler that cannot start is a skip naming why.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_runner.hpp"
#include "corridorkey/image_file.hpp"
#include "synthetic_clip.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

namespace fs = std::filesystem;

constexpr int kFrames = 24, kFirst = 1001, kWidth = 160, kHeight = 96;

std::string engine_args() {
  return " --checkpoint " + fixture_path("checkpoints/tiny_official.pth") + " --img-size 64 --threads 1";
}

bool have(const std::string& program) { return run_shell("command -v " + program).exit_code == 0; }

class Farm : public TempDirTest {
 protected:
  void make_clip() {
    fs::create_directories(path("clip/Input"));
    fs::create_directories(path("clip/AlphaHint"));
    for (int i = 0; i < kFrames; ++i) {
      const std::string n = std::to_string(kFirst + i);
      ASSERT_TRUE(write_image_8bit(path("clip/Input/plate." + n + ".png"), synthetic_plate(kWidth, kHeight, i % 9)).ok());
      ASSERT_TRUE(write_image_8bit(path("clip/AlphaHint/hint." + n + ".png"), synthetic_hint(kWidth, kHeight, i % 9)).ok());
    }
  }
  // Every frame complete and equal, file by file and value by value, to a single-process run.
  void expect_same_as_one_process() {
    const CliResult single = run_cli("process --input " + path("clip/Input/plate.%d.png") + " --hint " +
                                     path("clip/AlphaHint/hint.%d.png") + " --output-dir " + path("single") + engine_args());
    ASSERT_EQ(single.exit_code, 0) << single.output;
    for (int i = 0; i < kFrames; ++i) {
      const std::string name = "plate." + std::to_string(kFirst + i);
      for (const char* file : {"Matte/", "FG/", "Processed/"}) {
        const auto farm = read_image(path("clip/Output/" + std::string(file) + name + ".exr"));
        ASSERT_TRUE(farm.ok()) << name << " " << file << ": " << farm.error().message;
        EXPECT_EQ(farm->pixels, unwrap(read_image(path("single/" + std::string(file) + name + ".exr"))).pixels)
            << name << " " << file;
      }
    }
  }
};

// A Slurm controller and node daemon of our own, with munge, on ports no other cluster uses.
class SlurmCluster {
 public:
  explicit SlurmCluster(const fs::path& dir) : dir_(dir) {}
  ~SlurmCluster() { stop(); }

  // Empty when running; else why not.
  std::string start() {
    for (const char* p : {"slurmctld", "slurmd", "munged", "sbatch", "squeue", "scontrol"}) {
      if (!have(p)) return std::string(p) + " is not installed (Debian: slurmctld slurmd slurm-client munge)";
    }
    fs::create_directories(dir_ / "state");
    fs::create_directories(dir_ / "spool");
    fs::create_directories(dir_ / "munge");
    fs::permissions(dir_ / "munge", fs::perms::owner_all);
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::string node(host);
    node = node.substr(0, node.find('.'));
    const int port = 20000 + static_cast<int>(::getpid() % 20000) * 2;
    const std::string d = dir_.string();
    std::ofstream(dir_ / "slurm.conf") << "ClusterName=cktest\nSlurmctldHost=" << node << "(127.0.0.1)\n"
                                       << "SlurmctldPort=" << port << "\nSlurmdPort=" << port + 1
                                       << "\nAuthType=auth/munge\nAuthInfo=socket=" << d << "/munge/sock\n"
                                       << "SlurmUser=root\nStateSaveLocation=" << d << "/state\nSlurmdSpoolDir=" << d
                                       << "/spool\nSlurmctldPidFile=" << d << "/ctld.pid\nSlurmdPidFile=" << d
                                       << "/d.pid\nSlurmctldLogFile=" << d << "/ctld.log\nSlurmdLogFile=" << d
                                       << "/d.log\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
                                       << "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\nReturnToService=2\n"
                                       << "JobCompType=jobcomp/none\nAccountingStorageType=accounting_storage/none\n"
                                       << "MpiDefault=none\nSchedulerParameters=sched_interval=1\n"
                                       << "NodeName=" << node << " NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n"
                                       << "PartitionName=ck Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n";
    env_ = "export SLURM_CONF=" + d + "/slurm.conf; ";
    const CliResult munge = run_shell("dd if=/dev/urandom of=" + d + "/munge/key bs=1024 count=1 2>/dev/null && chmod 400 " +
                                      d + "/munge/key && munged --force --socket=" + d + "/munge/sock --key-file=" + d +
                                      "/munge/key --log-file=" + d + "/munge/log --pid-file=" + d +
                                      "/munge/pid --seed-file=" + d + "/munge/seed");
    if (munge.exit_code != 0) return "munged did not start: " + munge.output;
    started_ = true;
    const CliResult daemons = run_shell(env_ + "slurmctld && slurmd");
    if (daemons.exit_code != 0) return "slurmctld or slurmd did not start: " + daemons.output;
    for (int i = 0; i < 300; ++i) {
      if (run_shell(env_ + "sinfo -h -o %t").output.find("idle") != std::string::npos) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "the Slurm node did not come up: " + run_shell("tail -n 5 " + d + "/ctld.log " + d + "/d.log").output;
  }

  CliResult shell(const std::string& line) const { return run_shell(env_ + line); }

  void stop() {
    if (!started_) return;
    const std::string d = dir_.string();
    run_shell(env_ + "scancel --user=root 2>/dev/null; for f in " + d + "/ctld.pid " + d + "/d.pid " + d +
              "/munge/pid; do [ -f $f ] && kill $(cat $f) 2>/dev/null; done; sleep 0.5");
    started_ = false;
  }

 private:
  fs::path dir_;
  std::string env_;
  bool started_ = false;
};

// Per frame, from the chunks' NDJSON logs: how often it was keyed (frame_done) and whether a
// run skipped it because its outputs were already there.
struct FrameCounts {
  int keyed = 0;
  bool skipped = false;
};

std::map<int64_t, FrameCounts> frames_in_logs(const fs::path& logs) {
  std::map<int64_t, FrameCounts> frames;
  for (const fs::directory_entry& e : fs::directory_iterator(logs)) {
    if (e.path().filename().string().rfind("chunk_", 0) != 0) continue;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] != '{') continue;
      const nlohmann::json j = nlohmann::json::parse(line);
      if (j["event"] == "frame_done") ++frames[j["frame"].get<int64_t>()].keyed;
      if (j["event"] == "frame_skipped") frames[j["frame"].get<int64_t>()].skipped = true;
    }
  }
  return frames;
}

TEST_F(Farm, SlurmArrayKeysEveryFrameOnceWithAChunkKilledAndRequeued) {
  SlurmCluster cluster(dir_ / "slurm");
  const std::string why = cluster.start();
  if (!why.empty()) GTEST_SKIP() << "SKIPPED: no Slurm cluster: " << why;
  make_clip();
  const CliResult submitted = cluster.shell(std::string(CK_CLI_PATH) + " farm slurm " + path("clip") +
                                            " --chunk 5 --max-parallel 2 --submit --" + engine_args());
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  const size_t at = submitted.output.find("submitted job ");
  ASSERT_NE(at, std::string::npos) << submitted.output;
  const std::string job = submitted.output.substr(at + 14, submitted.output.find(' ', at + 14) - at - 14);

  // Chunk 2 (frames 1011-1015) is requeued while it runs: Slurm kills it and runs it again.
  bool requeued = false;
  const fs::path log2 = dir_ / "clip/farm/logs/chunk_2.log";
  for (int i = 0; i < 1200 && !requeued; ++i) {
    std::ifstream in(log2);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("frame_done") != std::string::npos && text.find("\"finished\"") == std::string::npos) {
      requeued = cluster.shell("scontrol requeue " + job + "_2").exit_code == 0;
    }
    if (!requeued) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(requeued) << "chunk 2 was never caught running";
  // Slurm holds a requeued task back for a while (its begin time); let it start again soon, but
  // not within the second of the kill: slurmd refuses a launch whose credential is as old as
  // the revoked one of the killed run ("Job credential revoked"), which fails the task.
  for (int i = 0; i < 300; ++i) {
    if (cluster.shell("squeue -h -j " + job + "_2 -o %T").output.find("PENDING") != std::string::npos &&
        cluster.shell("scontrol update JobId=" + job + "_2 StartTime=now+2").exit_code == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (int i = 0; i < 2400; ++i) {  // up to 4 minutes
    if (cluster.shell("squeue -h").output.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(cluster.shell("squeue -h").output.empty()) << cluster.shell("squeue").output;
  std::ifstream verify(dir_ / "clip/farm/logs/verify.log");
  const std::string report((std::istreambuf_iterator<char>(verify)), std::istreambuf_iterator<char>());
  EXPECT_NE(report.find("24 frames checked"), std::string::npos) << report;
  EXPECT_NE(report.find("all complete"), std::string::npos) << report;
  // Exactly once: frames finished before the kill were skipped on the rerun, the rest keyed
  // then. A frame whose outputs were committed in the instant between its writing and its
  // log line (the kill fell there) shows only as skipped by the rerun: keyed once all the same.
  const std::map<int64_t, FrameCounts> frames = frames_in_logs(dir_ / "clip/farm/logs");
  ASSERT_EQ(frames.size(), static_cast<size_t>(kFrames));
  int unlogged = 0;
  for (const auto& [frame, counts] : frames) {
    EXPECT_LE(counts.keyed, 1) << "frame " << frame << " keyed twice";
    EXPECT_TRUE(counts.keyed == 1 || counts.skipped) << "frame " << frame << " neither keyed nor there";
    if (counts.keyed == 0) ++unlogged;
  }
  EXPECT_LE(unlogged, 1) << "more than the frame the kill fell on is only skipped";
  std::ifstream in(log2);
  const std::string chunk2((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(chunk2.find("restart 1"), std::string::npos) << chunk2;
  expect_same_as_one_process();
}

TEST_F(Farm, OpenJobDescriptionTemplateRunsTheClipInChunks) {
  // openjd-cli from PyPI, in a virtual environment of the build's own.
  const std::string venv = fs::absolute(fs::path(CK_CLI_PATH).parent_path().parent_path() / "farm-venv").string();
  if (!fs::exists(venv + "/bin/openjd")) {
    const CliResult made = run_shell("/usr/bin/python3 -m venv " + venv + " && " + venv +
                                     "/bin/pip install -q openjd-cli 2>&1 | tail -n 3");
    if (made.exit_code != 0 || !fs::exists(venv + "/bin/openjd")) {
      GTEST_SKIP() << "SKIPPED: openjd-cli could not be installed from PyPI: " << made.output;
    }
  }
  make_clip();
  const CliResult written = run_cli("farm openjd " + path("clip") + " --chunk 5 --" + engine_args());
  ASSERT_EQ(written.exit_code, 0) << written.output;
  const std::string tmpl = path("clip/farm/corridorkey.openjd.yaml");
  const CliResult checked = run_shell(venv + "/bin/openjd check " + tmpl);
  ASSERT_EQ(checked.exit_code, 0) << checked.output;
  const CliResult ran = run_shell(venv + "/bin/openjd run " + tmpl + " --step Verify --run-dependencies");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("Frame(CHUNK[INT]) = 1001-"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("all complete"), std::string::npos) << ran.output;
  expect_same_as_one_process();
}

}  // namespace
}  // namespace ck::test
