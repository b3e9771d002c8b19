#include "progress_reporters.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace ck::cli {

const char* shot_event_kind_name(ShotEvent::Kind kind) {
  switch (kind) {
    case ShotEvent::Kind::kStarted: return "started";
    case ShotEvent::Kind::kFrameDone: return "frame_done";
    case ShotEvent::Kind::kFrameSkipped: return "frame_skipped";
    case ShotEvent::Kind::kFrameFailed: return "frame_failed";
    case ShotEvent::Kind::kWarning: return "warning";
    case ShotEvent::Kind::kFinished: return "finished";
  }
  return "unknown";
}

namespace {

// Frames per second over the frames keyed so far (skipped ones cost nothing).
struct Rate {
  int64_t keyed = 0;
  double first_keyed_at = -1, last_at = 0;
  void add(const ShotEvent& e) {
    if (e.kind != ShotEvent::Kind::kFrameDone) return;
    if (keyed++ == 0) first_keyed_at = e.elapsed_s - e.read_s - e.key_s - e.write_s;
    last_at = e.elapsed_s;
  }
  double fps() const { return keyed > 0 && last_at > first_keyed_at ? keyed / (last_at - first_keyed_at) : 0; }
};

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

class JsonReporter final : public ProgressReporter {
 public:
  void on_event(const ShotEvent& e) override {
    nlohmann::json j{{"event", shot_event_kind_name(e.kind)}, {"shot", e.shot}, {"elapsed_s", e.elapsed_s}};
    if (e.kind == ShotEvent::Kind::kStarted) counts_ = {};
    if (e.kind == ShotEvent::Kind::kFrameDone) ++counts_.keyed;
    if (e.kind == ShotEvent::Kind::kFrameSkipped) ++counts_.skipped;
    if (e.kind == ShotEvent::Kind::kFrameFailed) ++counts_.failed;
    switch (e.kind) {
      case ShotEvent::Kind::kStarted: j["total"] = e.total; break;
      case ShotEvent::Kind::kFrameDone:
        j.update({{"frame", e.frame}, {"done", e.done}, {"total", e.total}, {"read_s", e.read_s}, {"key_s", e.key_s},
                  {"write_s", e.write_s}});
        break;
      case ShotEvent::Kind::kFrameSkipped: j.update({{"frame", e.frame}, {"done", e.done}, {"total", e.total}}); break;
      case ShotEvent::Kind::kFrameFailed:
        j.update({{"frame", e.frame}, {"done", e.done}, {"total", e.total}, {"message", e.message}});
        break;
      case ShotEvent::Kind::kWarning: j["message"] = e.message; break;
      case ShotEvent::Kind::kFinished:
        j.update({{"done", e.done}, {"total", e.total}, {"keyed", counts_.keyed}, {"skipped", counts_.skipped},
                  {"failed", counts_.failed}});
        break;
    }
    std::cout << j.dump() << "\n" << std::flush;
  }
  void on_failure(const std::string& shot, const std::string& message) override {
    std::cout << nlohmann::json{{"event", "failed"}, {"shot", shot}, {"message", message}}.dump() << "\n" << std::flush;
  }

 private:
  struct {
    int64_t keyed = 0, skipped = 0, failed = 0;
  } counts_;
};

class TextReporter final : public ProgressReporter {
 public:
  explicit TextReporter(bool bar) : bar_(bar) {}
  void on_event(const ShotEvent& e) override {
    rate_.add(e);
    switch (e.kind) {
      case ShotEvent::Kind::kStarted:
        rate_ = Rate();
        line("keying " + e.shot + ": " + std::to_string(e.total) + " frames");
        break;
      case ShotEvent::Kind::kFrameDone:
        if (!bar_) {
          char buf[160];
          std::snprintf(buf, sizeof buf, "%s frame %lld keyed (%lld/%lld): read %.2f s, key %.2f s, write %.2f s",
                        e.shot.c_str(), static_cast<long long>(e.frame), static_cast<long long>(e.done),
                        static_cast<long long>(e.total), e.read_s, e.key_s, e.write_s);
          line(buf);
        }
        break;
      case ShotEvent::Kind::kFrameSkipped: break;
      case ShotEvent::Kind::kFrameFailed:
        line(e.shot + " frame " + std::to_string(e.frame) + " failed: " + e.message, true);
        break;
      case ShotEvent::Kind::kWarning: line("warning: " + e.message, true); break;
      case ShotEvent::Kind::kFinished:
        clear_bar();
        line(e.shot + ": " + std::to_string(e.done) + "/" + std::to_string(e.total) + " frames done in " +
             clock_text(e.elapsed_s));
        return;
    }
    if (bar_ && e.total > 0) draw_bar(e);
  }
  void on_failure(const std::string& shot, const std::string& message) override { clear_bar(); }

 private:
  void clear_bar() {
    if (bar_drawn_) std::fprintf(stderr, "\r\033[K");
    bar_drawn_ = false;
  }
  void line(const std::string& text, bool to_stderr = false) {
    clear_bar();
    std::fprintf(to_stderr || bar_ ? stderr : stdout, "%s\n", text.c_str());
    std::fflush(to_stderr || bar_ ? stderr : stdout);
  }
  void draw_bar(const ShotEvent& e) {
    const int width = 30;
    const int filled = static_cast<int>(width * e.done / std::max<int64_t>(1, e.total));
    const double fps = rate_.fps();
    const double eta = fps > 0 ? static_cast<double>(e.total - e.done) / fps : 0;
    std::fprintf(stderr, "\r\033[K[%s%s] %lld/%lld frames  %.2f fps  ETA %s", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), static_cast<long long>(e.done),
                 static_cast<long long>(e.total), fps, fps > 0 ? clock_text(eta).c_str() : "-");
    std::fflush(stderr);
    bar_drawn_ = true;
  }
  bool bar_;
  bool bar_drawn_ = false;
  Rate rate_;
};

}  // namespace

std::unique_ptr<ProgressReporter> make_progress_reporter(bool json, bool plain) {
  if (json) return std::make_unique<JsonReporter>();
  return std::make_unique<TextReporter>(!plain && isatty(STDERR_FILENO) != 0);
}

}  // namespace ck::cli
