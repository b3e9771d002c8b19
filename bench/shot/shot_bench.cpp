// ck_shot_bench: how much of a shot's time the network gets. Keys a generated 1920x1080
// sequence through key_shot (read-ahead, keying, write-behind) and compares its frame rate
// with the network's alone at the same S; then keys many small frames and reports how the
// process's resident memory moves over them. Public API only, generated full-size weights.
//
//   ck_shot_bench [--frames N] [--img-size S] [--width W] [--height H] [--threads N]
//                 [--format exr|png] [--memory-frames N] [--dir DIR] [--exr-compression NAME]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "corridorkey/engine.hpp"
#include "corridorkey/frame_memory.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/shot.hpp"
#include "synthetic_clip.hpp"

namespace {

using namespace ck;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  int frames = 12, img_size = 512, width = 1920, height = 1080, threads = 2, memory_frames = 1000;
  std::string exr_compression;
  std::string format = "exr", dir = (fs::temp_directory_path() / "ck_shot_bench").string();
};

double resident_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

template <class T>
T check(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "ck_shot_bench: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

void check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "ck_shot_bench: %s: %s\n", what, s.error().message.c_str());
    std::exit(1);
  }
}

// Writes `count` plates and hints as plate.<n>.<ext> / hint.<n>.<ext>, n from 1001.
void write_sequence(const std::string& dir, int count, int width, int height, const std::string& format) {
  fs::create_directories(dir);
  WriteOptions options;
  if (format == "exr") {
    options.format = SampleFormat::kHalf;
    options.compression = "pxr24";
  }
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(1001 + i);
    check(write_image(dir + "/plate." + n + "." + format, ck::test::synthetic_plate(width, height, i % 8), options), "plate");
    check(write_image(dir + "/hint." + n + "." + format, ck::test::synthetic_hint(width, height, i % 8), options), "hint");
  }
}

// Records when each frame finished, and the resident memory then.
struct Recorder : ShotObserver {
  std::vector<double> done_at, rss_mib;
  double read_s = 0, key_s = 0, write_s = 0;
  void on_event(const ShotEvent& e) override {
    if (e.kind == ShotEvent::Kind::kFrameFailed || e.kind == ShotEvent::Kind::kWarning) {
      std::fprintf(stderr, "ck_shot_bench: %s\n", e.message.c_str());
    }
    if (e.kind != ShotEvent::Kind::kFrameDone) return;
    done_at.push_back(e.elapsed_s);
    rss_mib.push_back(resident_mib());
    read_s += e.read_s;
    key_s += e.key_s;
    write_s += e.write_s;
  }
};

ShotJob job_for(const std::string& in, const std::string& out, const std::string& format) {
  ShotJob job;
  job.name = "bench";
  job.plate = check(open_frame_source(in + "/plate.####." + format), "plate sequence");
  job.hint = check(open_frame_source(in + "/hint.####." + format), "hint sequence");
  job.output.dir = out;
  job.skip_existing = false;
  return job;
}

// CPU seconds (user + system) the process has used, over all its threads.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--frames") o.frames = std::stoi(value);
    else if (flag == "--img-size") o.img_size = std::stoi(value);
    else if (flag == "--width") o.width = std::stoi(value);
    else if (flag == "--height") o.height = std::stoi(value);
    else if (flag == "--threads") o.threads = std::stoi(value);
    else if (flag == "--format") o.format = value;
    else if (flag == "--memory-frames") o.memory_frames = std::stoi(value);
    else if (flag == "--dir") o.dir = value;
    else if (flag == "--exr-compression") o.exr_compression = value;
    else {
      std::fprintf(stderr, "ck_shot_bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  ck::keep_frame_buffers_in_heap();  // as the corridorkey tool does
  fs::remove_all(o.dir);
  EngineOptions engine_options;
  engine_options.img_size = o.img_size;
  engine_options.threads = o.threads;
  auto engine = check(Engine::create_with_generated_weights(engine_options), "engine");

  // The network alone: the rate a shot could reach if files and pre/post-processing were free.
  std::vector<float> input(static_cast<size_t>(o.img_size) * o.img_size * 4, 0.25f);
  std::vector<double> network_s;
  double network_cpu = 0;
  for (int run = 0; run < 4; ++run) {
    const auto t = Clock::now();
    const double c = cpu_seconds();
    check(engine->run_network(input.data()), "network");
    if (run > 0) {
      network_s.push_back(std::chrono::duration<double>(Clock::now() - t).count());
      network_cpu += cpu_seconds() - c;
    }
  }
  network_cpu /= 3;
  const double network_fps = 1.0 / median(network_s);

  // The shot: frames/s in the steady state (from the first frame's end to the last's).
  write_sequence(o.dir + "/in", o.frames, o.width, o.height, o.format);
  ShotJob job = job_for(o.dir + "/in", o.dir + "/out", o.format);
  job.output.exr_compression = o.exr_compression;
  Recorder shot;
  const double shot_cpu0 = cpu_seconds();
  const ShotSummary summary = check(key_shot(*engine, job, &shot), "shot");
  const double shot_cpu = (cpu_seconds() - shot_cpu0) / static_cast<double>(summary.keyed);
  const int n = static_cast<int>(shot.done_at.size());
  const double shot_fps = n > 1 ? (n - 1) / (shot.done_at.back() - shot.done_at.front()) : 0;
  std::printf("network alone, S=%d: %.3f s/frame (%.3f frames/s)\n", o.img_size, 1 / network_fps, network_fps);
  std::printf("shot, %lld frames of %dx%d %s at S=%d: %.3f s/frame (%.3f frames/s) = %.3f x the network's rate\n",
              static_cast<long long>(summary.keyed), o.width, o.height, o.format.c_str(), o.img_size, 1 / shot_fps, shot_fps,
              shot_fps / network_fps);
  std::printf("  per frame, summed over its threads: read %.3f s, key (prepare + network + finish) %.3f s, write %.3f s\n",
              shot.read_s / n, shot.key_s / n, shot.write_s / n);
  std::printf("  CPU time per frame: %.2f s in the shot, %.2f s for the network alone (%d threads): the files and the "
              "image steps cost %.2f CPU s per frame\n",
              shot_cpu, network_cpu, o.threads, shot_cpu - network_cpu);
  std::printf("  peak resident memory during the shot: %.0f MiB\n", *std::max_element(shot.rss_mib.begin(), shot.rss_mib.end()));

  // Memory over many small frames: resident memory after the 100th frame and after the last.
  if (o.memory_frames >= 200) {
    engine.reset();
    engine_options.img_size = 64;
    auto small = check(Engine::create_with_generated_weights(engine_options), "small engine");
    write_sequence(o.dir + "/small", o.memory_frames, 64, 48, "png");
    ShotJob many = job_for(o.dir + "/small", o.dir + "/small_out", "png");
    Recorder rec;
    const auto t = Clock::now();
    check(key_shot(*small, many, &rec), "small frames");
    const double first = rec.rss_mib.front(), at100 = rec.rss_mib[99], last = rec.rss_mib.back();
    const double peak = *std::max_element(rec.rss_mib.begin() + 99, rec.rss_mib.end());
    std::printf("memory, %zu frames of 64x48 at S=64 (%.1f s): resident %.1f MiB after the first frame, %.1f MiB after "
                "frame 100, %.1f MiB after the last (growth from frame 100 %+.2f MiB; peak after it %.1f MiB)\n",
                rec.rss_mib.size(), std::chrono::duration<double>(Clock::now() - t).count(), first, at100, last,
                last - at100, peak);
  }
  fs::remove_all(o.dir);
  return 0;
}
