// key_shot: a shot's frames through a bounded pipeline. One thread reads plates and hints
// ahead, the calling thread keys (the engine uses every thread it was given), one thread
// encodes and writes behind; the queues between them hold at most queue_depth frames each.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "corridorkey/shot.hpp"
#include "shot/bounded_queue.hpp"
#include "shot/deliverables.hpp"
#include "shot/run_manifest.hpp"

namespace ck {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct ReadFrame {
  int64_t frame = 0;
  Image plate, hint;
  double read_s = 0;
  std::optional<Error> error;  // the frame could not be read: it fails, the run goes on
};

struct KeyedShotFrame {
  int64_t frame = 0;
  FrameResult result;
  double read_s = 0, key_s = 0;
};

std::string describe_frames(const std::vector<int64_t>& frames) {
  if (frames.empty()) return "none";
  return std::to_string(frames.front()) + "-" + std::to_string(frames.back()) + " (" + std::to_string(frames.size()) +
         " frames)";
}

// Runs of consecutive numbers missing between the first and last frame: "1005-1006, 1010".
std::string gaps_of(const std::vector<int64_t>& frames) {
  std::ostringstream out;
  int shown = 0;
  for (size_t i = 1; i < frames.size() && shown < 8; ++i) {
    if (frames[i] == frames[i - 1] + 1) continue;
    if (shown++ > 0) out << ", ";
    out << frames[i - 1] + 1;
    if (frames[i] - 1 > frames[i - 1] + 1) out << "-" << frames[i] - 1;
  }
  return out.str();
}

class ShotRun {
 public:
  ShotRun(Engine& engine, ShotJob& job, ShotObserver* observer) : engine_(&engine), job_(job), observer_(observer) {}

  Result<ShotSummary> run() {
    t0_ = Clock::now();
    CK_TRY(validate());
    CK_TRY(settle_screen());
    if (job_.frame.screen == ScreenColour::kBlue && job_.blue_engine != nullptr) {
      engine_ = job_.blue_engine;
      job_.weights_id = job_.blue_weights_id;
    }
    CK_ASSIGN(const std::vector<int64_t> selected, select_frames());
    CK_TRY(create_frame_output_folders(job_.output));
    const bool redo_all = !job_.skip_existing && job_.frames.empty();
    CK_TRY(check_and_write_run_manifest(job_.output.dir, settings(), redo_all, job_.force_mix));

    std::vector<int64_t> to_key;
    for (int64_t frame : selected) {
      if (job_.skip_existing && outputs_exist(frame)) {
        skipped_.push_back(frame);
      } else {
        to_key.push_back(frame);
      }
    }
    summary_.total = static_cast<int64_t>(selected.size());
    emit(ShotEvent::Kind::kStarted, 0, "");
    for (int64_t frame : skipped_) {
      ++summary_.skipped;
      emit(ShotEvent::Kind::kFrameSkipped, frame, "");
    }
    CK_TRY(key_frames(to_key));
    if (summary_.failed == 0) {
      CK_ASSIGN(summary_.deliverables, write_deliverables(job_, selected));
    } else if (!job_.output.deliverables.empty()) {
      emit(ShotEvent::Kind::kWarning, 0, "no video deliverables: frames failed");
    }
    summary_.seconds = seconds_since(t0_);
    emit(ShotEvent::Kind::kFinished, 0, "");
    return summary_;
  }

 private:
  Status validate() const {
    if (!job_.plate || (!job_.hint && !job_.auto_hint)) {
      return err(ErrorCode::kInvalidArgument, "a shot needs a plate and a hint source (or automatic hints)");
    }
    if (job_.output.dir.empty()) return err(ErrorCode::kInvalidArgument, "a shot needs an output folder");
    if (job_.plate->is_still()) {
      return err(ErrorCode::kInvalidArgument, "the plate '", job_.plate->describe(0),
                 "' is a single image; key it with `process --image` or give a sequence or video");
    }
    FrameOptions settled = job_.frame;
    if (settled.screen == ScreenColour::kAuto) settled.screen = ScreenColour::kGreen;  // settled from the plate
    return validate_frame_options(settled);
  }

  // Automatic hints key every frame against one screen, estimated from the plate's first
  // frame: hints hold still from frame to frame, and a resumed run keys as the first did. A
  // screen colour left to `auto` is settled the same way (green, with a warning, when a shot
  // with hints of its own shows no screen).
  Status settle_screen() {
    if (job_.auto_hint) job_.auto_hint->input_is_linear = job_.frame.input_is_linear;
    const bool estimate_for_hints = job_.auto_hint && !job_.auto_hint->screen_estimate;
    if (!estimate_for_hints && job_.frame.screen != ScreenColour::kAuto) return ok_status();
    const int64_t first = job_.plate->frames().front();
    CK_ASSIGN(Image plate, job_.plate->read(first));
    if (job_.prepare_plate) CK_TRY(job_.prepare_plate(plate));
    const ScreenColour wanted = job_.auto_hint ? job_.auto_hint->screen : ScreenColour::kAuto;
    Result<ScreenEstimate> screen = estimate_screen(view_of(plate), wanted, job_.frame.input_is_linear);
    if (!screen.ok()) {
      if (job_.auto_hint) return err(screen.error().code, job_.plate->describe(first), ": ", screen.error().message);
      warn(0, job_.plate->describe(first) + ": " + screen.error().message + "; keyed as a green screen");
      job_.frame.screen = ScreenColour::kGreen;
      return ok_status();
    }
    if (job_.auto_hint && !job_.auto_hint->screen_estimate) job_.auto_hint->screen_estimate = screen.value();
    if (job_.frame.screen == ScreenColour::kAuto) job_.frame.screen = screen->colour;
    return ok_status();
  }

  Result<std::vector<int64_t>> select_frames() {
    const std::vector<int64_t>& all = job_.plate->frames();
    const std::string gaps = gaps_of(all);
    if (!gaps.empty()) warn(0, "the plate '" + job_.name + "' has gaps: frames " + gaps + " are missing");
    std::vector<int64_t> selected;
    for (int64_t frame : all) {
      if (frame_selected(job_.frames, frame)) selected.push_back(frame);
    }
    if (selected.empty()) {
      return err(ErrorCode::kInvalidArgument, "no frame of the plate is in --frames (the plate has frames ",
                 describe_frames(all), ")");
    }
    for (const FrameRange& r : job_.frames) {
      if (r.first < all.front() || r.last > all.back()) {
        warn(0, "--frames " + std::to_string(r.first) + "-" + std::to_string(r.last) +
                    " reaches past the plate's frames " + describe_frames(all));
      }
    }
    // Hints by frame number (or by position when the hint is a video and the plate is not).
    if (job_.hint && !job_.hint->is_still()) {
      const std::vector<int64_t>& hints = job_.hint->frames();
      if (hints.size() != all.size()) {
        warn(0, "the plate has " + std::to_string(all.size()) + " frames (" + describe_frames(all) +
                    "), the hint " + std::to_string(hints.size()) + " (" + describe_frames(hints) +
                    "): frames without a hint fail");
      }
    }
    return selected;
  }

  RunSettings settings() const {
    const EngineOptions& e = engine_->options();
    const FrameOptions& f = job_.frame;
    RunSettings s = job_.settings;
    s["engine_version"] = CK_VERSION;
    s["weights"] = job_.weights_id;
    s["img_size"] = std::to_string(e.img_size);
    s["precision"] = std::string(precision_name(e.precision));
    s["refiner"] = e.use_refiner ? std::to_string(f.refiner_scale) : "off";
    s["linear_input"] = f.input_is_linear ? "yes" : "no";
    s["despill"] = std::to_string(f.despill_strength);
    s["despeckle"] = f.auto_despeckle ? std::to_string(f.despeckle_size) : "off";
    s["comp"] = job_.output.comp ? "yes" : "no";
    s["exr"] = std::string(job_.output.exr_float ? "float" : "half") +
               (job_.output.exr_compression.empty() ? "" : " " + job_.output.exr_compression);
    s["fg"] = job_.output.fg_linear ? "linear" : "srgb";
    s["screen"] = screen_colour_name(job_.frame.screen);
    if (e.tile_size > 0 && e.tile_size < e.img_size) {  // tiled inference keys differently (memory plans do not)
      s["tiles"] = std::to_string(e.tile_size) + " overlap " + std::to_string(e.tile_overlap);
    }
    if (job_.auto_hint) {
      const ScreenEstimate& e = *job_.auto_hint->screen_estimate;
      std::ostringstream hint;
      hint << "auto, erode " << job_.auto_hint->erode << ", blur " << job_.auto_hint->blur << ", screen " << e.rgb[0]
           << " " << e.rgb[1] << " " << e.rgb[2];
      s["hint"] = hint.str();
    }
    return s;
  }

  bool outputs_exist(int64_t frame) const {
    std::error_code ec;
    for (const std::string& path : frame_output_paths(job_.output, job_.plate->output_name(frame))) {
      if (!fs::exists(path, ec)) return false;
    }
    return true;
  }

  static bool is_video(const FrameSource& source) {
    return !source.frames().empty() && source.frame_time(source.frames().front()) >= 0;
  }

  // The hint for a plate frame: the still, the same number, or (a video against a numbered
  // sequence, whose numbers mean different things) the same position.
  Result<Image> read_hint(int64_t frame) {
    FrameSource& hint = *job_.hint;
    if (hint.is_still()) return hint.read(frame);
    const std::vector<int64_t>& plate_frames = job_.plate->frames();
    int64_t wanted = frame;
    if (is_video(hint) != is_video(*job_.plate)) {
      const auto position = std::lower_bound(plate_frames.begin(), plate_frames.end(), frame) - plate_frames.begin();
      wanted = position < static_cast<int64_t>(hint.frames().size()) ? hint.frames()[static_cast<size_t>(position)]
                                                                    : hint.frames().back() + 1 + position;
    }
    if (!std::binary_search(hint.frames().begin(), hint.frames().end(), wanted)) {
      return err(ErrorCode::kIo, "frame ", frame, ": no hint (", hint.describe(wanted), ")");
    }
    return hint.read(wanted);
  }

  Result<Image> auto_hint(const Image& plate) {
    CK_ASSIGN(AlphaHint made, make_alpha_hint(view_of(plate), *job_.auto_hint));
    return std::move(made.hint);
  }

  ReadFrame read_frame(int64_t frame) {
    ReadFrame r;
    r.frame = frame;
    const auto t = Clock::now();
    auto plate = job_.plate->read(frame);
    if (!plate.ok()) {
      r.error = plate.error();
      return r;
    }
    r.plate = std::move(plate).value();
    if (job_.prepare_plate) {
      const Status st = job_.prepare_plate(r.plate);
      if (!st.ok()) {
        r.error = st.error();
        return r;
      }
    }
    auto hint = job_.auto_hint ? auto_hint(r.plate) : read_hint(frame);
    if (!hint.ok()) {
      r.error = hint.error();
      return r;
    }
    r.hint = std::move(hint).value();
    r.read_s = seconds_since(t);
    return r;
  }

  Status key_frames(const std::vector<int64_t>& frames) {
    const size_t depth = static_cast<size_t>(std::max(1, job_.queue_depth));
    BoundedQueue<ReadFrame> read_queue(depth);
    BoundedQueue<KeyedShotFrame> write_queue(depth);
    std::atomic<bool> stop{false};
    std::optional<Error> fatal;  // set by the writer or the keying thread; stops the run
    std::mutex fatal_mutex;
    auto set_fatal = [&](Error e) {
      const std::lock_guard<std::mutex> lock(fatal_mutex);
      if (!fatal) fatal = std::move(e);
      stop = true;
    };

    std::thread reader([&] {
      for (int64_t frame : frames) {
        if (stop) break;
        if (!read_queue.push(read_frame(frame))) break;
      }
      read_queue.close();
    });
    std::thread writer([&] {
      while (std::optional<KeyedShotFrame> k = write_queue.pop()) {
        if (stop) continue;  // drain without writing
        const auto t = Clock::now();
        Status st = ok_status();
        if (job_.finish_outputs) st = job_.finish_outputs(k->result);
        if (st.ok()) st = write_frame_outputs(k->result, job_.plate->output_name(k->frame), job_.output);
        if (!st.ok()) {
          set_fatal(st.error());
          continue;
        }
        ShotEvent e = event(ShotEvent::Kind::kFrameDone, k->frame, "");
        e.read_s = k->read_s;
        e.key_s = k->key_s;
        e.write_s = seconds_since(t);
        for (const std::string& w : k->result.warnings) warn(k->frame, w);
        finish_frame(e, false);
      }
    });

    while (std::optional<ReadFrame> r = read_queue.pop()) {
      if (stop) continue;
      if (job_.cancelled && job_.cancelled()) {
        set_fatal({ErrorCode::kCancelled, "keying '" + job_.name + "' cancelled; its finished frames are kept"});
        continue;
      }
      if (r->error) {
        fail_frame(r->frame, job_.plate->describe(r->frame) + ": " + r->error->message);
        continue;
      }
      const auto t = Clock::now();
      auto keyed = engine_->process_frame(view_of(r->plate), view_of(r->hint), job_.frame);
      if (!keyed.ok()) {
        // A frame the engine refuses (a size it cannot take, NaN in a pixel) fails alone; running
        // out of memory stops the run.
        if (keyed.error().code == ErrorCode::kOutOfMemory || keyed.error().code == ErrorCode::kInternal) {
          set_fatal(keyed.error());
        } else {
          fail_frame(r->frame, job_.plate->describe(r->frame) + ": " + keyed.error().message);
        }
        continue;
      }
      KeyedShotFrame k;
      k.frame = r->frame;
      k.result = std::move(keyed).value();
      k.read_s = r->read_s;
      k.key_s = seconds_since(t);
      r.reset();  // the plate's memory goes back before waiting on the writer
      if (!write_queue.push(std::move(k))) break;
    }
    stop = stop.load() || fatal.has_value();
    read_queue.close();
    write_queue.close();
    reader.join();
    writer.join();
    if (fatal) return *fatal;
    return ok_status();
  }

  ShotEvent event(ShotEvent::Kind kind, int64_t frame, const std::string& message) const {
    ShotEvent e;
    e.kind = kind;
    e.shot = job_.name;
    e.frame = frame;
    e.message = message;
    e.total = summary_.total;
    e.elapsed_s = seconds_since(t0_);
    return e;
  }

  void emit(ShotEvent::Kind kind, int64_t frame, const std::string& message) {
    const std::lock_guard<std::mutex> lock(events_mutex_);
    if (kind == ShotEvent::Kind::kFrameSkipped) ++done_;
    ShotEvent e = event(kind, frame, message);
    e.done = done_;
    if (observer_ != nullptr) observer_->on_event(e);
  }

  void warn(int64_t frame, const std::string& message) { emit(ShotEvent::Kind::kWarning, frame, message); }

  void finish_frame(ShotEvent e, bool failed) {
    const std::lock_guard<std::mutex> lock(events_mutex_);
    ++done_;
    if (failed) {
      ++summary_.failed;
      summary_.failed_frames.push_back(e.frame);
    } else {
      ++summary_.keyed;
    }
    e.done = done_;
    if (observer_ != nullptr) observer_->on_event(e);
  }

  void fail_frame(int64_t frame, const std::string& message) {
    finish_frame(event(ShotEvent::Kind::kFrameFailed, frame, message), true);
  }

  Engine* engine_;  // the blue engine once a shot's screen settles blue and one is given
  ShotJob& job_;
  ShotObserver* observer_;
  Clock::time_point t0_;
  ShotSummary summary_;
  std::vector<int64_t> skipped_;
  std::mutex events_mutex_;
  int64_t done_ = 0;
};

}  // namespace

Result<ShotSummary> key_shot(Engine& engine, ShotJob& job, ShotObserver* observer) {
  ShotRun run(engine, job, observer);
  Result<ShotSummary> result = run.run();
  if (result.ok() && result->failed > 0) {
    std::sort(result->failed_frames.begin(), result->failed_frames.end());
  }
  return result;
}

}  // namespace ck
