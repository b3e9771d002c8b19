// Sub-commands of the `corridorkey` tool; each registers its options and returns an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "corridorkey/status.hpp"
#include "corridorkey/alpha_hint.hpp"
#include "corridorkey/engine.hpp"
#include "corridorkey/frame_memory.hpp"
#include "corridorkey/image_file.hpp"

namespace ck::cli {

// A sub-command's run as an exit code: 0, or 1 after printing "corridorkey NAME: <error>"
// (also for an allocation failure) and removing the empty folders the run created.
std::function<int()> exit_code_of(const char* name, std::function<Status()> run);

// Makes SIGINT, SIGTERM and SIGHUP remove unfinished outputs before the tool exits
// (interrupt_cleanup.cpp). Call first thing in main, before any thread is started.
void install_interrupt_cleanup();

// The running program's path (/proc/self/exe), or "corridorkey" when it cannot be read.
std::string this_program();

// Adds `--max-pixels N`: the largest image (width x height) read from a file.
void add_max_pixels_option(CLI::App& cmd, int64_t& target);

// --checkpoint if given, else $CORRIDORKEY_CHECKPOINT, else weights in the download cache,
// else the bundled demo model, else an error saying where it looked and how to download the
// official weights. Which one is used (when not --checkpoint) is said on stderr.
Result<std::string> resolve_checkpoint(const std::string& option);

// One frame's hint and screen: the hint file named (checked: readable, the plate's shape, not
// all black), or, when `hint_option` is empty or "auto", one made from the plate; the screen
// as named, or estimated from the plate for "auto". Warnings go to `warnings`.
struct FrameHint {
  Image hint;
  ScreenColour screen = ScreenColour::kGreen;
  std::string source;  // the file, or "automatic (green screen)"
};
Result<FrameHint> hint_for_frame(const Image& plate, const std::string& hint_option, const std::string& screen_option,
                                 bool input_is_linear, const ReadOptions& limits, std::vector<std::string>& warnings);
// Adds --screen-color auto|green|blue; add_screen_options adds --blue-checkpoint too.
void add_screen_option(CLI::App& cmd, std::string& screen);
void add_screen_options(CLI::App& cmd, std::string& screen, std::string& blue_checkpoint);
// --blue-checkpoint, else $CORRIDORKEY_BLUE_CHECKPOINT, else "" (blue plates go through the
// green weights with green and blue swapped).
std::string resolve_blue_checkpoint(const std::string& option);
// Says the engine's memory plan on stderr when one was asked for (a budget, bands, tiles).
void report_memory_plan(const Engine& engine);
// An engine for `screen`: from the blue-screen weights when the screen is blue and some are
// given, else from `checkpoint`; its memory plan reported.
Result<std::unique_ptr<Engine>> engine_for_screen(ScreenColour screen, const std::string& checkpoint,
                                                  const std::string& blue_checkpoint, EngineOptions options);

// Adds the engine's options, shared by every command that builds an engine, with the
// engine's defaults: --img-size, --backend, --threads, --precision, --buffer-cache-mb.
void add_engine_options(CLI::App& cmd, EngineOptions& target);
// The engine options checked, with messages naming the command-line flags.
Status check_engine_flags(const EngineOptions& options);

// Adds a sub-command to `app`; `run` is set to the function to call when it was chosen.
void add_convert_command(CLI::App& app, std::function<int()>& run);
void add_infer_command(CLI::App& app, std::function<int()>& run);
void add_bench_command(CLI::App& app, std::function<int()>& run);
void add_process_command(CLI::App& app, std::function<int()>& run);
void add_doctor_command(CLI::App& app, std::function<int()>& run);
void add_verify_command(CLI::App& app, std::function<int()>& run);
void add_farm_command(CLI::App& app, std::function<int()>& run);
void add_weights_command(CLI::App& app, std::function<int()>& run);
void add_synth_command(CLI::App& app, std::function<int()>& run);
void add_eval_command(CLI::App& app, std::function<int()>& run);
void add_hint_command(CLI::App& app, std::function<int()>& run);
void add_serve_command(CLI::App& app, std::function<int()>& run);

// `corridorkey --version`: version, source revision and build options.
std::string version_text();

}  // namespace ck::cli
