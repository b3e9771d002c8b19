// The `corridorkey` command-line tool.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"corridorkey: native CorridorKey green-screen keying engine"};
  app.require_subcommand(1);
  std::function<int()> run;
  ck::cli::add_convert_command(app, run);
  ck::cli::add_infer_command(app, run);
  ck::cli::add_bench_command(app, run);
  ck::cli::add_process_command(app, run);
  ck::cli::install_interrupt_cleanup();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return run ? run() : 1;
}
