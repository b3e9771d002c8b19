// corridorkey bench: times the network alone (no image files) after warm-up runs, on the
// given checkpoint or on generated weights of the full-size network, and reports the peak
// resident memory of the process.
#include <algorithm>
#include <array>
#include <map>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "backends/backend.hpp"
#include "commands.hpp"
#include "core/stage_clock.hpp"
#include "model/greenformer.hpp"
#include "model/synthetic_weights.hpp"
#include "weights/checkpoint.hpp"

namespace ck::cli {

namespace {

struct BenchOptions {
  std::string checkpoint;
  int img_size = 512;
  int runs = 5;
  int warmup = 1;
  int threads = 0;
  bool json = false;
  Precision precision = Precision::kFP32;
  int buffer_cache_mib = -1;
};

// The process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux carries that
// over exec, so a tool started from a large process would report its parent's peak.
double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0.0;
}

Status run(const BenchOptions& o) {
  if (o.img_size <= 0 || o.img_size % 32 != 0) {
    return err(ErrorCode::kInvalidArgument, "--img-size ", o.img_size, " is not a positive multiple of 32");
  }
  if (o.runs < 1 || o.warmup < 0) return err(ErrorCode::kInvalidArgument, "--runs must be >= 1, --warmup >= 0");
  auto backend = make_cpu_backend();
  if (o.threads > 0) backend->set_num_threads(o.threads);
  // The weights the network does not keep go once it is built.
  auto built = [&]() -> Result<GreenFormer> {
    StateDict weights;
    if (o.checkpoint.empty()) {
      CK_ASSIGN(weights, make_synthetic_weights(GreenFormerConfig::base_plus(), 512, 0));
    } else {
      CK_ASSIGN(Checkpoint ck, load_checkpoint(o.checkpoint));
      weights = std::move(ck.tensors);
    }
    return GreenFormer::create(weights, o.img_size, *backend, o.precision);
  }();
  CK_ASSIGN(const GreenFormer net, std::move(built));
  prepare_buffer_pool(o.buffer_cache_mib);
  // A realistic input range: normalised colour around 0, hint in [0, 1].
  CK_ASSIGN(Tensor x, Tensor::empty({1, 4, o.img_size, o.img_size}));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const int64_t colour = 3 * x.numel() / 4;  // planes 0-2: normalised RGB in [-2, 2]; plane 3: hint
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = i < colour ? 4.0f * u(rng) - 2.0f : u(rng);

  // Every run's total and per-stage laps; stages keep the network's order.
  std::vector<std::string> names;
  std::map<std::string, std::vector<double>> laps;
  std::vector<double> totals;
  StageClock clock;
  for (int i = 0; i < o.warmup + o.runs; ++i) {
    clock.restart();
    CK_TRY(net.forward(x, nullptr, 1.0f, &clock));
    if (i < o.warmup) continue;
    double total = 0;
    for (const auto& [name, t] : clock.laps()) {
      if (!laps.count(name)) names.push_back(name);
      laps[name].push_back(t);
      total += t;
    }
    totals.push_back(total);
  }
  const auto stats = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return std::array<double, 3>{v.front(), v[v.size() / 2], v.back()};
  };
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
  const auto total = stats(totals);
  if (o.json) {
    std::printf("{\"img_size\": %d, \"threads\": %d, \"runs\": %d, \"precision\": \"%s\", ", o.img_size, threads,
                o.runs, precision_name(o.precision).data());
    std::printf("\"total\": {\"min_s\": %.4f, \"median_s\": %.4f, \"max_s\": %.4f}, \"stages\": {", total[0],
                total[1], total[2]);
    for (size_t i = 0; i < names.size(); ++i) {
      const auto st = stats(laps[names[i]]);
      std::printf("%s\"%s\": {\"min_s\": %.4f, \"median_s\": %.4f, \"max_s\": %.4f}", i ? ", " : "",
                  names[i].c_str(), st[0], st[1], st[2]);
    }
    std::printf("}, \"peak_rss_mb\": %.0f}\n", peak_rss_mb());
  } else {
    std::printf("network S=%d, %s, %d threads, %d runs after %d warm-up (seconds)\n", o.img_size,
                precision_name(o.precision).data(), threads, o.runs, o.warmup);
    std::printf("  %-12s %9s %9s %9s\n", "stage", "min", "median", "max");
    for (const std::string& n : names) {
      const auto st = stats(laps[n]);
      std::printf("  %-12s %9.4f %9.4f %9.4f\n", n.c_str(), st[0], st[1], st[2]);
    }
    std::printf("  %-12s %9.4f %9.4f %9.4f\n", "total", total[0], total[1], total[2]);
    std::printf("peak resident memory: %.0f MB\n", peak_rss_mb());
  }
  return ok_status();
}

}  // namespace

void add_bench_command(CLI::App& app, std::function<int()>& run_fn) {
  auto opts = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Time the network (generated full-size weights unless --checkpoint)");
  cmd->add_option("--checkpoint", opts->checkpoint, "weights: .pth or safetensors");
  cmd->add_option("--img-size", opts->img_size, "network resolution S")->capture_default_str();
  cmd->add_option("--runs", opts->runs, "timed runs")->capture_default_str();
  cmd->add_option("--warmup", opts->warmup, "untimed runs first")->capture_default_str();
  cmd->add_option("--threads", opts->threads, "CPU threads (default: all cores)");
  add_precision_option(*cmd, opts->precision);
  add_buffer_cache_option(*cmd, opts->buffer_cache_mib);
  cmd->add_flag("--json", opts->json, "one JSON line instead of text");
  cmd->callback([opts, &run_fn] { run_fn = exit_code_of("bench", [opts] { return run(*opts); }); });
}

}  // namespace ck::cli
