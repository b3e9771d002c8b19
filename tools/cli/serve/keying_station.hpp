// The keying station behind `corridorkey serve`: the clips under a root, the current frame of
// each keyed with the artist's settings (the network's output cached, so that post-processing
// changes only finish the frame again), and keying jobs that run whatever the browser does.
// HTTP is station_http.cpp's; this is what the requests do.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "clip_settings.hpp"
#include "corridorkey/engine.hpp"
#include "serve/root_guard.hpp"

namespace ck::cli {

struct StationOptions {
  std::string root;
  std::string checkpoint;  // resolved weights
  EngineOptions engine;
};

// An image for the page: 8-bit RGBA, straight alpha, sRGB.
struct DisplayImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;
};

// A keying job's progress, as the page's progress bar and log read it.
struct JobEvent {
  int64_t sequence = 0;
  std::string json;  // {"kind": ..., "frame": ..., "done": ..., "total": ..., "message": ...}
};

class KeyingStation {
 public:
  static Result<std::unique_ptr<KeyingStation>> open(const StationOptions& options);
  ~KeyingStation();  // cancels running jobs and waits for them

  // JSON: the clips under the root, and one clip's frames, size, hint and saved settings.
  Result<std::string> list_clips();
  Result<std::string> describe_clip(const std::string& clip);

  // Keys `frame` of `clip` with `settings` (the network only when a setting it depends on
  // changed), saves the settings with the clip, and says what it did (JSON).
  Result<std::string> preview(const std::string& clip, int64_t frame, const ClipSettings& settings);
  // plate, hint, matte, fg or processed of the clip's last preview.
  Result<DisplayImage> view(const std::string& clip, const std::string& which);

  // Keys frames [first, last] of the clip with its saved settings into its Output folder, as
  // `corridorkey process` does; one job per clip at a time.
  Status start_job(const std::string& clip, int64_t first, int64_t last);
  Status cancel_job(const std::string& clip);
  bool job_running(const std::string& clip);
  // The job's events after `after` (waiting up to `wait_ms` for one); `finished` when the job
  // has ended and every event is in `events`.
  struct JobEvents {
    std::vector<JobEvent> events;
    bool finished = true;
  };
  JobEvents job_events(const std::string& clip, int64_t after, int wait_ms);

 private:
  struct ClipState;
  struct Job;
  KeyingStation() = default;
  // The clip's state; its folder is checked (the name, every file under it inside the
  // root) and its sources found when first asked for, and again with `recheck`.
  Result<ClipState*> clip_state(const std::string& clip, bool recheck = false);

  StationOptions options_;
  RootGuard guard_;
  std::unique_ptr<Engine> engine_;
  std::mutex mutex_;  // the maps below
  std::map<std::string, std::unique_ptr<ClipState>> clips_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
};

}  // namespace ck::cli
