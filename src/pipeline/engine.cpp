#include "corridorkey/engine.hpp"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <new>

#include "backends/backend.hpp"
#include "core/buffer_pool.hpp"
#include "core/stage_clock.hpp"
#include "image/resample.hpp"
#include "model/greenformer.hpp"
#include "model/synthetic_weights.hpp"
#include "model/memory_estimate.hpp"
#include "pipeline/frame_steps.hpp"
#include "pipeline/tiling.hpp"
#include "weights/checkpoint.hpp"

namespace ck {

namespace {

// The engine's thread count for the length of one call, on the calling thread only: OpenMP
// keeps the thread count per thread (its nthreads ICV), so setting it here and restoring it
// afterwards leaves the host's own setting, and other threads' engines, alone.
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int threads) : active_(threads > 0) {
    if (!active_) return;
    saved_ = omp_get_max_threads();
    omp_set_num_threads(threads);
  }
  ~ThreadCountScope() {
    if (active_) omp_set_num_threads(saved_);
  }
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  bool active_;
  int saved_ = 0;
};

Result<std::unique_ptr<Backend>> backend_named(const std::string& name) {
  if (name == "cpu") return create_cpu_backend();
  if (name == "ref") return make_reference_backend();
  return err(ErrorCode::kInvalidArgument, "backend '", name, "' is not one of: cpu, ref");
}

// A stage tensor handed to an observer: float32, contiguous, NCHW.
Result<StageTensor> stage_tensor(const std::string& name, const Tensor& t) {
  CK_ASSIGN(const Tensor f32, t.dtype() == DType::F32 ? t.contiguous() : t.to(DType::F32));
  StageTensor out{name, f32.shape(), {}};
  out.data.assign(f32.data<float>(), f32.data<float>() + f32.numel());
  return out;
}

template <class Fn>
auto catching_bad_alloc(const char* what, Fn&& fn) -> decltype(fn()) {
  // The image steps and copies allocate with the standard library: an allocation failure
  // becomes an error here, never an exception in the host.
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return err(ErrorCode::kOutOfMemory, "out of memory ", what);
  }
}

}  // namespace

// A tile's observer: its stage times go on to the frame's observer, its stage tensors do
// not (a tile's tensors are not the frame's stages).
class TileObserver : public NetworkObserver {
 public:
  explicit TileObserver(NetworkObserver* frame) : frame_(frame) {}
  void on_stage_time(const std::string& stage, double seconds) override { frame_->on_stage_time(stage, seconds); }

 private:
  NetworkObserver* frame_;
};

struct Engine::Impl {
  std::mutex mutex;  // one call at a time: the backend's buffers and the frame plan are per engine
  EngineOptions options;
  std::shared_ptr<BufferPool> pool = BufferPool::create();
  std::unique_ptr<Backend> backend;
  GreenFormer net;  // holds the checkpoint tensors it uses; the others go once it is built
  EngineMemory memory;

  // The network on x (1, S, S, 4), or on its tiles (tiled inference).
  Result<GreenFormerOutput> key(const Tensor& x, float refiner_scale, NetworkObserver* observer) {
    if (net.img_size() == x.size(1)) return forward(x, refiner_scale, observer);
    return forward_tiled(x, refiner_scale, observer);
  }

  // Tiled inference: the network (built at the tile size) on overlapping tiles of x, each
  // output weighted by a window that fades over the overlap where a neighbour takes over,
  // and the weighted sum divided by the sum of the weights. A tile's weight is its row
  // window times its column window, and the tiles are every pair of row and column starts,
  // so a pixel's sum of weights is the product of the two axes' sums.
  Result<GreenFormerOutput> forward_tiled(const Tensor& x, float refiner_scale, NetworkObserver* observer) {
    const int64_t s = x.size(1), n = net.img_size();
    const std::vector<int64_t> starts = tile_starts(s, n, options.tile_overlap);
    std::vector<std::vector<float>> windows;
    std::vector<float> axis_sum(static_cast<size_t>(s), 0.0f);
    for (const int64_t start : starts) {
      windows.push_back(tile_window(s, n, options.tile_overlap, start));
      for (int64_t i = 0; i < n; ++i) axis_sum[static_cast<size_t>(start + i)] += windows.back()[static_cast<size_t>(i)];
    }
    CK_ASSIGN(Tensor sum, Tensor::zeros({1, 4, s, s}));  // alpha, fg: the outputs' layout
    CK_ASSIGN(Tensor tile, Tensor::empty({1, n, n, 4}));
    TileObserver tile_observer(observer);
    for (size_t ty = 0; ty < starts.size(); ++ty) {
      const int64_t y0 = starts[ty];
      const std::vector<float>& wy = windows[ty];
      for (size_t tx = 0; tx < starts.size(); ++tx) {
        const int64_t x0 = starts[tx];
        const std::vector<float>& wx = windows[tx];
        for (int64_t r = 0; r < n; ++r) {
          std::copy_n(x.data<float>() + ((y0 + r) * s + x0) * 4, n * 4, tile.data<float>() + r * n * 4);
        }
        CK_ASSIGN(const GreenFormerOutput out,
                  forward(tile, refiner_scale, observer != nullptr ? &tile_observer : nullptr));
        const float* planes = out.alpha.data<float>();  // (1, 4, n, n): alpha, then fg
        for (int64_t c = 0; c < 4; ++c) {
          float* dst = sum.data<float>() + c * s * s;
          const float* src = planes + c * n * n;
#pragma omp parallel for schedule(static)
          for (int64_t r = 0; r < n; ++r) {
            for (int64_t col = 0; col < n; ++col) {
              dst[(y0 + r) * s + x0 + col] += wy[r] * wx[col] * src[r * n + col];
            }
          }
        }
      }
    }
    for (int64_t c = 0; c < 4; ++c) {
      float* p = sum.data<float>() + c * s * s;
#pragma omp parallel for schedule(static)
      for (int64_t y = 0; y < s; ++y) {
        for (int64_t col = 0; col < s; ++col) p[y * s + col] /= axis_sum[static_cast<size_t>(y)] * axis_sum[static_cast<size_t>(col)];
      }
    }
    return GreenFormerOutput{channel_slice(sum, 0, 1), channel_slice(sum, 1, 3)};
  }

  // The network on x (1, 4, S, S); the observer, if any, sees stage tensors and times.
  Result<GreenFormerOutput> forward(const Tensor& x, float refiner_scale, NetworkObserver* observer) {
    const bool want_tensors = observer != nullptr && observer->wants_stage_tensors();
    StageTensors stages;
    StageClock clock;
    CK_ASSIGN(const Tensor input, backend->upload(x));
    CK_ASSIGN(GreenFormerOutput out, net.forward(input, want_tensors ? &stages : nullptr, refiner_scale,
                                                 observer != nullptr ? &clock : nullptr));
    // The outputs (and stage tensors) come back to host memory.
    CK_ASSIGN(out.alpha, backend->download(out.alpha));
    CK_ASSIGN(out.fg, backend->download(out.fg));
    CK_TRY(backend->synchronize());
    if (observer == nullptr) return out;
    for (const auto& [name, seconds] : clock.laps()) observer->on_stage_time(name, seconds);
    for (const auto& [name, t] : stages) {
      CK_ASSIGN(const Tensor host, backend->download(t));
      CK_ASSIGN(StageTensor st, stage_tensor(name, host));
      observer->on_stage_tensor(std::move(st));
    }
    return out;
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const EngineOptions& Engine::options() const { return impl_->options; }
EngineMemory Engine::memory() const { return impl_->memory; }

Status validate_engine_options(const EngineOptions& o) {
  if (o.img_size <= 0 || o.img_size % 32 != 0) {
    return err(ErrorCode::kInvalidArgument, "img_size ", o.img_size, " is not a positive multiple of 32");
  }
  if (o.threads < 0) return err(ErrorCode::kInvalidArgument, "threads ", o.threads, " is negative");
  if (o.buffer_cache_mib < -1) {
    return err(ErrorCode::kInvalidArgument, "buffer_cache_mib ", o.buffer_cache_mib, " is below -1 (automatic)");
  }
  if (o.backend != "cpu" && o.backend != "ref") {
    return err(ErrorCode::kInvalidArgument, "backend '", o.backend, "' is not one of: cpu, ref");
  }
  if (o.trained_screen != ScreenColour::kGreen && o.trained_screen != ScreenColour::kBlue) {
    return err(ErrorCode::kInvalidArgument, "the weights' screen must be green or blue");
  }
  if (o.max_memory_mib < 0) return err(ErrorCode::kInvalidArgument, "max_memory_mib ", o.max_memory_mib, " is negative");
  if (o.refiner_band_rows < 0) {
    return err(ErrorCode::kInvalidArgument, "refiner_band_rows ", o.refiner_band_rows, " is negative");
  }
  if (o.tile_size != 0) {
    if (o.tile_size < 0 || o.tile_size % 32 != 0 || o.tile_size > o.img_size) {
      return err(ErrorCode::kInvalidArgument, "tile size ", o.tile_size, " is not a positive multiple of 32 up to img_size ",
                 o.img_size);
    }
    if (o.tile_overlap < 0 || o.tile_overlap >= o.tile_size) {
      return err(ErrorCode::kInvalidArgument, "tile overlap ", o.tile_overlap, " is outside [0, ", o.tile_size, ")");
    }
  }
  return ok_status();
}

Status validate_frame_options(const FrameOptions& o) {
  if (!std::isfinite(o.refiner_scale)) return err(ErrorCode::kInvalidArgument, "refiner_scale must be finite");
  if (!(o.despill_strength >= 0.0f && o.despill_strength <= 1.0f)) {
    return err(ErrorCode::kInvalidArgument, "despill_strength ", o.despill_strength, " is outside [0, 1]");
  }
  if (o.despeckle_size < 0) return err(ErrorCode::kInvalidArgument, "despeckle_size ", o.despeckle_size, " is negative");
  if (o.screen != ScreenColour::kGreen && o.screen != ScreenColour::kBlue) {
    return err(ErrorCode::kInvalidArgument, "the screen colour must be green or blue (estimate it from the plate first)");
  }
  return ok_status();
}

const char* screen_colour_name(ScreenColour c) {
  return c == ScreenColour::kGreen ? "green" : c == ScreenColour::kBlue ? "blue" : "auto";
}

std::optional<ScreenColour> screen_colour_from_name(const std::string& name) {
  if (name == "auto") return ScreenColour::kAuto;
  if (name == "green") return ScreenColour::kGreen;
  if (name == "blue") return ScreenColour::kBlue;
  return std::nullopt;
}


namespace {

void swap_green_and_blue(Image& image) {
  if (image.channels < 3) return;
  const size_t n = static_cast<size_t>(image.width) * image.height;
  float* p = image.pixels.data();
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i) std::swap(p[i * image.channels + 1], p[i * image.channels + 2]);
}

// The network's resolution: the tile's in tiled inference, else S.
int network_size(const EngineOptions& o) { return o.tile_size > 0 ? o.tile_size : o.img_size; }

// The frame's memory plan from the budget (or the band height asked for), once the weights
// are held (the pool's live bytes: every buffer of 1 MiB and more).
Status plan_memory(Engine::Impl& impl) {
  const EngineOptions& o = impl.options;
  const int64_t s = impl.net.img_size();
  const size_t weights = impl.pool->stats().live_bytes;
  NetworkMemoryPlan plan;
  if (o.max_memory_mib > 0) {
    CK_ASSIGN(plan, plan_for_budget(impl.net.config(), s, weights, static_cast<size_t>(o.max_memory_mib) << 20));
  }
  if (o.refiner_band_rows > 0) plan.refiner_band_rows = o.refiner_band_rows;
  impl.net.set_memory_plan(plan);
  impl.memory.refiner_band_rows = static_cast<int>(plan.refiner_band_rows);
  impl.memory.weight_bytes = static_cast<int64_t>(weights);
  impl.memory.frame_bytes_estimate = static_cast<int64_t>(estimate_frame_memory(impl.net.config(), s, plan).peak());
  impl.memory.plan = describe_memory_plan(plan);
  return ok_status();
}

// Builds an engine on `backend` whose network comes from `weights` (a state dict loaded or
// generated in the engine's own buffer pool and thread count), once its options have been
// validated.
template <class LoadWeights>
Result<std::unique_ptr<Engine::Impl>> build(const EngineOptions& options, std::unique_ptr<Backend> backend,
                                            LoadWeights&& load_weights) {
  auto impl = std::make_unique<Engine::Impl>();
  impl->options = options;
  const BufferPool::Use pool(impl->pool);
  const ThreadCountScope threads(options.threads);
  impl->backend = std::move(backend);
  // The weights live only while the network is built: what the network does not keep (the
  // 512-grid pos_embed once resized, 117 MB; the folded decoder weights) is let go.
  auto net = [&]() -> Result<GreenFormer> {
    CK_ASSIGN(const StateDict weights, load_weights());
    return GreenFormer::create(weights, network_size(options), *impl->backend, options.precision);
  }();
  if (!net.ok()) return net.error();
  impl->net = std::move(net).value();
  prepare_buffer_pool(options.buffer_cache_mib);
  return impl;
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::create(const std::string& checkpoint_path, const EngineOptions& options) {
  CK_TRY(validate_engine_options(options));
  // Before the weights, and not attributed to them: a CPU the backend cannot run on.
  CK_ASSIGN(std::unique_ptr<Backend> backend, backend_named(options.backend));
  return catching_bad_alloc("loading a checkpoint", [&]() -> Result<std::unique_ptr<Engine>> {
    auto impl = build(options, std::move(backend), [&]() -> Result<StateDict> {
      CK_ASSIGN(Checkpoint checkpoint, load_checkpoint(checkpoint_path));
      return std::move(checkpoint.tensors);
    });
    if (!impl.ok()) {
      // The loader's messages name the file already; the network's checks do not.
      const Error& e = impl.error();
      if (e.message.find(checkpoint_path) != std::string::npos) return e;
      return err(e.code, "'", checkpoint_path, "': ", e.message);
    }
    CK_TRY(plan_memory(*impl.value()));  // not the weights' fault when a budget is not met
    return std::unique_ptr<Engine>(new Engine(std::move(impl).value()));
  });
}

Result<std::unique_ptr<Engine>> Engine::create_with_generated_weights(const EngineOptions& options, uint64_t seed) {
  CK_TRY(validate_engine_options(options));
  CK_ASSIGN(std::unique_ptr<Backend> backend, backend_named(options.backend));
  return catching_bad_alloc("generating weights", [&]() -> Result<std::unique_ptr<Engine>> {
    CK_ASSIGN(auto impl, build(options, std::move(backend), [&] {
      // The official checkpoint's pos_embed grid is 512 / 4 = 128 tokens a side.
      return make_synthetic_weights(GreenFormerConfig::base_plus(), 512, seed);
    }));
    CK_TRY(plan_memory(*impl));
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
  });
}

Result<NetworkOutput> Engine::run_network(const float* input, float refiner_scale, NetworkObserver* observer) {
  if (input == nullptr) return err(ErrorCode::kInvalidArgument, "run_network: input is null");
  if (!std::isfinite(refiner_scale)) return err(ErrorCode::kInvalidArgument, "refiner_scale must be finite");
  return catching_bad_alloc("running the network", [&]() -> Result<NetworkOutput> {
    const std::lock_guard<std::mutex> lock(impl_->mutex);
    const BufferPool::Use pool(impl_->pool);
    const ThreadCountScope threads(impl_->options.threads);
    const int64_t s = impl_->options.img_size;
    // The caller's buffer, viewed (the network never writes its input).
    const Tensor x = Tensor::wrap(const_cast<float*>(input), {1, s, s, 4}, DType::F32, nullptr);
    CK_ASSIGN(const GreenFormerOutput out, impl_->key(x, impl_->options.use_refiner ? refiner_scale : 0.0f, observer));
    NetworkOutput result;
    result.size = static_cast<int>(s);
    result.alpha = out.alpha.data<float>();
    result.fg = out.fg.data<float>();
    result.storage = out.alpha.owner();  // one (1, 4, S, S) map holds both
    if (out.fg.owner() != out.alpha.owner()) {
      return err(ErrorCode::kInternal, "run_network: alpha and fg are not one map");
    }
    return result;
  });
}

Result<KeyedFrame> Engine::key_frame(const ImageView& plate_view, const ImageView& hint_view,
                                     const FrameOptions& options, NetworkObserver* observer) {
  CK_TRY(validate_frame_options(options));
  return catching_bad_alloc("keying a frame", [&]() -> Result<KeyedFrame> {
    const std::lock_guard<std::mutex> lock(impl_->mutex);
    const BufferPool::Use pool(impl_->pool);
    const ThreadCountScope threads(impl_->options.threads);
    const auto t0 = std::chrono::steady_clock::now();
    StageClock clock;
    StageClock* steps = observer != nullptr ? &clock : nullptr;
    CK_ASSIGN(Planar plate, view_to_planar(plate_view, 0, 3, "plate"));
    // A plate of the other screen than the weights' goes through the network with green and
    // blue swapped. The finish (despill) works on a green screen's colours: a blue plate's
    // foreground is swapped into them before it, and every output swapped back after it.
    const bool blue = options.screen == ScreenColour::kBlue;
    const bool swap_network = options.screen != impl_->options.trained_screen;
    if (swap_network) std::swap_ranges(plate.plane(1), plate.plane(1) + plate.plane_size(), plate.plane(2));
    CK_ASSIGN(Planar hint, view_to_planar(hint_view, 0, 1, "hint"));
    lap(steps, "prepare.convert");
    KeyedFrame keyed;
    if (hint.width != plate.width || hint.height != plate.height) {
      keyed.warnings.push_back("hint is " + std::to_string(hint.width) + "x" + std::to_string(hint.height) +
                               ", the plate " + std::to_string(plate.width) + "x" + std::to_string(plate.height) +
                               ": hint resized to the plate (bilinear)");
      hint = resample(hint, plate.width, plate.height, ResampleFilter::kAntialiasedBilinear);
    }
    const int s = impl_->options.img_size;
    Tensor x;
    {  // the planes at S go once normalised (64 MiB at S = 2048, through the network otherwise)
      const Planar planes = prepare_network_planes(plate, hint, s, options.input_is_linear);
      lap(steps, "prepare.resize");
      CK_ASSIGN(x, normalise_network_input(planes));
      lap(steps, "prepare.normalise");
    }
    const float refiner_scale = impl_->options.use_refiner ? options.refiner_scale : 0.0f;
    const auto t1 = std::chrono::steady_clock::now();
    CK_ASSIGN(const GreenFormerOutput out, impl_->key(x, refiner_scale, observer));
    const auto t2 = std::chrono::steady_clock::now();

    const size_t plane = static_cast<size_t>(s) * s;
    keyed.size = s;
    keyed.plate_width = plate.width;
    keyed.plate_height = plate.height;
    keyed.screen = options.screen;
    keyed.alpha.assign(out.alpha.data<float>(), out.alpha.data<float>() + plane);
    keyed.fg.assign(out.fg.data<float>(), out.fg.data<float>() + 3 * plane);
    if (swap_network != blue) {
      std::swap_ranges(keyed.fg.begin() + static_cast<std::ptrdiff_t>(plane),
                       keyed.fg.begin() + static_cast<std::ptrdiff_t>(2 * plane),
                       keyed.fg.begin() + static_cast<std::ptrdiff_t>(2 * plane));
    }
    lap(steps, "network");
    if (observer != nullptr) {
      for (const auto& [stage, seconds] : clock.laps()) observer->on_stage_time(stage, seconds);
    }
    const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    keyed.prepare_s = seconds(t0, t1);
    keyed.network_s = seconds(t1, t2);
    return keyed;
  });
}

namespace {

// finish_keyed_frame on a keyed frame it may take apart (its planes move into the finish).
Result<FrameResult> finish_frame(KeyedFrame&& keyed, const FrameOptions& options, NetworkObserver* observer) {
  FrameOptions finish = options;
  finish.screen = keyed.screen;
  CK_TRY(validate_frame_options(finish));
  const size_t plane = static_cast<size_t>(keyed.size) * keyed.size;
  if (keyed.size <= 0 || keyed.alpha.size() != plane || keyed.fg.size() != 3 * plane || keyed.plate_width <= 0 ||
      keyed.plate_height <= 0) {
    return err(ErrorCode::kInvalidArgument, "finish_keyed_frame: the keyed frame is empty or inconsistent");
  }
  return catching_bad_alloc("finishing a frame", [&]() -> Result<FrameResult> {
    const auto t0 = std::chrono::steady_clock::now();
    StageClock clock;
    StageClock* steps = observer != nullptr ? &clock : nullptr;
    const Planar alpha_s{keyed.size, keyed.size, 1, std::move(keyed.alpha)};
    const Planar fg_s{keyed.size, keyed.size, 3, std::move(keyed.fg)};
    FrameResult r = postprocess_frame(alpha_s, fg_s, keyed.plate_width, keyed.plate_height, finish, steps);
    if (keyed.screen == ScreenColour::kBlue) {
      for (Image* image : {&r.fg, &r.processed, &r.comp}) swap_green_and_blue(*image);
    }
    if (observer != nullptr) {
      for (const auto& [stage, seconds] : clock.laps()) observer->on_stage_time(stage, seconds);
    }
    r.warnings = std::move(keyed.warnings);
    r.prepare_s = keyed.prepare_s;
    r.network_s = keyed.network_s;
    r.finish_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  });
}

}  // namespace

Result<FrameResult> finish_keyed_frame(const KeyedFrame& keyed, const FrameOptions& options,
                                       NetworkObserver* observer) {
  return catching_bad_alloc("finishing a frame", [&]() -> Result<FrameResult> {
    KeyedFrame copy = keyed;  // kept by the caller, to be finished again
    return finish_frame(std::move(copy), options, observer);
  });
}

Result<FrameResult> Engine::process_frame(const ImageView& plate, const ImageView& hint, const FrameOptions& options,
                                          NetworkObserver* observer) {
  CK_ASSIGN(KeyedFrame keyed, key_frame(plate, hint, options, observer));
  return finish_frame(std::move(keyed), options, observer);
}

}  // namespace ck
