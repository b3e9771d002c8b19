// Sub-commands of the `corridorkey` tool; each registers its options and returns an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace ck::cli {

// Adds a sub-command to `app`; `run` is set to the function to call when it was chosen.
void add_convert_command(CLI::App& app, std::function<int()>& run);
void add_infer_command(CLI::App& app, std::function<int()>& run);
void add_bench_command(CLI::App& app, std::function<int()>& run);

}  // namespace ck::cli
