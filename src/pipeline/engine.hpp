// The keying engine: CorridorKey's process_frame. Built once from a checkpoint, it keys
// frames of any size: the plate and hint are resized to S x S, the network runs, and the
// outputs come back at the plate's size with despeckle, despill, premultiplication and a
// checking composite (see docs in PIPELINE terms: alpha, fg, processed, comp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "io/image_file.hpp"
#include "model/precision.hpp"

namespace ck {

enum class PixelType { kU8, kU16, kF32 };

// A caller's pixels, interleaved rows: 8- and 16-bit integers are scaled to [0, 1], floats
// are taken as they are (no clamp). row_stride_bytes 0 means tightly packed.
struct ImageView {
  const void* data = nullptr;
  int width = 0, height = 0, channels = 0;
  PixelType type = PixelType::kF32;
  size_t row_stride_bytes = 0;
};

// A float image read from a file, as the engine's input.
inline ImageView view_of(const Image& image) {
  return {image.pixels.data(), image.width, image.height, image.channels, PixelType::kF32, 0};
}

struct EngineOptions {
  int img_size = 2048;     // network resolution S, a multiple of 32
  int threads = 0;         // 0: all cores
  bool use_refiner = true; // false: coarse prediction only, whatever refiner_scale says
  Precision precision = Precision::kFP32;  // see model/precision.hpp
  // MiB of released buffers kept idle for requests outside the frame plan: the first frame,
  // outputs (see prepare_buffer_pool); -1: 64. Later frames use their planned arena whatever
  // this says.
  int buffer_cache_mib = -1;
};

struct FrameOptions {
  float refiner_scale = 1.0f;   // multiplies the refiner's delta logits; 0 = coarse only
  bool input_is_linear = false; // plate is scene-linear (EXR) rather than sRGB-encoded
  float despill_strength = 1.0f;
  bool auto_despeckle = true;
  int despeckle_size = 400;     // minimum area (pixels at plate size) of a kept component
  bool generate_comp = true;
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

// Calls to process_frame from several threads are safe and run one after the other (each
// frame already uses every core given to the engine).
class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(const std::string& checkpoint_path, const EngineOptions& options);
  ~Engine();

  Result<FrameResult> process_frame(const ImageView& plate, const ImageView& hint, const FrameOptions& options);

  int img_size() const;

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<Engine>> create_unguarded(const std::string& checkpoint_path,
                                                          const EngineOptions& options);
  Result<FrameResult> process_frame_unguarded(const ImageView& plate, const ImageView& hint,
                                              const FrameOptions& options);
  std::unique_ptr<Impl> impl_;
};

// Checks the frame options (ranges), naming the first bad one.
Status validate_frame_options(const FrameOptions& options);

}  // namespace ck
