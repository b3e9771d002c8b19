#include <algorithm>
#include <cmath>
#include <cstdlib>
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

Result<std::string> resolve_checkpoint(const std::string& option) {
  if (!option.empty()) return option;
  const char* env = std::getenv("CORRIDORKEY_CHECKPOINT");
  if (env != nullptr && *env != '\0') return std::string(env);
  Result<std::string> cached = find_cached_weights();
  if (cached.ok()) return cached;
  return err(ErrorCode::kInvalidArgument,
             "no checkpoint: no --checkpoint, CORRIDORKEY_CHECKPOINT unset, and ", cached.error().message,
             "\nget the official weights with `corridorkey weights download`, or pass --checkpoint PATH");
}

void add_screen_option(CLI::App& cmd, std::string& target) {
  cmd.add_option("--screen-color", target, "the screen: auto (estimated from the plate), green or blue")
      ->check(CLI::IsMember({"auto", "green", "blue"}))
      ->capture_default_str();
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
