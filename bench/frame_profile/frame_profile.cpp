// ck_frame_profile: where one frame's time goes, end to end, as `corridorkey process` keys it:
// reading and decoding the plate and hint, each step of preparing, the network, each step of
// finishing, and encoding and writing each output file (alone, then the four together as
// process writes them). Generated full-size weights, a generated plate; public API only.
//
//   ck_frame_profile [--width W] [--height H] [--img-size S] [--threads N] [--format png|exr] [--runs N]
//                    [--exr-compression NAME] [--png-compression N]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
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

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
}

template <class T>
T check(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "ck_frame_profile: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

void check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "ck_frame_profile: %s: %s\n", what, s.error().message.c_str());
    std::exit(1);
  }
}

struct Steps : NetworkObserver {
  std::map<std::string, double>* into;
  void on_stage_time(const std::string& stage, double seconds) override {
    if (stage.find('.') != std::string::npos || stage == "network") (*into)[stage] += seconds;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int width = 1920, height = 1080, img_size = 512, threads = 2, runs = 3;
  std::string format = "png", exr_compression;
  int png_compression = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--width") width = std::stoi(value);
    else if (flag == "--height") height = std::stoi(value);
    else if (flag == "--img-size") img_size = std::stoi(value);
    else if (flag == "--threads") threads = std::stoi(value);
    else if (flag == "--format") format = value;
    else if (flag == "--runs") runs = std::stoi(value);
    else if (flag == "--exr-compression") exr_compression = value;
    else if (flag == "--png-compression") png_compression = std::stoi(value);
    else {
      std::fprintf(stderr, "ck_frame_profile: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  ck::keep_frame_buffers_in_heap();  // as the corridorkey tool does
  const fs::path dir = fs::temp_directory_path() / ("ck_frame_profile_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  WriteOptions input_format;  // 8-bit PNG, or half-float PXR24 EXR as cameras' plates often are
  if (format == "exr") {
    input_format.format = SampleFormat::kHalf;
    input_format.compression = "pxr24";
  }
  const std::string plate_path = (dir / ("plate." + format)).string(), hint_path = (dir / ("hint." + format)).string();
  check(write_image(plate_path, ck::test::synthetic_plate(width, height, 2), input_format), "plate");
  check(write_image(hint_path, ck::test::synthetic_hint(width, height, 2), input_format), "hint");

  EngineOptions options;
  options.img_size = img_size;
  options.threads = threads;
  auto engine = check(Engine::create_with_generated_weights(options), "engine");
  ShotOutputOptions outputs;
  outputs.dir = (dir / "out").string();
  outputs.exr_compression = exr_compression;
  outputs.png_compression = png_compression;
  check(create_frame_output_folders(outputs), "output folders");

  std::map<std::string, std::vector<double>> samples;
  for (int run = 0; run <= runs; ++run) {  // run 0 warms up
    std::map<std::string, double> t;
    auto t0 = Clock::now();
    const Image plate = check(read_image(plate_path), "read plate");
    t["read.plate"] = since(t0);
    t0 = Clock::now();
    const Image hint = check(read_image(hint_path), "read hint");
    t["read.hint"] = since(t0);
    Steps steps;
    steps.into = &t;
    const FrameResult r = check(engine->process_frame(view_of(plate), view_of(hint), FrameOptions{}, &steps), "key");
    t["total.prepare"] = r.prepare_s;
    t["total.network"] = r.network_s;
    t["total.finish"] = r.finish_s;
    // Each file alone (one encoder thread each), then the four together as `process` writes them.
    const std::vector<std::string> paths = frame_output_paths(outputs, "alone");
    const Image* images[] = {&r.alpha, &r.fg, &r.processed, &r.comp};
    const char* names[] = {"write.matte_exr", "write.fg_exr", "write.processed_exr", "write.comp_png"};
    for (int k = 0; k < 4; ++k) {
      ShotOutputOptions one = outputs;
      WriteOptions w;
      w.png_compression = png_compression;
      if (k < 3) {
        w.format = SampleFormat::kHalf;
        w.compression = exr_compression.empty() ? "pxr24" : exr_compression;
      }
      t0 = Clock::now();
      check(write_image(paths[k], *images[k], w), names[k]);
      t[names[k]] = since(t0);
    }
    const double cpu0 = cpu_seconds();
    t0 = Clock::now();
    check(write_frame_outputs(r, "frame", outputs), "write");
    t["write.together (wall)"] = since(t0);
    t["write.together (CPU s)"] = cpu_seconds() - cpu0;
    if (run > 0) {
      for (const auto& [k, v] : t) samples[k].push_back(v);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("%dx%d %s plate and hint, S=%d, %d threads, EXR %s, PNG level %d, median of %d runs\n\n"
              "| step | seconds |\n|---|---|\n",
              width, height, format.c_str(), img_size, threads, exr_compression.empty() ? "pxr24" : exr_compression.c_str(),
              png_compression, runs);
  double read = 0;
  for (const auto& [k, v] : samples) {
    const double m = median(v);
    std::printf("| %s | %.4f |\n", k.c_str(), m);
    if (k.rfind("read.", 0) == 0) read += m;
  }
  const double prepare = median(samples["total.prepare"]), network = median(samples["total.network"]),
               finish = median(samples["total.finish"]);
  const double write = median(samples["write.together (wall)"]);
  std::printf("\nread %.3f s, prepare %.3f s, network %.3f s, finish %.3f s, write %.3f s (wall, four files together)\n",
              read, prepare, network, finish, write);
  std::printf("everything but the network: %.3f s = %.2f x the network\n", read + prepare + finish + write,
              (read + prepare + finish + write) / network);
  fs::remove_all(dir);
  return 0;
}
