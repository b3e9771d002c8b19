// ck_opbench: times the CPU backend's kernels on the network's shapes (the case table of
// tests/op_cases.cpp at the sizes of a frame at S = 512, shared with the op cross-check) and
// reports the rate each reaches (GFLOP/s for GEMM-like ops, GB/s for memory-bound ones), next
// to the plain reference kernel where that finishes in reasonable time. This is how the
// choice of oneDNN for GEMM and convolution, and of hand-written kernels elsewhere, is
// measured.
//
//   ck_opbench [--threads N] [--runs N] [--with-reference] [--only TEXT]
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
#include "op_cases.hpp"

namespace {

using namespace ck;

Tensor filled(const Shape& shape) {
  auto r = Tensor::zeros(shape);
  if (!r.ok()) {
    std::fprintf(stderr, "ck_opbench: %s\n", r.error().message.c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

double median_seconds(Backend& be, const opcases::OpCase& b, int runs) {
  Tensor y = filled(b.out_shape);
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
  for (const opcases::OpCase& b : opcases::make_op_cases(opcases::Scale::kBench, only)) {
    if (b.bf16 && !cpu->supports(OpKind::kLinear, DType::BF16).ok()) {
      std::printf("%-52s %12s\n", b.name.c_str(), "(no bf16 here)");
      continue;
    }
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
