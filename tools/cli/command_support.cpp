#include <algorithm>
#include <cmath>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <exception>
#include <iostream>
#include <new>

#include "commands.hpp"
#include "corridorkey/pending_outputs.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/weights_download.hpp"

namespace ck::cli {

std::function<int()> exit_code_of(const char* name, std::function<Status()> run) {
  return [name, run = std::move(run)] {
    Status st = ok_status();
    try {
      st = run();
    } catch (const std::bad_alloc&) {
      st = err(ErrorCode::kOutOfMemory, "out of memory (a smaller --img-size or image needs less)");
    } catch (const std::exception& e) {
      st = err(ErrorCode::kInternal, "internal error: ", e.what());
    }
    if (st.ok()) return 0;
    remove_created_directories();
    std::cerr << "corridorkey " << name << ": " << st.error().message << "\n";
    return 1;
  };
}

std::string this_program() {
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  return n > 0 ? std::string(exe, static_cast<size_t>(n)) : "corridorkey";
}

namespace {

// The bundled demo model: relative to this program (an install, wherever its prefix was
// moved), in the source tree, or where `cmake --install` puts it.
std::vector<std::string> demo_model_candidates() {
  const std::filesystem::path prefix = std::filesystem::path(this_program()).parent_path().parent_path();
  return {(prefix / CK_DEMO_MODEL_RELATIVE).string(), CK_DEMO_MODEL_SOURCE, CK_DEMO_MODEL_INSTALLED};
}

Result<std::string> find_checkpoint(const std::string& option, std::string& origin) {
  if (!option.empty()) {
    origin = "--checkpoint";
    return option;
  }
  const char* env = std::getenv("CORRIDORKEY_CHECKPOINT");
  if (env != nullptr && *env != '\0') {
    origin = "CORRIDORKEY_CHECKPOINT";
    return std::string(env);
  }
  Result<std::string> cached = find_cached_weights();
  if (cached.ok()) {
    origin = "the weights cache";
    return cached;
  }
  std::string looked = cached.error().message;
  const char* no_demo = std::getenv("CORRIDORKEY_NO_DEMO");
  const bool demo_allowed = no_demo == nullptr || *no_demo == '\0' || std::string(no_demo) == "0";
  for (const std::string& demo : demo_allowed ? demo_model_candidates() : std::vector<std::string>{}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(demo, ec)) {
      origin = "the bundled demo model: it keys simple plates, it is not the official weights "
               "(`corridorkey weights download` gets those)";
      return demo;
    }
    looked += "\n  " + demo;
  }
  return err(ErrorCode::kInvalidArgument, "no checkpoint: no --checkpoint, CORRIDORKEY_CHECKPOINT unset, and ", looked,
             "\nget the official weights (CorridorKey_v1.0.pth, Hugging Face nikopueringer/CorridorKey_v1.0) with "
             "`corridorkey weights download`, or pass --checkpoint PATH");
}

}  // namespace

Result<std::string> resolve_checkpoint(const std::string& option) {
  std::string origin;
  CK_ASSIGN(std::string path, find_checkpoint(option, origin));
  if (option.empty()) std::cerr << "corridorkey: weights " << path << " (from " << origin << ")\n";
  return path;
}

void add_screen_option(CLI::App& cmd, std::string& screen) {
  cmd.add_option("--screen-color", screen, "the screen: auto (estimated from the plate), green or blue")
      ->check(CLI::IsMember({"auto", "green", "blue"}))
      ->capture_default_str();
}

void add_screen_options(CLI::App& cmd, std::string& screen, std::string& blue_checkpoint) {
  add_screen_option(cmd, screen);
  cmd.add_option("--blue-checkpoint", blue_checkpoint,
                 "weights of a blue-screen model, keying blue plates (default: $CORRIDORKEY_BLUE_CHECKPOINT; "
                 "without: blue plates go through the green weights with green and blue swapped)");
}

std::string resolve_blue_checkpoint(const std::string& option) {
  if (!option.empty()) return option;
  const char* env = std::getenv("CORRIDORKEY_BLUE_CHECKPOINT");
  return env != nullptr ? std::string(env) : std::string();
}

void report_memory_plan(const Engine& engine) {
  const EngineOptions& o = engine.options();
  if (o.max_memory_mib == 0 && o.refiner_band_rows == 0 && o.tile_size == 0) return;
  const EngineMemory m = engine.memory();
  std::cerr << "corridorkey: memory plan at S=" << (o.tile_size > 0 ? o.tile_size : o.img_size) << ": " << m.plan
            << "; weights " << (m.weight_bytes >> 20) << " MiB, a frame's tensors about "
            << (m.frame_bytes_estimate >> 20) << " MiB";
  if (o.tile_size > 0) std::cerr << "; tiled inference (an approximation), overlap " << o.tile_overlap;
  std::cerr << "\n";
}

Result<std::unique_ptr<Engine>> engine_for_screen(ScreenColour screen, const std::string& checkpoint,
                                                  const std::string& blue_checkpoint, EngineOptions options) {
  const bool blue = screen == ScreenColour::kBlue && !blue_checkpoint.empty();
  if (blue) {
    std::cerr << "corridorkey: blue plates keyed with the blue-screen weights " << blue_checkpoint << "\n";
    options.trained_screen = ScreenColour::kBlue;
  }
  CK_ASSIGN(auto engine, Engine::create(blue ? blue_checkpoint : checkpoint, options));
  release_free_heap_memory();  // the checkpoint's buffers, let go once the network holds its tensors
  report_memory_plan(*engine);
  return engine;
}

Result<FrameHint> hint_for_frame(const Image& plate, const std::string& hint_option, const std::string& screen_option,
                                 bool input_is_linear, const ReadOptions& limits, std::vector<std::string>& warnings) {
  const ScreenColour wanted = screen_colour_from_name(screen_option).value_or(ScreenColour::kAuto);
  FrameHint out;
  if (hint_option.empty() || hint_option == "auto") {
    HintOptions options;
    options.screen = wanted;
    options.input_is_linear = input_is_linear;
    CK_ASSIGN(AlphaHint made, make_alpha_hint(view_of(plate), options));
    out.hint = std::move(made.hint);
    out.screen = made.screen.colour;
    out.source = std::string("automatic (") + screen_colour_name(out.screen) + " screen)";
    return out;
  }
  CK_ASSIGN(out.hint, read_image(hint_option, limits));
  out.source = hint_option;
  // The plate's shape: a hint of another aspect is another shot's (a different size with the
  // same aspect is resized, as the original does).
  const double plate_aspect = static_cast<double>(plate.width) / plate.height;
  const double hint_aspect = static_cast<double>(out.hint.width) / out.hint.height;
  if (std::abs(plate_aspect / hint_aspect - 1.0) > 0.01) {
    return err(ErrorCode::kInvalidArgument, "hint '", hint_option, "' is ", out.hint.width, "x", out.hint.height,
               ", not the plate's shape (", plate.width, "x", plate.height, ")");
  }
  float brightest = 0;
  for (size_t i = 0; i < out.hint.pixels.size(); i += static_cast<size_t>(out.hint.channels)) {
    brightest = std::max(brightest, out.hint.pixels[i]);
  }
  if (brightest <= 0.0f) {
    return err(ErrorCode::kInvalidArgument, "hint '", hint_option,
               "' is empty (black everywhere): nothing marks the subject; draw one or use --hint auto");
  }
  if (wanted != ScreenColour::kAuto) {
    out.screen = wanted;
    return out;
  }
  Result<ScreenEstimate> screen = estimate_screen(view_of(plate), ScreenColour::kAuto, input_is_linear);
  if (screen.ok()) {
    out.screen = screen->colour;
  } else {
    warnings.push_back(screen.error().message + "; keyed as a green screen");
  }
  return out;
}

void add_engine_options(CLI::App& cmd, EngineOptions& target) {
  cmd.add_option("--img-size", target.img_size, "network resolution S, a multiple of 32 (trained at 2048)")
      ->capture_default_str();
  cmd.add_option("--backend", target.backend, "cpu (optimised) or ref (plain reference kernels, slow)")
      ->check(CLI::IsMember({"cpu", "ref"}))
      ->capture_default_str();
  cmd.add_option("--threads", target.threads, "CPU threads (default: OMP_NUM_THREADS, else all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option_function<std::string>(
         "--precision",
         [&target](const std::string& name) { target.precision = precision_from_name(name).value_or(Precision::kFP32); },
         "fp32 (default; matches PyTorch) or bf16 (faster on CPUs with AVX512-BF16; outputs within about 1e-2)")
      ->check(CLI::IsMember({"fp32", "bf16"}));
  cmd.add_option("--buffer-cache-mb", target.buffer_cache_mib,
                 "MiB of released buffers kept idle for the first frame and for outputs (default: 64); "
                 "later frames reuse one planned block of memory")
      ->check(CLI::Range(0, 1 << 20));
  cmd.add_option("--max-memory", target.max_memory_mib,
                 "MB the engine may hold (weights and a frame's tensors; libraries and images come on top): "
                 "the refiner then runs in bands of rows, recomputing what whole maps would keep (exact, "
                 "slower); an error says the least budget when none fits")
      ->check(CLI::Range(1, 1 << 24));
  cmd.add_option("--refiner-band-rows", target.refiner_band_rows,
                 "the refiner in bands of this many rows whatever --max-memory says (exact; for experiments)")
      ->check(CLI::Range(1, 1 << 16));
  cmd.add_option("--tile", target.tile_size,
                 "tiled inference, an approximation: the network at this size (a multiple of 32) on overlapping "
                 "tiles of the S x S input, blended; mattes differ from whole-frame inference")
      ->check(CLI::Range(32, 1 << 16));
  cmd.add_option("--tile-overlap", target.tile_overlap, "pixels shared by neighbouring tiles (default 64)")
      ->check(CLI::Range(0, 1 << 16));
}

Status check_engine_flags(const EngineOptions& o) {
  if (o.img_size <= 0 || o.img_size % 32 != 0) {
    return err(ErrorCode::kInvalidArgument, "--img-size ", o.img_size, " is not a positive multiple of 32");
  }
  return validate_engine_options(o);
}

void add_max_pixels_option(CLI::App& cmd, int64_t& target) {
  target = kDefaultMaxPixels;
  cmd.add_option("--max-pixels", target,
                 "largest image read, in pixels (width x height), checked before decoding; default 2^28 "
                 "(16384 x 16384)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace ck::cli
