// corridorkey doctor: what this machine and build offer (CPU level and features, threads,
// library versions, video codecs that carry alpha, the OpenColorIO config, the weights found)
// and a self-test that keys one generated frame.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "corridorkey/colour_management.hpp"
#include "corridorkey/engine.hpp"
#include "corridorkey/system_info.hpp"
#include "corridorkey/video_file.hpp"

namespace ck::cli {

namespace {

struct DoctorOptions {
  int img_size = 256;
  std::string checkpoint;
};

// One line per fact; a failed check makes the exit code 1.
struct Report {
  bool ok = true;
  void fact(const std::string& name, const std::string& value) { std::cout << "  " << name << ": " << value << "\n"; }
  void problem(const std::string& name, const std::string& value) {
    std::cout << "  " << name << ": PROBLEM: " << value << "\n";
    ok = false;
  }
};

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const std::string& i : items) s += (s.empty() ? "" : ", ") + i;
  return s.empty() ? "none" : s;
}

}  // namespace

std::string version_text() {
  const SystemInfo sys = system_info();
  return "corridorkey " + sys.version + "\nrevision " + sys.revision + "\nbuild: " + sys.build +
         "\nthis CPU: kernels " + sys.cpu_level + "; precisions " + joined(sys.precisions) + "; " + sys.onednn;
}

namespace {

int run_doctor(const DoctorOptions& o) {
  Report r;
  const SystemInfo sys = system_info();
  std::cout << "corridorkey " << sys.version << " (" << sys.revision << ")\n";
  r.fact("build", sys.build);
  r.fact("precisions", joined(sys.precisions));
  r.fact("CPU level", sys.cpu_level);
  r.fact("CPU features", joined(sys.cpu_features));
  r.fact("threads", std::to_string(sys.threads));
  r.fact("oneDNN", sys.onednn);
  r.fact("colour", colour_library_version());
  const auto video = video_library_info();
  if (video.ok()) {
    r.fact("video", joined(video->versions));
    r.fact("encoders with alpha", joined(video->alpha_encoders));
    r.fact("H.264 preview", video->h264 ? "yes" : "no encoder");
  } else {
    r.problem("video", video.error().message);
  }
  const char* ocio = std::getenv("OCIO");
  if (ocio == nullptr || *ocio == '\0') {
    r.fact("OCIO config", "none ($OCIO unset; --ocio-config names one per run)");
  } else if (auto probe = ColourConversion::to_working(ocio, linear_rec709_names().front()); probe.ok()) {
    r.fact("OCIO config", std::string(ocio));
  } else {
    r.fact("OCIO config", std::string(ocio) + " (" + probe.error().message + ")");
  }
  Result<std::string> found = resolve_checkpoint(o.checkpoint);
  const std::string weights = found.ok() ? found.value() : "";
  std::error_code ec;
  if (weights.empty()) {
    r.fact("weights", "none found: " + found.error().message);
  } else if (!std::filesystem::is_regular_file(weights, ec)) {
    r.problem("weights", "no file '" + weights + "'");
  } else {
    r.fact("weights", weights + " (" + std::to_string(std::filesystem::file_size(weights, ec) >> 20) + " MiB)");
  }

  // The self-test: one frame through the whole pipeline, on generated weights (or the weights
  // given), checked for finite outputs of the right shape.
  EngineOptions options;
  options.img_size = o.img_size;
  const auto t0 = std::chrono::steady_clock::now();
  auto engine = weights.empty() || !std::filesystem::is_regular_file(weights, ec)
                    ? Engine::create_with_generated_weights(options)
                    : Engine::create(weights, options);
  if (!engine.ok()) {
    r.problem("self-test", engine.error().message);
  } else {
    Image plate{96, 64, 3, std::vector<float>(96 * 64 * 3, 0.0f)}, hint{96, 64, 1, std::vector<float>(96 * 64, 0.0f)};
    for (int y = 0; y < 64; ++y) {
      for (int x = 0; x < 96; ++x) {
        const bool subject = (x - 48) * (x - 48) + (y - 32) * (y - 32) < 400;
        float* p = &plate.pixels[(y * 96 + x) * 3];
        p[0] = subject ? 0.8f : 0.1f;
        p[1] = subject ? 0.5f : 0.8f;
        p[2] = subject ? 0.4f : 0.1f;
        hint.pixels[y * 96 + x] = subject ? 1.0f : 0.0f;
      }
    }
    auto keyed = engine.value()->process_frame(view_of(plate), view_of(hint), FrameOptions{});
    bool finite = keyed.ok();
    if (keyed.ok()) {
      for (float v : keyed->processed.pixels) finite = finite && std::isfinite(v);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!keyed.ok()) {
      r.problem("self-test", keyed.error().message);
    } else if (!finite || keyed->processed.width != 96 || keyed->processed.height != 64) {
      r.problem("self-test", "the keyed frame is malformed");
    } else {
      r.fact("self-test", "keyed a 96x64 frame at S=" + std::to_string(o.img_size) + " in " + std::to_string(s) + " s (" +
                              (weights.empty() ? "generated weights" : "the weights above") + ")");
    }
  }
  std::cout << (r.ok ? "everything needed is here\n" : "problems found (above)\n");
  return r.ok ? 0 : 1;
}

}  // namespace

void add_doctor_command(CLI::App& app, std::function<int()>& run_fn) {
  auto o = std::make_shared<DoctorOptions>();
  CLI::App* cmd = app.add_subcommand("doctor", "Check this machine: CPU, libraries, codecs, colour, weights, a self-test");
  cmd->add_option("--img-size", o->img_size, "network size of the self-test")->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "weights to check and self-test (default: $CORRIDORKEY_CHECKPOINT)");
  cmd->callback([o, &run_fn] { run_fn = [o] { return run_doctor(*o); }; });
}

}  // namespace ck::cli
