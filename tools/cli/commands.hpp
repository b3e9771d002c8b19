// Sub-commands of the `corridorkey` tool; each registers its options and returns an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "core/status.hpp"
#include "model/precision.hpp"

namespace ck::cli {

// A sub-command's run as an exit code: 0, or 1 after printing "corridorkey NAME: <error>"
// (also for an allocation failure) and removing the empty folders the run created.
std::function<int()> exit_code_of(const char* name, std::function<Status()> run);

// Makes SIGINT, SIGTERM and SIGHUP remove unfinished outputs before the tool exits
// (interrupt_cleanup.cpp). Call first thing in main, before any thread is started.
void install_interrupt_cleanup();

// Adds `--max-pixels N`: the largest image (width x height) read from a file.
void add_max_pixels_option(CLI::App& cmd, int64_t& target);

// --checkpoint if given, else $CORRIDORKEY_CHECKPOINT, else an error saying where the
// official weights come from.
Result<std::string> resolve_checkpoint(const std::string& option);

// Adds `--precision fp32|bf16` to `cmd`, stored in `target` (default fp32).
void add_precision_option(CLI::App& cmd, Precision& target);
// Adds `--buffer-cache-mb N` (MiB of idle buffers kept for the first frame and outputs; -1, the default: 64).
void add_buffer_cache_option(CLI::App& cmd, int& target);

// Adds a sub-command to `app`; `run` is set to the function to call when it was chosen.
void add_convert_command(CLI::App& app, std::function<int()>& run);
void add_infer_command(CLI::App& app, std::function<int()>& run);
void add_bench_command(CLI::App& app, std::function<int()>& run);
void add_process_command(CLI::App& app, std::function<int()>& run);

}  // namespace ck::cli
