// The keying engine: CorridorKey's process_frame, and the network on its own. Built once
// from a checkpoint, an engine keys frames of any size: the plate and hint are resized to
// S x S, the network runs, and the outputs come back at the plate's size with despeckle,
// despill, premultiplication and a checking composite (docs/ARCHITECTURE.md follows a frame).
//
// Each engine owns its state: its backend, its weights, its buffer pool and frame plan, and
// its thread count, which applies to the engine's own calls only (the calling thread's
// OpenMP setting is restored afterwards). Several engines live side by side in one process;
// one engine keys one frame at a time (concurrent calls on it wait for each other).
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "corridorkey/image.hpp"
#include "corridorkey/precision.hpp"
#include "corridorkey/screen_colour.hpp"
#include "corridorkey/status.hpp"

namespace ck {

// One set of options and defaults for every command, the C API and the Python module.
struct EngineOptions {
  int img_size = 2048;      // network resolution S, a multiple of 32 (the network was trained at 2048)
  std::string backend = "cpu";  // "cpu" (optimised) or "ref" (plain reference kernels, for checks)
  int threads = 0;          // CPU threads for this engine's calls; 0: the calling thread's OpenMP
                            // setting (OMP_NUM_THREADS, else every core)
  bool use_refiner = true;  // false: coarse prediction only, whatever refiner_scale says
  Precision precision = Precision::kFP32;  // see corridorkey/precision.hpp
  // MiB of released buffers kept idle for requests outside the frame plan: the first frame,
  // outputs; -1: 64. Later frames use their planned arena whatever this says.
  int buffer_cache_mib = -1;
  // The screen the weights were trained on: green (CorridorKey_v1.0), or blue for a
  // blue-screen model. A plate of the other colour goes through with green and blue swapped.
  ScreenColour trained_screen = ScreenColour::kGreen;
  // Memory (docs/BENCHMARKS.md, "Memory"): a budget in MiB for what the engine holds, its
  // weights and a frame's tensors (the process's libraries and images come on top); 0: no
  // budget, the fastest plan. Under a budget the refiner runs in bands of rows, the tallest
  // that fit, recomputing what whole maps would have kept (exact within fp32 rounding; at
  // S = 2048 about 1.5-2x the network's time). Engine::create refuses a budget that no plan
  // meets and says what the least budget is.
  int max_memory_mib = 0;
  // The refiner's band height in rows whatever the budget says (0: as max_memory_mib decides).
  int refiner_band_rows = 0;
  // Tiled inference, an approximation: the network built at tile_size runs on overlapping
  // tiles of the S x S input (tile_overlap pixels shared by neighbours), blended with a
  // raised-cosine window. The network then never sees the whole frame, so mattes differ
  // from whole-frame inference (docs/BENCHMARKS.md measures by how much). 0: whole frame.
  int tile_size = 0;
  int tile_overlap = 64;
};

// How an engine spends memory: its plan and what it holds (Engine::memory).
struct EngineMemory {
  int refiner_band_rows = 0;        // 0: whole maps
  int64_t weight_bytes = 0;         // the network's weights, as held
  int64_t frame_bytes_estimate = 0;  // a frame's tensors at their most, estimated
  std::string plan;                 // e.g. "refiner in bands of 96 rows"
};

struct FrameOptions {
  float refiner_scale = 1.0f;    // multiplies the refiner's delta logits; 0 = coarse only
  bool input_is_linear = false;  // plate is scene-linear (EXR) rather than sRGB-encoded
  float despill_strength = 1.0f;
  bool auto_despeckle = true;
  int despeckle_size = 400;  // minimum area (pixels at plate size) of a kept component
  bool generate_comp = true;
  // The plate's screen: green or blue. Despill works against it; a plate whose screen is not
  // the one the weights were trained on (EngineOptions::trained_screen) goes through the
  // network with green and blue swapped. kAuto is not taken here: estimate it first
  // (alpha_hint.hpp, estimate_screen).
  ScreenColour screen = ScreenColour::kGreen;
};

// Every output at the plate's size, float32, interleaved.
struct FrameResult {
  Image alpha;      // 1 channel, linear: the network's alpha, resized only
  Image fg;         // 3 channels, sRGB-encoded straight colour, resized only
  Image processed;  // 4 channels, linear premultiplied RGBA: despilled, despeckled
  Image comp;       // 3 channels, sRGB: despilled fg over a checkerboard (empty if not asked)
  std::vector<std::string> warnings;  // e.g. a hint resized to the plate
  // Where the time went, in seconds: input conversion and resize to S, the network, and
  // everything after it (resize back, despeckle, despill, premultiply, composite).
  double prepare_s = 0, network_s = 0, finish_s = 0;
};

// A tensor of the network, float32, NCHW (tokens as (1, C, H, W) maps).
struct StageTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Sees inside one network evaluation: its stage tensors, by the reference harness's names
// (input, encoder_feature_0..3, alpha_logits, fg_logits, alpha_logits_up, fg_logits_up,
// alpha_coarse, fg_coarse, delta_logits, alpha_final, fg_final; with the refiner in bands
// of rows, whose full-resolution intermediates never exist whole, all but *_logits_up,
// *_coarse and delta_logits; in tiled inference none: tiles are not the frame's stages),
// and its stages' wall-clock
// times (patch_embed, stage0..stage3, decoders, refiner, output). process_frame also reports
// the frame's steps around it: prepare.convert, prepare.resize, prepare.normalise, network,
// finish.resize, finish.despeckle, finish.colour (despill, linearise, premultiply, composite).
class NetworkObserver {
 public:
  virtual ~NetworkObserver() = default;
  // Collecting the stage tensors costs memory and copies; only asked for when this says so.
  virtual bool wants_stage_tensors() const { return false; }
  virtual void on_stage_tensor(StageTensor tensor) {}
  virtual void on_stage_time(const std::string& stage, double seconds) {}
};

// The network's outputs at S x S, planar float32, in the engine's own memory (no copy): valid
// while this object lives; dropping it gives the memory back for the next evaluation.
struct NetworkOutput {
  int size = 0;
  const float* alpha = nullptr;  // (1, S, S)
  const float* fg = nullptr;     // (3, S, S)
  std::shared_ptr<const void> storage;
};

// A frame through the network, not yet finished: process_frame's first half, kept so that
// the frame can be finished again with other post-processing options (despill, despeckle,
// comp) without keying it again, as a keying station's sliders do. The network's outputs at
// S (planar), in the green-screen colours post-processing works in.
struct KeyedFrame {
  int size = 0;                              // S
  int plate_width = 0, plate_height = 0;
  ScreenColour screen = ScreenColour::kGreen;  // the plate's, as keyed
  std::vector<float> alpha;                  // S x S
  std::vector<float> fg;                     // 3 planes of S x S
  std::vector<std::string> warnings;
  double prepare_s = 0, network_s = 0;
};

// Finishes a keyed frame (resize to the plate, despeckle, despill, premultiply, composite)
// with `options`' post-processing settings; its network settings (refiner_scale,
// input_is_linear, screen) are the keyed frame's. Steps are reported to the observer.
Result<FrameResult> finish_keyed_frame(const KeyedFrame& keyed, const FrameOptions& options,
                                       NetworkObserver* observer = nullptr);

class Engine {
 public:
  // From a checkpoint: an official .pth, a converted .safetensors or an MLX-port .safetensors.
  static Result<std::unique_ptr<Engine>> create(const std::string& checkpoint_path, const EngineOptions& options);
  // The full-size network with generated, untrained weights (benchmarks; keys nothing useful).
  static Result<std::unique_ptr<Engine>> create_with_generated_weights(const EngineOptions& options,
                                                                       uint64_t seed = 0);
  ~Engine();

  Result<FrameResult> process_frame(const ImageView& plate, const ImageView& hint, const FrameOptions& options,
                                    NetworkObserver* observer = nullptr);
  // process_frame in two halves: the network's (this), then finish_keyed_frame, as often as
  // the post-processing changes. The two give process_frame's result to the bit.
  Result<KeyedFrame> key_frame(const ImageView& plate, const ImageView& hint, const FrameOptions& options,
                               NetworkObserver* observer = nullptr);

  // The network alone on an S x S input: (1, S, S, 4) float32 channels-last (per pixel:
  // ImageNet-normalised RGB and the raw hint), as process_frame feeds it; the `input` stage
  // tensor is the same values in NCHW. refiner_scale as in FrameOptions.
  Result<NetworkOutput> run_network(const float* input, float refiner_scale = 1.0f,
                                    NetworkObserver* observer = nullptr);

  const EngineOptions& options() const;
  EngineMemory memory() const;
  int img_size() const { return options().img_size; }

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Checks the engine options (sizes, names, ranges), naming the first bad one.
Status validate_engine_options(const EngineOptions& options);
// Checks the frame options (ranges), naming the first bad one.
Status validate_frame_options(const FrameOptions& options);

}  // namespace ck

#pragma GCC visibility pop
