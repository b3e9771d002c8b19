// Helpers shared by the tests: deterministic random tensors, error measures, and tensors with
// guard bytes around them to catch out-of-bounds writes.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/tensor.hpp"
#include "weights/safetensors.hpp"

namespace ck::test {

// An NCHW (1, C, H, W) tensor as the channels-last (1, H, W, C) the network takes.
inline Tensor channels_last(const Tensor& nchw) {
  const int64_t c = nchw.size(1), h = nchw.size(2), w = nchw.size(3);
  Tensor out = Tensor::empty({1, h, w, c}).value();
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t i = 0; i < h * w; ++i) out.data<float>()[i * c + ch] = nchw.data<float>()[ch * h * w + i];
  }
  return out;
}

inline std::string fixture_path(const std::string& name) { return std::string(CK_FIXTURES_DIR) + "/" + name; }
// The bundled sample plate and hint (samples/ at the repository root).
inline std::string sample_path(const std::string& name) { return std::string(CK_FIXTURES_DIR) + "/../../samples/" + name; }

// A fresh, empty folder per test, removed afterwards; path(name) names a file in it.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("ck_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

template <class T>
T unwrap(Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().message;
    throw std::runtime_error(r.error().message);
  }
  return std::move(r).value();
}

// The committed tiny network's weights (tests/fixtures/tiny/weights.safetensors).
inline const StateDict& tiny_weights() {
  static const StateDict sd = unwrap(read_safetensors(fixture_path("tiny/weights.safetensors"))).tensors;
  return sd;
}

inline Tensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = unwrap(Tensor::empty(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// Normalised mean squared error sum((a-b)^2) / sum(b^2), b being the reference.
inline double nmse(const Tensor& a, const Tensor& ref) {
  double num = 0.0, den = 0.0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double d = static_cast<double>(a.data<float>()[i]) - ref.data<float>()[i];
    num += d * d;
    den += static_cast<double>(ref.data<float>()[i]) * ref.data<float>()[i];
  }
  return den > 0.0 ? num / den : num;
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  double m = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]));
  return m;
}

inline int64_t count_non_finite(const Tensor& t) {
  int64_t n = 0;
  for (int64_t i = 0; i < t.numel(); ++i) n += !std::isfinite(t.data<float>()[i]);
  return n;
}

// An output tensor with 256 guard bytes on each side, filled with a pattern checked later.
class GuardedTensor {
 public:
  static constexpr size_t kGuard = 256;
  static constexpr uint8_t kPattern = 0xA5;

  explicit GuardedTensor(const Shape& shape) {
    const size_t bytes = static_cast<size_t>(shape_numel(shape)) * sizeof(float);
    buffer_.reset(static_cast<uint8_t*>(std::aligned_alloc(64, kGuard * 2 + ((bytes + 63) / 64) * 64)));
    bytes_ = bytes;
    std::memset(buffer_.get(), kPattern, kGuard * 2 + ((bytes + 63) / 64) * 64);
    tensor_ = Tensor::wrap(buffer_.get() + kGuard, shape, DType::F32, nullptr);
  }
  Tensor& tensor() { return tensor_; }
  bool guards_intact() const {
    const size_t total = kGuard * 2 + ((bytes_ + 63) / 64) * 64;
    for (size_t i = 0; i < kGuard; ++i) {
      if (buffer_.get()[i] != kPattern) return false;
    }
    for (size_t i = kGuard + bytes_; i < total; ++i) {
      if (buffer_.get()[i] != kPattern) return false;
    }
    return true;
  }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> buffer_;
  size_t bytes_ = 0;
  Tensor tensor_;
};

}  // namespace ck::test
