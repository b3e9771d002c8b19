// corridorkey bench: times the network alone (no image files) after warm-up runs, on the
// given checkpoint or on generated weights of the full-size network, and reports the peak
// resident memory of the process.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "backends/backend.hpp"
#include "commands.hpp"
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
};

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

Status run(const BenchOptions& o) {
  if (o.img_size <= 0 || o.img_size % 32 != 0) {
    return err(ErrorCode::kInvalidArgument, "--img-size ", o.img_size, " is not a positive multiple of 32");
  }
  if (o.runs < 1 || o.warmup < 0) return err(ErrorCode::kInvalidArgument, "--runs must be >= 1, --warmup >= 0");
  auto backend = make_cpu_backend();
  if (o.threads > 0) backend->set_num_threads(o.threads);
  StateDict weights;
  if (o.checkpoint.empty()) {
    CK_ASSIGN(weights, make_synthetic_weights(GreenFormerConfig::base_plus(), 512, 0));
  } else {
    CK_ASSIGN(Checkpoint ck, load_checkpoint(o.checkpoint));
    weights = std::move(ck.tensors);
  }
  CK_ASSIGN(const GreenFormer net, GreenFormer::create(weights, o.img_size, *backend));
  // A realistic input range: normalised colour around 0, hint in [0, 1].
  CK_ASSIGN(Tensor x, Tensor::empty({1, 4, o.img_size, o.img_size}));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const int64_t colour = 3 * x.numel() / 4;  // planes 0-2: normalised RGB in [-2, 2]; plane 3: hint
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = i < colour ? 4.0f * u(rng) - 2.0f : u(rng);

  std::vector<double> times;
  for (int i = 0; i < o.warmup + o.runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    CK_TRY(net.forward(x));
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i >= o.warmup) times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2];
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (o.json) {
    std::printf("{\"img_size\": %d, \"threads\": %d, \"runs\": %d, \"min_s\": %.4f, \"median_s\": %.4f, "
                "\"max_s\": %.4f, \"peak_rss_mb\": %.0f}\n",
                o.img_size, threads, o.runs, times.front(), median, times.back(), peak_rss_mb());
  } else {
    std::printf("network S=%d, %d threads, %d runs after %d warm-up: min %.3f s, median %.3f s, max %.3f s; "
                "peak resident %.0f MB\n",
                o.img_size, threads, o.runs, o.warmup, times.front(), median, times.back(), peak_rss_mb());
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
  cmd->add_flag("--json", opts->json, "one JSON line instead of text");
  cmd->callback([opts, &run_fn] {
    run_fn = [opts] {
      const Status st = run(*opts);
      if (st.ok()) return 0;
      std::cerr << "corridorkey bench: " << st.error().message << "\n";
      return 1;
    };
  });
}

}  // namespace ck::cli
