// Engines as a host application holds them, through the public API only: two engines of
// different S, precision, backend and thread count in one process, used alternately and from
// two threads at once, give results bit-identical to each engine alone, leave the host's
// OpenMP setting alone, and keep memory bounded. And the network-only entry point with its
// observer.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "corridorkey/engine.hpp"
#include "corridorkey/image_file.hpp"

namespace ck::test {
namespace {

const std::string kWeights = std::string(CK_FIXTURES_DIR) + "/tiny/weights.safetensors";
const std::string kSamples = std::string(CK_FIXTURES_DIR) + "/../../samples/";

EngineOptions fast_engine() {
  EngineOptions o;
  o.img_size = 64;
  o.threads = 1;
  return o;
}

// The reference backend with bf16 weights (which it emulates exactly), another size and two threads.
EngineOptions other_engine() {
  EngineOptions o;
  o.img_size = 96;
  o.backend = "ref";
  o.precision = Precision::kBF16;
  o.threads = 2;
  return o;
}

struct Frame {
  Image plate, hint;
};

const Frame& sample() {
  static const Frame f{read_image(kSamples + "plate.png").value(), read_image(kSamples + "hint.png").value()};
  return f;
}

std::unique_ptr<Engine> make(const EngineOptions& o) {
  auto e = Engine::create(kWeights, o);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
  return e.ok() ? std::move(e).value() : nullptr;
}

FrameResult key(Engine& e) {
  auto r = e.process_frame(view_of(sample().plate), view_of(sample().hint), FrameOptions{});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : FrameResult{};
}

void expect_identical(const FrameResult& a, const FrameResult& b, const std::string& what) {
  for (const auto& [x, y, name] : {std::tuple{&a.alpha, &b.alpha, "alpha"}, std::tuple{&a.fg, &b.fg, "fg"},
                                   std::tuple{&a.processed, &b.processed, "processed"},
                                   std::tuple{&a.comp, &b.comp, "comp"}}) {
    ASSERT_EQ(x->pixels.size(), y->pixels.size()) << what << " " << name;
    EXPECT_EQ(std::memcmp(x->pixels.data(), y->pixels.data(), x->pixels.size() * sizeof(float)), 0)
        << what << ": " << name << " differs";
  }
}

double resident_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

TEST(Engines, TwoEnginesInOneProcessGiveWhatEachGivesAlone) {
  omp_set_num_threads(3);  // the host's own setting, which no engine may change
  FrameResult solo_a, solo_b;
  {
    auto a = make(fast_engine());
    ASSERT_TRUE(a);
    solo_a = key(*a);
  }
  {
    auto b = make(other_engine());
    ASSERT_TRUE(b);
    solo_b = key(*b);
  }
  EXPECT_EQ(omp_get_max_threads(), 3);
  auto a = make(fast_engine());
  auto b = make(other_engine());
  ASSERT_TRUE(a && b);
  // Alternately: each call replays its own engine's frame plan.
  for (int round = 0; round < 3; ++round) {
    expect_identical(key(*a), solo_a, "alternating, engine A round " + std::to_string(round));
    expect_identical(key(*b), solo_b, "alternating, engine B round " + std::to_string(round));
  }
  EXPECT_EQ(omp_get_max_threads(), 3);
  // From two threads at once. The first round gives each thread its C heap arena and
  // OpenMP team; from then on, memory must not grow.
  double before = 0;
  for (int round = 0; round < 5; ++round) {
    if (round == 1) before = resident_mb();
    FrameResult ra, rb;
    std::thread ta([&] { ra = key(*a); });
    std::thread tb([&] { rb = key(*b); });
    ta.join();
    tb.join();
    expect_identical(ra, solo_a, "concurrent, engine A round " + std::to_string(round));
    expect_identical(rb, solo_b, "concurrent, engine B round " + std::to_string(round));
  }
  // Warm engines take no more memory frame after frame.
  const double growth = resident_mb() - before;
  std::printf("resident memory over 4 concurrent rounds: %+.1f MB\n", growth);
  EXPECT_LT(growth, 32.0);
  EXPECT_EQ(omp_get_max_threads(), 3);
}

// Stage tensors and times of one evaluation.
class Recorder : public NetworkObserver {
 public:
  bool wants_stage_tensors() const override { return true; }
  void on_stage_tensor(StageTensor t) override { tensors.push_back(std::move(t)); }
  void on_stage_time(const std::string& stage, double seconds) override { times.emplace_back(stage, seconds); }
  const StageTensor& at(const std::string& name) const {
    for (const StageTensor& t : tensors) {
      if (t.name == name) return t;
    }
    throw std::runtime_error("no stage tensor " + name);
  }
  std::vector<StageTensor> tensors;
  std::vector<std::pair<std::string, double>> times;
};

TEST(Engines, TheNetworkAloneOnTheFramesInputGivesTheFramesStages) {
  auto e = make(fast_engine());
  ASSERT_TRUE(e);
  Recorder frame;
  ASSERT_TRUE(e->process_frame(view_of(sample().plate), view_of(sample().hint), FrameOptions{}, &frame).ok());
  EXPECT_EQ(frame.tensors.size(), 14u);
  // The network's 8 stages (patch_embed, stage0..3, decoders, refiner, output) and the frame's
  // 7 steps around them (prepare.convert/resize/normalise, network, finish.resize/despeckle/colour).
  EXPECT_EQ(frame.times.size(), 15u);
  const StageTensor& input = frame.at("input");
  EXPECT_EQ(input.shape, (std::vector<int64_t>{1, 4, 64, 64}));
  // The stage tensor is NCHW; the network takes the same values channels-last.
  std::vector<float> nhwc(input.data.size());
  for (size_t c = 0; c < 4; ++c) {
    for (size_t i = 0; i < 64 * 64; ++i) nhwc[i * 4 + c] = input.data[c * 64 * 64 + i];
  }
  Recorder alone;
  auto out = e->run_network(nhwc.data(), 1.0f, &alone);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->size, 64);
  const auto values = [](const float* p, size_t n) { return std::vector<float>(p, p + n); };
  EXPECT_EQ(values(out->alpha, 64 * 64), frame.at("alpha_final").data);
  EXPECT_EQ(values(out->fg, 3 * 64 * 64), frame.at("fg_final").data);
  EXPECT_EQ(alone.tensors.size(), 14u);
  // Without an observer nothing is collected, and the result is the same.
  auto plain = e->run_network(nhwc.data());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(values(plain->alpha, 64 * 64), values(out->alpha, 64 * 64));
}

TEST(Engines, BadEngineOptionsAreNamed) {
  EngineOptions o = fast_engine();
  o.backend = "gpu";
  auto e = Engine::create(kWeights, o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("backend 'gpu' is not one of: cpu, ref"), std::string::npos) << e.error().message;
  o = fast_engine();
  o.img_size = 100;
  EXPECT_NE(Engine::create(kWeights, o).error().message.find("img_size 100"), std::string::npos);
  auto generated = Engine::create_with_generated_weights(o);
  ASSERT_FALSE(generated.ok());
  auto run = make(fast_engine())->run_network(nullptr);
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ck::test
