#include "pipeline/engine.hpp"

#include <chrono>
#include <cmath>
#include <mutex>
#include <new>

#include "backends/backend.hpp"
#include "image/resample.hpp"
#include "model/greenformer.hpp"
#include "pipeline/frame_steps.hpp"
#include "weights/checkpoint.hpp"

namespace ck {

struct Engine::Impl {
  std::mutex mutex;  // one frame at a time: the backend's buffers are shared by all calls
  EngineOptions options;
  std::unique_ptr<Backend> backend;
  GreenFormer net;  // holds the checkpoint tensors it uses; the others go once it is built
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

int Engine::img_size() const { return impl_->options.img_size; }

Status validate_frame_options(const FrameOptions& o) {
  if (!std::isfinite(o.refiner_scale)) return err(ErrorCode::kInvalidArgument, "refiner_scale must be finite");
  if (!(o.despill_strength >= 0.0f && o.despill_strength <= 1.0f)) {
    return err(ErrorCode::kInvalidArgument, "despill_strength ", o.despill_strength, " is outside [0, 1]");
  }
  if (o.despeckle_size < 0) return err(ErrorCode::kInvalidArgument, "despeckle_size ", o.despeckle_size, " is negative");
  return ok_status();
}

Result<std::unique_ptr<Engine>> Engine::create(const std::string& checkpoint_path, const EngineOptions& options) {
  // Loading allocates with the standard library too: a failure becomes an error here.
  try {
    return create_unguarded(checkpoint_path, options);
  } catch (const std::bad_alloc&) {
    return err(ErrorCode::kOutOfMemory, "out of memory loading '", checkpoint_path, "'");
  }
}

Result<std::unique_ptr<Engine>> Engine::create_unguarded(const std::string& checkpoint_path,
                                                         const EngineOptions& options) {
  if (options.img_size <= 0 || options.img_size % 32 != 0) {
    return err(ErrorCode::kInvalidArgument, "img_size ", options.img_size, " is not a positive multiple of 32");
  }
  if (options.threads < 0) return err(ErrorCode::kInvalidArgument, "threads ", options.threads, " is negative");
  if (options.buffer_cache_mib < -1) {
    return err(ErrorCode::kInvalidArgument, "buffer_cache_mib ", options.buffer_cache_mib, " is below -1 (automatic)");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->backend = make_cpu_backend();
  if (options.threads > 0) impl->backend->set_num_threads(options.threads);
  // The checkpoint lives only while the network is built: what the network does not keep
  // (the 512-grid pos_embed once resized, 117 MB; the folded decoder weights) is let go.
  auto net = [&]() -> Result<GreenFormer> {
    CK_ASSIGN(const Checkpoint checkpoint, load_checkpoint(checkpoint_path));
    return GreenFormer::create(checkpoint.tensors, options.img_size, *impl->backend, options.precision);
  }();
  if (!net.ok()) return err(net.error().code, "'", checkpoint_path, "': ", net.error().message);
  impl->net = std::move(net).value();
  prepare_buffer_pool(options.buffer_cache_mib);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<FrameResult> Engine::process_frame(const ImageView& plate, const ImageView& hint,
                                          const FrameOptions& options) {
  // The image steps allocate with std::vector: an allocation failure becomes an error here.
  try {
    return process_frame_unguarded(plate, hint, options);
  } catch (const std::bad_alloc&) {
    return err(ErrorCode::kOutOfMemory, "out of memory keying a ", plate.width, "x", plate.height, " frame");
  }
}

Result<FrameResult> Engine::process_frame_unguarded(const ImageView& plate_view, const ImageView& hint_view,
                                                    const FrameOptions& options) {
  CK_TRY(validate_frame_options(options));
  const std::lock_guard<std::mutex> lock(impl_->mutex);
  const auto t0 = std::chrono::steady_clock::now();
  CK_ASSIGN(const Planar plate, view_to_planar(plate_view, 0, 3, "plate"));
  CK_ASSIGN(Planar hint, view_to_planar(hint_view, 0, 1, "hint"));
  std::vector<std::string> warnings;
  if (hint.width != plate.width || hint.height != plate.height) {
    warnings.push_back("hint is " + std::to_string(hint.width) + "x" + std::to_string(hint.height) +
                       ", the plate " + std::to_string(plate.width) + "x" + std::to_string(plate.height) +
                       ": hint resized to the plate (bilinear)");
    hint = resample(hint, plate.width, plate.height, ResampleFilter::kAntialiasedBilinear);
  }
  const int s = impl_->options.img_size;
  CK_ASSIGN(const Tensor x, normalise_network_input(prepare_network_planes(plate, hint, s, options.input_is_linear)));
  const float refiner_scale = impl_->options.use_refiner ? options.refiner_scale : 0.0f;
  const auto t1 = std::chrono::steady_clock::now();
  CK_ASSIGN(const GreenFormerOutput out, impl_->net.forward(x, nullptr, refiner_scale));
  const auto t2 = std::chrono::steady_clock::now();

  const size_t plane = static_cast<size_t>(s) * s;
  Planar alpha_s{s, s, 1, std::vector<float>(out.alpha.data<float>(), out.alpha.data<float>() + plane)};
  Planar fg_s{s, s, 3, std::vector<float>(out.fg.data<float>(), out.fg.data<float>() + 3 * plane)};
  FrameResult r = postprocess_frame(alpha_s, fg_s, plate.width, plate.height, options);
  r.warnings = std::move(warnings);
  const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  r.prepare_s = seconds(t0, t1);
  r.network_s = seconds(t1, t2);
  r.finish_s = seconds(t2, std::chrono::steady_clock::now());
  return r;
}

}  // namespace ck
