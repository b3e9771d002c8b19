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

#include "commands.hpp"
#include "corridorkey/engine.hpp"

namespace ck::cli {

namespace {

struct BenchOptions {
  std::string checkpoint;
  EngineOptions engine;
  int runs = 5;
  int warmup = 1;
  bool json = false;
};

// One network evaluation's stage times, in the network's order.
class StageTimes : public NetworkObserver {
 public:
  void on_stage_time(const std::string& stage, double seconds) override { laps.emplace_back(stage, seconds); }
  std::vector<std::pair<std::string, double>> laps;
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
  CK_TRY(check_engine_flags(o.engine));
  if (o.runs < 1 || o.warmup < 0) return err(ErrorCode::kInvalidArgument, "--runs must be >= 1, --warmup >= 0");
  CK_ASSIGN(const auto engine, o.checkpoint.empty() ? Engine::create_with_generated_weights(o.engine)
                                                    : Engine::create(o.checkpoint, o.engine));
  release_free_heap_memory();
  report_memory_plan(*engine);
  const int64_t s = o.engine.img_size;
  // A realistic input range: normalised colour around 0, hint in [0, 1].
  std::vector<float> x(static_cast<size_t>(4 * s * s));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const size_t colour = 3 * x.size() / 4;  // planes 0-2: normalised RGB in [-2, 2]; plane 3: hint
  for (size_t i = 0; i < x.size(); ++i) x[i] = i < colour ? 4.0f * u(rng) - 2.0f : u(rng);

  // Every run's total and per-stage laps; stages keep the network's order.
  std::vector<std::string> names;
  std::map<std::string, std::vector<double>> laps;
  std::vector<double> totals;
  for (int i = 0; i < o.warmup + o.runs; ++i) {
    StageTimes times;
    const auto out = engine->run_network(x.data(), 1.0f, &times);
    if (!out.ok()) return out.error();
    if (i < o.warmup) continue;
    double total = 0;
    for (const auto& [name, t] : times.laps) {
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
  const int threads = o.engine.threads > 0 ? o.engine.threads : static_cast<int>(std::thread::hardware_concurrency());
  const auto total = stats(totals);
  if (o.json) {
    std::printf("{\"img_size\": %d, \"threads\": %d, \"runs\": %d, \"precision\": \"%s\", ", o.engine.img_size, threads,
                o.runs, precision_name(o.engine.precision).data());
    std::printf("\"total\": {\"min_s\": %.4f, \"median_s\": %.4f, \"max_s\": %.4f}, \"stages\": {", total[0],
                total[1], total[2]);
    for (size_t i = 0; i < names.size(); ++i) {
      const auto st = stats(laps[names[i]]);
      std::printf("%s\"%s\": {\"min_s\": %.4f, \"median_s\": %.4f, \"max_s\": %.4f}", i ? ", " : "",
                  names[i].c_str(), st[0], st[1], st[2]);
    }
    std::printf("}, \"peak_rss_mb\": %.0f}\n", peak_rss_mb());
  } else {
    std::printf("network S=%d, %s, %s backend, %d threads, %d runs after %d warm-up (seconds)\n",
                o.engine.img_size, precision_name(o.engine.precision).data(), o.engine.backend.c_str(), threads,
                o.runs, o.warmup);
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
  add_engine_options(*cmd, opts->engine);
  cmd->add_option("--runs", opts->runs, "timed runs")->capture_default_str();
  cmd->add_option("--warmup", opts->warmup, "untimed runs first")->capture_default_str();
  cmd->add_flag("--json", opts->json, "one JSON line instead of text");
  cmd->callback([opts, &run_fn] { run_fn = exit_code_of("bench", [opts] { return run(*opts); }); });
}

}  // namespace ck::cli
