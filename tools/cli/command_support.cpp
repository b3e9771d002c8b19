#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>

#include "commands.hpp"
#include "core/pending_outputs.hpp"
#include "io/image_file.hpp"

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
  return err(ErrorCode::kInvalidArgument,
             "no checkpoint: pass --checkpoint PATH or set CORRIDORKEY_CHECKPOINT (the official weights are "
             "CorridorKey_v1.0.pth from the Hugging Face repository nikopueringer/CorridorKey_v1.0)");
}

void add_precision_option(CLI::App& cmd, Precision& target) {
  cmd.add_option_function<std::string>(
         "--precision",
         [&target](const std::string& name) { target = precision_from_name(name).value_or(Precision::kFP32); },
         "fp32 (default; matches PyTorch) or bf16 (faster on CPUs with AVX512-BF16; outputs within about 1e-2)")
      ->check(CLI::IsMember({"fp32", "bf16"}));
}

void add_buffer_cache_option(CLI::App& cmd, int& target) {
  cmd.add_option("--buffer-cache-mb", target,
                 "MiB of released buffers kept idle for the first frame and for outputs (default: 64); "
                 "later frames reuse one planned block of memory")
      ->check(CLI::Range(0, 1 << 20));
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
