// key_shot through the public API: the bounded queues, and memory that does not grow with the
// number of frames.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "corridorkey/image_file.hpp"
#include "corridorkey/shot.hpp"
#include "shot/bounded_queue.hpp"
#include "synthetic_clip.hpp"
#include "test_util.hpp"

namespace ck::test {
namespace {

TEST(BoundedQueue, AProducerWaitsWhileTheQueueIsFull) {
  BoundedQueue<int> queue(2);
  std::atomic<int> pushed{0};
  std::thread producer([&] {
    for (int i = 0; i < 5; ++i) {
      if (!queue.push(i)) break;
      ++pushed;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(pushed.load(), 2);  // the third push waits for a pop
  EXPECT_EQ(queue.pop().value(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(pushed.load(), 3);
  queue.close();  // the consumer stops: the producer's next push is refused
  producer.join();
  EXPECT_EQ(pushed.load(), 3);
  EXPECT_EQ(queue.pop().value(), 1);  // what was queued still drains
  EXPECT_EQ(queue.pop().value(), 2);
  EXPECT_FALSE(queue.pop().has_value());
}

double resident_mib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

struct MemoryRecorder : ShotObserver {
  std::vector<double> rss;
  std::vector<std::string> problems;
  void on_event(const ShotEvent& e) override {
    if (e.kind == ShotEvent::Kind::kFrameDone) rss.push_back(resident_mib());
    if (e.kind == ShotEvent::Kind::kFrameFailed) problems.push_back(e.message);
  }
};

class KeyShot : public TempDirTest {};

// Resident memory after the warm-up frames stays flat however many frames follow: the
// queues hold at most queue_depth frames and the engine reuses its frame plan.
TEST_F(KeyShot, MemoryDoesNotGrowWithTheNumberOfFrames) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer holds freed memory in a quarantine of its own: resident memory grows by
  // design until the quarantine is full, whatever the program does.
  GTEST_SKIP() << "SKIPPED: resident memory means nothing under AddressSanitizer";
#endif
  const int frames = 90;
  std::filesystem::create_directories(path("in"));
  for (int i = 0; i < frames; ++i) {
    ASSERT_TRUE(write_image_8bit(path("in/p." + std::to_string(i) + ".png"), synthetic_plate(64, 48, i % 8)).ok());
  }
  ASSERT_TRUE(write_image_8bit(path("hint.png"), synthetic_hint(64, 48, 0)).ok());
  EngineOptions options;
  options.img_size = 64;
  options.threads = 2;
  auto engine = unwrap(Engine::create(fixture_path("checkpoints/tiny_official.pth"), options));
  ShotJob job;
  job.name = "memory";
  job.plate = unwrap(open_frame_source(path("in/p.%d.png")));
  job.hint = unwrap(open_frame_source(path("hint.png")));
  job.output.dir = path("out");
  MemoryRecorder recorder;
  const ShotSummary summary = unwrap(key_shot(*engine, job, &recorder));
  ASSERT_EQ(summary.keyed, frames) << (recorder.problems.empty() ? "" : recorder.problems.front());
  const double after_warmup = recorder.rss[29], last = recorder.rss.back();
  EXPECT_LT(last - after_warmup, 5.0) << "resident memory grew from " << after_warmup << " MiB after frame 30 to "
                                      << last << " MiB after frame " << frames;
}

}  // namespace
}  // namespace ck::test
