// Keying a whole shot: every frame of a plate source with its hint, written as the original
// CorridorKey writes a clip (DIR/Matte, DIR/FG, DIR/Processed, DIR/Comp), with frame ranges,
// resume, a run manifest, optional video deliverables and events for progress reporting.
//
// Reading, keying and writing overlap: one thread reads ahead, the engine keys on the calling
// thread, one thread encodes and writes behind; each queue holds at most `queue_depth` frames,
// so memory does not grow with the shot's length. Each frame's files appear together or not
// at all (corridorkey/output_set.hpp), so a run that stops for any reason keeps its finished
// frames and a rerun keys exactly the missing ones.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "corridorkey/alpha_hint.hpp"
#include "corridorkey/engine.hpp"
#include "corridorkey/frames.hpp"
#include "corridorkey/status.hpp"
#include "corridorkey/video_file.hpp"

namespace ck {

struct ShotOutputOptions {
  std::string dir;          // Matte/, FG/, Processed/ and Comp/ are made inside
  bool comp = true;         // write Comp/<name>.png
  bool exr_float = false;   // 32-bit float EXR (ZIP); default half float with PXR24
  bool fg_linear = false;   // FG linearised (default: sRGB-encoded values, as the original writes)
  // EXR compression: empty for the default, PXR24 (half) or ZIP (float), as the original;
  // also zip, zips, piz, dwaa, dwab, b44, rle, none (OpenEXR's names).
  std::string exr_compression;
  // Comp's zlib level, 0-9: 1 by default, OpenCV's default, which the original writes with.
  int png_compression = 1;
  // Videos made from the finished frames once every frame of the run is there:
  // `DIR/<shot>_key.mov` (ProRes 4444) or `.mkv` (FFV1) with the despilled foreground and its
  // alpha, and `DIR/<shot>_comp.mp4` (H.264) of the composite.
  std::vector<VideoCodec> deliverables;
  double frame_rate = 0;    // deliverables' rate; 0: the plate video's, else 24
};

struct ShotJob {
  std::string name;  // the shot's name in events, messages and deliverable file names
  std::unique_ptr<FrameSource> plate, hint;
  // Without a hint source, hints made from each plate (alpha_hint.hpp). The screen is
  // estimated once, from the plate's first frame (prepared), unless given. frame.screen kAuto
  // is settled from the plate's first frame too.
  std::optional<HintOptions> auto_hint;
  // Keys the shot instead of key_shot's engine when its screen settles blue (a blue-screen
  // model, EngineOptions::trained_screen blue); null: the given engine keys blue plates too.
  Engine* blue_engine = nullptr;
  std::string blue_weights_id;  // the blue engine's weights in the manifest
  std::vector<FrameRange> frames;  // plate frame numbers to key; empty: every frame
  FrameOptions frame;
  ShotOutputOptions output;
  bool skip_existing = true;  // frames whose outputs all exist are not keyed again
  // A manifest in the output folder records the settings outputs were made with; a run with
  // other settings is refused unless it redoes every frame (skip_existing false) or `force_mix`.
  bool force_mix = false;
  std::string weights_id;  // identifies the weights in the manifest (e.g. their SHA-256)
  std::map<std::string, std::string> settings;  // the caller's further settings (colour spaces)
  // Applied to each plate after reading (colour conversion) and to each frame's outputs before
  // writing (alpha, fg, processed); empty: none.
  std::function<Status(Image& plate)> prepare_plate;
  std::function<Status(FrameResult& result)> finish_outputs;
  int queue_depth = 2;  // frames held by each of the read-ahead and write-behind queues
  // Asked before each frame is keyed: true stops the run with ErrorCode::kCancelled, the
  // frames finished so far kept (and the manifest written as for any stopped run).
  std::function<bool()> cancelled;
};

struct ShotEvent {
  enum class Kind { kStarted, kFrameDone, kFrameSkipped, kFrameFailed, kWarning, kFinished };
  Kind kind = Kind::kStarted;
  std::string shot;
  int64_t frame = 0;
  std::string message;           // a warning or a failure, naming the file or frame
  int64_t done = 0, total = 0;   // frames finished (keyed, skipped or failed) of the run's total
  double read_s = 0, key_s = 0, write_s = 0;  // a keyed frame's times
  double elapsed_s = 0;
};

class ShotObserver {
 public:
  virtual ~ShotObserver() = default;
  virtual void on_event(const ShotEvent& event) = 0;
};

struct ShotSummary {
  int64_t total = 0, keyed = 0, skipped = 0, failed = 0;
  std::vector<int64_t> failed_frames;
  std::vector<std::string> deliverables;  // videos written
  double seconds = 0;
};

// One frame's files: DIR/Matte/<name>.exr, DIR/FG/<name>.exr, DIR/Processed/<name>.exr and,
// with `comp`, DIR/Comp/<name>.png.
std::vector<std::string> frame_output_paths(const ShotOutputOptions& options, const std::string& name);
// Writes them, encoded concurrently, and renames them into place together (all or none).
Status write_frame_outputs(const FrameResult& result, const std::string& name, const ShotOutputOptions& options);
// Creates the output folders (before any keying, so that an unwritable place fails first).
Status create_frame_output_folders(const ShotOutputOptions& options);

// Keys the shot. Frames that cannot be read (a damaged file, a missing hint) are reported as
// failed and the rest are keyed; anything that stops the run (a full disk, a refused
// manifest, bad options) is the returned error, with every finished frame kept.
Result<ShotSummary> key_shot(Engine& engine, ShotJob& job, ShotObserver* observer = nullptr);

// What a shot's output folder holds for the frames the job selects (render farms check this
// after the chunks ran): frames without their complete set of files, and files that exist
// but do not decode (each with the reader's message).
struct ShotCheck {
  int64_t total = 0;
  std::vector<int64_t> missing;
  std::vector<std::pair<int64_t, std::string>> unreadable;
  bool complete() const { return missing.empty() && unreadable.empty(); }
};
Result<ShotCheck> check_shot_outputs(const ShotJob& job);

// The job's video deliverables, made from its finished frames (after a farm's chunks);
// returns the videos written.
Result<std::vector<std::string>> write_shot_deliverables(const ShotJob& job);

// The name of the run manifest written in a shot's output folder.
inline constexpr const char* kRunManifestName = "corridorkey_run.json";

}  // namespace ck

#pragma GCC visibility pop
