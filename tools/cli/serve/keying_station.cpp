#include "serve/keying_station.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "corridorkey/alpha_hint.hpp"
#include "corridorkey/colour.hpp"
#include "corridorkey/frames.hpp"
#include "corridorkey/shot.hpp"
#include "process_options.hpp"
#include "progress_reporters.hpp"
#include "shot_specs.hpp"

namespace ck::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// process's view of one clip folder: its plate and hint sources, as `corridorkey process` finds them.
Result<ShotSpec> clip_spec(const fs::path& dir) {
  ProcessOptions o;
  o.clips = {dir.string()};
  CK_ASSIGN(std::vector<ShotSpec> specs, shot_specs_of(o));
  if (specs.size() != 1 || !specs.front().is_clip) {
    return err(ErrorCode::kInvalidArgument, "'", dir.filename().string(), "' is not a clip (no Input inside)");
  }
  return specs.front();
}

uint8_t to_8bit(float v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); }

// An image's first channels as 8-bit RGBA: grey (1 channel), RGB, or linear premultiplied
// RGBA made straight and sRGB-encoded (Processed).
DisplayImage display_of(const Image& image, bool linear_premultiplied = false) {
  DisplayImage d;
  d.width = image.width;
  d.height = image.height;
  const size_t n = static_cast<size_t>(image.width) * image.height;
  d.rgba.resize(n * 4);
  const int c = image.channels;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) {
    const float* p = image.pixels.data() + i * static_cast<size_t>(c);
    uint8_t* q = d.rgba.data() + i * 4;
    if (c == 1) {
      q[0] = q[1] = q[2] = to_8bit(p[0]);
      q[3] = 255;
    } else if (linear_premultiplied && c == 4) {
      const float a = p[3];
      for (int k = 0; k < 3; ++k) q[k] = to_8bit(a > 0 ? linear_to_srgb(p[k] / a) : 0.0f);
      q[3] = to_8bit(a);
    } else {
      for (int k = 0; k < 3; ++k) q[k] = to_8bit(p[k]);
      q[3] = 255;
    }
  }
  return d;
}

std::string settings_key(const ClipSettings& s, bool hint_given) {
  std::string key = std::to_string(s.frame.refiner_scale) + "|" + screen_colour_name(s.frame.screen);
  if (!hint_given) {
    key += "|" + std::to_string(s.hint.erode) + "|" + std::to_string(s.hint.blur) + "|" + std::to_string(s.hint.min_island);
  }
  return key;
}

}  // namespace

// The clip's current frame as last previewed: the plate, its hint, the network's output and
// the finished frame.
struct KeyingStation::ClipState {
  std::mutex mutex;  // one preview of the clip at a time
  fs::path dir;
  ShotSpec spec;               // its plate and hint sources
  std::string saved_settings;  // as last written (a preview that changes nothing writes nothing)
  int64_t frame = -1;
  Image plate, hint;
  ScreenColour screen = ScreenColour::kGreen;
  std::string keyed_for;  // the settings the network's output was made with
  std::optional<KeyedFrame> keyed;
  std::optional<FrameResult> result;
};

struct KeyingStation::Job : ShotObserver {
  std::thread thread;
  std::atomic<bool> cancel{false};
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<JobEvent> events;
  bool finished = false;

  void push(json event) {
    const std::lock_guard<std::mutex> lock(mutex);
    events.push_back({static_cast<int64_t>(events.size()) + 1, event.dump()});
    changed.notify_all();
  }
  void on_event(const ShotEvent& e) override {
    push({{"kind", shot_event_kind_name(e.kind)}, {"frame", e.frame}, {"done", e.done}, {"total", e.total},
          {"message", e.message}});
  }
};

Result<std::unique_ptr<KeyingStation>> KeyingStation::open(const StationOptions& options) {
  std::unique_ptr<KeyingStation> s(new KeyingStation());
  s->options_ = options;
  CK_ASSIGN(s->guard_, RootGuard::open(options.root));
  CK_ASSIGN(s->engine_, Engine::create(options.checkpoint, options.engine));
  return s;
}

KeyingStation::~KeyingStation() {
  for (auto& [name, job] : jobs_) job->cancel = true;
  for (auto& [name, job] : jobs_) {
    if (job->thread.joinable()) job->thread.join();
  }
}

Result<KeyingStation::ClipState*> KeyingStation::clip_state(const std::string& clip, bool recheck) {
  if (!recheck) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = clips_.find(clip); it != clips_.end()) return it->second.get();
  }
  CK_ASSIGN(const fs::path dir, guard_.clip_folder(clip));
  CK_TRY(guard_.check_clip_tree(dir));
  CK_ASSIGN(ShotSpec spec, clip_spec(dir));
  const std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<ClipState>& state = clips_[clip];
  if (!state) state = std::make_unique<ClipState>();
  const std::lock_guard<std::mutex> state_lock(state->mutex);
  state->dir = dir;
  state->spec = std::move(spec);
  return state.get();
}

Result<std::string> KeyingStation::list_clips() {
  json clips = json::array();
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const fs::directory_entry& e : fs::directory_iterator(guard_.root(), ec)) {
    if (e.is_directory(ec) && guard_.check_inside(e.path()).ok()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    const auto spec = clip_spec(dir);
    if (!spec.ok() || !guard_.check_clip_tree(dir).ok()) continue;  // not a clip, or one leading outside
    auto source = open_frame_source(spec->input);
    if (!source.ok()) continue;
    const std::vector<int64_t>& frames = source.value()->frames();
    clips.push_back({{"name", dir.filename().string()},
                     {"frames", frames.size()},
                     {"first", frames.empty() ? 0 : frames.front()},
                     {"last", frames.empty() ? 0 : frames.back()}});
  }
  if (ec) return err(ErrorCode::kIo, "cannot list '", guard_.root().string(), "': ", ec.message());
  return json{{"root", guard_.root().string()}, {"clips", clips}}.dump();
}

Result<std::string> KeyingStation::describe_clip(const std::string& clip) {
  CK_ASSIGN(ClipState * state, clip_state(clip, /*recheck=*/true));  // the page (re)opens the clip
  std::unique_lock<std::mutex> state_lock(state->mutex);
  const fs::path dir = state->dir;
  const ShotSpec spec = state->spec;
  state_lock.unlock();
  CK_ASSIGN(const auto source, open_frame_source(spec.input));
  CK_ASSIGN(const auto saved, read_clip_settings(dir.string()));
  ClipSettings settings;
  settings.frame.screen = ScreenColour::kAuto;
  if (saved) settings = *saved;
  const bool running = job_running(clip);
  return json{{"name", clip},
              {"frames", source->frames()},
              {"hint", spec.hint == "auto" ? "automatic" : fs::path(spec.hint).filename().string()},
              {"settings", json::parse(clip_settings_json(settings))},
              {"job_running", running}}
      .dump();
}

Result<std::string> KeyingStation::preview(const std::string& clip, int64_t frame, const ClipSettings& settings) {
  CK_ASSIGN(ClipState * state, clip_state(clip));
  const std::lock_guard<std::mutex> lock(state->mutex);
  const ShotSpec& spec = state->spec;
  const bool hint_given = spec.hint != "auto";
  const auto t0 = std::chrono::steady_clock::now();
  if (state->frame != frame || state->plate.pixels.empty()) {
    // Sources read forward: a fresh one for whichever frame the page asks for.
    CK_ASSIGN(auto source, open_frame_source(spec.input));
    CK_ASSIGN(state->plate, source->read(frame));
    state->frame = frame;
    state->keyed.reset();
    state->keyed_for.clear();
  }
  const std::string wanted = std::to_string(frame) + "|" + settings_key(settings, hint_given);
  double network_s = 0;
  const bool rekey = !state->keyed || state->keyed_for != wanted;
  if (rekey) {
    if (settings.frame.screen == ScreenColour::kAuto) {
      CK_ASSIGN(const ScreenEstimate estimate, estimate_screen(view_of(state->plate), ScreenColour::kAuto));
      state->screen = estimate.colour;
    } else {
      state->screen = settings.frame.screen;
    }
    if (hint_given) {
      CK_ASSIGN(auto hints, open_frame_source(spec.hint));
      CK_ASSIGN(state->hint, hints->read(frame));
    } else {
      HintOptions h = settings.hint;
      h.screen = state->screen;
      CK_ASSIGN(AlphaHint made, make_alpha_hint(view_of(state->plate), h));
      state->hint = std::move(made.hint);
    }
    FrameOptions network = settings.frame;
    network.screen = state->screen;
    state->keyed.reset();
    CK_ASSIGN(KeyedFrame keyed, engine_->key_frame(view_of(state->plate), view_of(state->hint), network));
    network_s = keyed.network_s;
    state->keyed = std::move(keyed);
    state->keyed_for = wanted;
  }
  CK_ASSIGN(FrameResult result, finish_keyed_frame(*state->keyed, settings.frame));
  const double finish_s = result.finish_s;
  state->result = std::move(result);
  if (std::string text = clip_settings_json(settings); text != state->saved_settings) {
    CK_TRY(write_clip_settings(state->dir.string(), settings));
    state->saved_settings = std::move(text);
  }
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return json{{"frame", frame},
              {"width", state->plate.width},
              {"height", state->plate.height},
              {"screen", screen_colour_name(state->screen)},
              {"network_run", rekey},
              {"network_s", network_s},
              {"finish_s", finish_s},
              {"total_s", total_s},
              {"warnings", state->result->warnings}}
      .dump();
}

Result<DisplayImage> KeyingStation::view(const std::string& clip, const std::string& which) {
  CK_ASSIGN(ClipState * state, clip_state(clip));
  const std::lock_guard<std::mutex> lock(state->mutex);
  if (!state->result) return err(ErrorCode::kInvalidArgument, "clip '", clip, "' has no keyed frame yet: preview one first");
  if (which == "plate") return display_of(state->plate);
  if (which == "hint") return display_of(state->hint);
  if (which == "matte") return display_of(state->result->alpha);
  if (which == "fg") return display_of(state->result->fg);
  if (which == "processed") return display_of(state->result->processed, /*linear_premultiplied=*/true);
  return err(ErrorCode::kInvalidArgument, "no view '", which, "' (plate, hint, matte, fg, processed)");
}

Status KeyingStation::start_job(const std::string& clip, int64_t first, int64_t last) {
  CK_ASSIGN(const fs::path dir, guard_.clip_folder(clip));
  CK_TRY(guard_.check_clip_tree(dir));
  if (first > last) return err(ErrorCode::kInvalidArgument, "frames ", first, "-", last, " run backwards");
  ProcessOptions o;
  o.clips = {dir.string()};
  o.frames = std::to_string(first) + "-" + std::to_string(last);
  o.engine = options_.engine;
  // The artist keys the range again with the settings chosen now, beside frames keyed
  // before with others (the run manifest then records the latest).
  o.overwrite = true;
  o.force = true;
  o.max_pixels = kDefaultMaxPixels;
  CK_ASSIGN(std::vector<ShotSpec> specs, shot_specs_of(o));
  CK_TRY(check_output_folder(specs.front()));
  CK_TRY(guard_.check_inside(specs.front().output_dir));

  const std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<Job>& slot = jobs_[clip];
  if (slot) {
    std::unique_lock<std::mutex> job_lock(slot->mutex);
    if (!slot->finished) return err(ErrorCode::kInvalidArgument, "clip '", clip, "' is already being keyed");
    job_lock.unlock();
    if (slot->thread.joinable()) slot->thread.join();
  }
  auto job = std::make_shared<Job>();
  slot = job;
  job->thread = std::thread([this, job, o, spec = specs.front()] {
    auto run = [&]() -> Result<ShotSummary> {
      CK_ASSIGN(const SharedSettings shared, shared_settings(o, options_.checkpoint));
      CK_ASSIGN(ShotJob shot, build_job(o, spec, shared));
      shot.cancelled = [job] { return job->cancel.load(); };
      return key_shot(*engine_, shot, job.get());
    };
    const Result<ShotSummary> summary = run();
    json end{{"kind", "ended"}, {"ok", summary.ok()}};
    if (summary.ok()) {
      end["keyed"] = summary->keyed;
      end["failed"] = summary->failed;
      end["skipped"] = summary->skipped;
      end["seconds"] = summary->seconds;
    } else {
      end["cancelled"] = summary.error().code == ErrorCode::kCancelled;
      end["message"] = summary.error().message;
    }
    job->push(end);
    const std::lock_guard<std::mutex> done(job->mutex);
    job->finished = true;
    job->changed.notify_all();
  });
  return ok_status();
}

bool KeyingStation::job_running(const std::string& clip) {
  const std::lock_guard<std::mutex> lock(mutex_);
  auto it = jobs_.find(clip);
  if (it == jobs_.end()) return false;
  const std::lock_guard<std::mutex> job_lock(it->second->mutex);
  return !it->second->finished;
}

Status KeyingStation::cancel_job(const std::string& clip) {
  const std::lock_guard<std::mutex> lock(mutex_);
  auto it = jobs_.find(clip);
  if (it == jobs_.end()) return err(ErrorCode::kInvalidArgument, "clip '", clip, "' has no keying job");
  it->second->cancel = true;
  return ok_status();
}

KeyingStation::JobEvents KeyingStation::job_events(const std::string& clip, int64_t after, int wait_ms) {
  std::shared_ptr<Job> job;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    auto it = jobs_.find(clip);
    if (it == jobs_.end()) return {};
    job = it->second;
  }
  std::unique_lock<std::mutex> lock(job->mutex);
  job->changed.wait_for(lock, std::chrono::milliseconds(wait_ms),
                        [&] { return job->finished || static_cast<int64_t>(job->events.size()) > after; });
  JobEvents out;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(0, after)); i < job->events.size(); ++i) {
    out.events.push_back(job->events[i]);
  }
  out.finished = job->finished;
  return out;
}

}  // namespace ck::cli
