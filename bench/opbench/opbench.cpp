// ck_opbench: times the CPU backend's kernels on the network's shapes and reports the rate
// each reaches (GFLOP/s for GEMM-like ops, GB/s for memory-bound ones), next to the plain
// reference kernel where that finishes in reasonable time. This is how the choice of oneDNN
// for GEMM and convolution, and of hand-written kernels elsewhere, is measured.
//
//   ck_opbench [--threads N] [--runs N] [--with-reference]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backends/backend.hpp"

namespace {

using namespace ck;

Tensor filled(const Shape& shape, uint32_t seed) {
  auto r = Tensor::empty(shape);
  if (!r.ok()) {
    std::fprintf(stderr, "ck_opbench: %s\n", r.error().message.c_str());
    std::exit(1);
  }
  Tensor t = std::move(r).value();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

struct Bench {
  std::string name;
  double work;       // FLOPs (2 x multiply-adds) or bytes moved
  const char* unit;  // "GFLOP/s" or "GB/s"
  Shape out;
  std::function<Status(Backend&, Tensor&)> run;
};

double median_seconds(Backend& be, const Bench& b, int runs) {
  Tensor y = filled(b.out, 0);
  std::vector<double> t;
  for (int i = 0; i < runs + 1; ++i) {  // the first run creates primitives and warms caches
    const auto t0 = std::chrono::steady_clock::now();
    const Status st = b.run(be, y);
    const auto t1 = std::chrono::steady_clock::now();
    if (!st.ok()) {
      std::fprintf(stderr, "ck_opbench: %s failed on %s: %s\n", b.name.c_str(), std::string(be.name()).c_str(),
                   st.error().message.c_str());
      std::exit(1);
    }
    if (i > 0) t.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::vector<Bench> make_benches() {
  std::vector<Bench> v;
  uint32_t seed = 1;
  auto linear = [&](const std::string& name, int64_t m, int64_t k, int64_t n, bool bf16 = false) {
    Tensor x = filled({m, k}, seed++), w = filled({n, k}, seed++), b = filled({n}, seed++);
    if (bf16) w = w.to(DType::BF16).value();  // the bf16 precision's weights: input rounded, fp32 sums
    v.push_back({name, 2.0 * m * k * n, "GFLOP/s", {m, n}, [=](Backend& be, Tensor& y) { return be.linear(x, w, &b, y); }});
  };
  linear("linear stage2 mlp.fc1 (1024 tok, 448->1792)", 1024, 448, 1792);
  linear("linear bf16 stage2 mlp.fc1 (1024 tok, 448->1792)", 1024, 448, 1792, true);
  linear("linear bf16 stage2 qkv (1024 tok, 448->1344)", 1024, 448, 1344, true);
  linear("linear stage0 qkv (16384 tok, 112->336)", 16384, 112, 336);
  linear("linear stage3 mlp.fc2 (256 tok, 3584->896)", 256, 3584, 896);
  auto conv = [&](const std::string& name, int64_t c, int64_t o, int64_t hw, int k, Conv2dParams p) {
    Tensor x = filled({1, c, hw, hw}, seed++), w = filled({o, c, k, k}, seed++), b = filled({o}, seed++);
    const Shape out = conv2d_output_shape(x.shape(), w.shape(), p);
    const int64_t ho = out[2];
    v.push_back({name, 2.0 * c * o * k * k * ho * ho, "GFLOP/s", out,
                 [=](Backend& be, Tensor& y) { return be.conv2d(x, w, &b, p, y); }});
  };
  conv("conv refiner 3x3 d1 64->64 at 256", 64, 64, 256, 3, {1, 1, 1});
  conv("conv refiner 3x3 d8 64->64 at 256", 64, 64, 256, 3, {1, 8, 8});
  conv("conv refiner 3x3 d1 64->64 at 512", 64, 64, 512, 3, {1, 1, 1});
  conv("conv patch_embed 7x7 s4 4->112 at 512", 4, 112, 512, 7, {4, 3, 1});
  auto conv_nhwc = [&](const std::string& name, int64_t c, int64_t o, int64_t hw, int k, Conv2dParams p, bool in_place) {
    p.layout = Layout::kNHWC;
    Tensor x = filled({1, hw, hw, c}, seed++), w = filled({o, c, k, k}, seed++), b = filled({o}, seed++);
    const Shape out = conv2d_output_shape(x.shape(), w.shape(), p);
    const int64_t ho = out[1];
    v.push_back({name, 2.0 * c * o * k * k * ho * ho, "GFLOP/s", out, [=](Backend& be, Tensor& y) {
                   Tensor io = x;  // in place overwrites x: numbers change, the timing does not
                   return in_place ? be.conv2d(io, w, &b, p, io) : be.conv2d(x, w, &b, p, y);
                 }});
  };
  conv_nhwc("conv NHWC 3x3 d1 64->64 at 512", 64, 64, 512, 3, {1, 1, 1}, false);
  conv_nhwc("conv NHWC 3x3 d8 64->64 at 512 in place", 64, 64, 512, 3, {1, 8, 8}, true);
  conv_nhwc("conv NHWC 3x3 d8 64->64 at 512", 64, 64, 512, 3, {1, 8, 8}, false);
  conv_nhwc("conv NHWC 3x3 d1 64->64 at 512 in place", 64, 64, 512, 3, {1, 1, 1}, true);
  // As the refiner's second convolution runs: in place, GroupNorm + ReLU of its input applied
  // on the way in, its output's GroupNorm statistics taken on the way out.
  auto conv_fused = [&](const std::string& name, int d) {
    const Conv2dParams p{1, d, d, Layout::kNHWC};
    Tensor x = filled({1, 512, 512, 64}, seed++), w = filled({64, 64, 3, 3}, seed++), b = filled({64}, seed++);
    Tensor gamma = filled({64}, seed++), beta = filled({64}, seed++);
    auto stats = std::make_shared<GroupStats>(GroupStats{8, std::vector<double>(8, 0.0), std::vector<double>(8, 1.0)});
    v.push_back({name, 2.0 * 64 * 64 * 9 * 512 * 512, "GFLOP/s", x.shape(), [=](Backend& be, Tensor&) {
                   Tensor io = x;
                   GroupStats out_stats;
                   const ConvInputNorm norm{stats.get(), &gamma, &beta, 1e-5f, true};
                   return be.conv2d(io, w, &b, p, io, {&norm, &out_stats, 8});
                 }});
  };
  conv_fused("conv NHWC 3x3 d1 64->64 at 512 in place, GroupNorm fused", 1);
  conv_fused("conv NHWC 3x3 d4 64->64 at 512 in place, GroupNorm fused", 4);
  auto attention = [&](const std::string& name, int grid, int heads, int window, bool bf16 = false) {
    AttentionParams p{heads, 56, grid, grid, window, window, false, 1.0f / std::sqrt(56.0f), bf16};
    const int64_t n = static_cast<int64_t>(grid) * grid, nk = static_cast<int64_t>(window) * window;
    Tensor qkv = filled({n, 3LL * heads * 56}, seed++);
    v.push_back({name, 4.0 * n * nk * heads * 56, "GFLOP/s", {n, heads * 56LL},
                 [=](Backend& be, Tensor& y) { return be.attention(qkv, p, y); }});
  };
  attention("attention global 1024 tok, 8 heads (S=512 stage 2)", 32, 8, 32);
  attention("attention global bf16 1024 tok, 8 heads (S=512 stage 2)", 32, 8, 32, true);
  attention("attention 8x8 windows, 2 heads (S=512 stage 0)", 128, 2, 8);
  attention("attention 4x4 windows, 4 heads (S=512 stage 1)", 64, 4, 4);
  {
    Tensor x = filled({1, 64, 512, 512}, seed++), w = filled({64}, seed++), b = filled({64}, seed++);
    v.push_back({"group_norm 64ch at 512", 2.0 * 4 * x.numel(), "GB/s", x.shape(),
                 [=](Backend& be, Tensor& y) { return be.group_norm(x, 8, w, b, 1e-5f, y); }});
    Tensor xl = filled({1, 512, 512, 64}, seed++);
    v.push_back({"group_norm NHWC 64ch at 512", 2.0 * 4 * xl.numel(), "GB/s", xl.shape(),
                 [=](Backend& be, Tensor& y) { return be.group_norm(xl, 8, w, b, 1e-5f, y, Layout::kNHWC); }});
    v.push_back({"relu 64ch at 512", 2.0 * 4 * xl.numel(), "GB/s", xl.shape(),
                 [=](Backend& be, Tensor& y) { return be.unary(UnaryOp::kRelu, xl, y); }});
  }
  {
    Tensor x = filled({16384, 112}, seed++), w = filled({112}, seed++), b = filled({112}, seed++);
    v.push_back({"layer_norm 16384x112", 2.0 * 4 * x.numel(), "GB/s", x.shape(),
                 [=](Backend& be, Tensor& y) { return be.layer_norm(x, w, b, 1e-6f, y); }});
  }
  {
    Tensor x = filled({1024, 1792}, seed++);
    v.push_back({"gelu 1024x1792", 2.0 * 4 * x.numel(), "GB/s", x.shape(),
                 [=](Backend& be, Tensor& y) { return be.unary(UnaryOp::kGelu, x, y); }});
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, runs = 5;
  bool with_reference = false;
  std::string only;  // run only the ops whose name contains this
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (a == "--with-reference") with_reference = true;
    else if (a == "--only" && i + 1 < argc) only = argv[++i];
    else {
      std::fprintf(stderr, "usage: ck_opbench [--threads N] [--runs N] [--with-reference] [--only TEXT]\n");
      return 2;
    }
  }
  if (threads < 1 || runs < 1) {
    std::fprintf(stderr, "ck_opbench: --threads and --runs must be at least 1\n");
    return 2;
  }
  auto cpu = make_cpu_backend();
  cpu->set_num_threads(threads);
  auto ref = make_reference_backend();
  std::printf("%-52s %12s %14s %14s\n", "op", "cpu median", "cpu rate", with_reference ? "ref rate" : "");
  for (const Bench& b : make_benches()) {
    if (b.name.find(only) == std::string::npos) continue;
    const double t = median_seconds(*cpu, b, runs);
    std::printf("%-52s %9.2f ms %8.1f %-7s", b.name.c_str(), t * 1e3, b.work / t * 1e-9, b.unit);
    if (with_reference) {
      const double tr = median_seconds(*ref, b, 1);
      std::printf(" %8.2f %-7s (x%.0f)", b.work / tr * 1e-9, b.unit, tr / t);
    }
    std::printf("\n");
  }
  return 0;
}
