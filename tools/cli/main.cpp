// The `corridorkey` command-line tool.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

#include "commands.hpp"
#include "corridorkey/frame_memory.hpp"

int main(int argc, char** argv) {
  CLI::App app{"corridorkey: native CorridorKey green-screen keying engine"};
  app.require_subcommand(1);
  std::function<int()> run;
  ck::cli::add_convert_command(app, run);
  ck::cli::add_infer_command(app, run);
  ck::cli::add_bench_command(app, run);
  ck::cli::add_process_command(app, run);
  ck::cli::add_doctor_command(app, run);
  ck::cli::add_verify_command(app, run);
  ck::cli::add_farm_command(app, run);
  ck::cli::add_weights_command(app, run);
  ck::cli::add_synth_command(app, run);
  ck::cli::add_hint_command(app, run);
  ck::cli::add_eval_command(app, run);
  ck::cli::add_serve_command(app, run);
  app.set_version_flag("--version", [] { return ck::cli::version_text(); }, "print the version, source revision and build options");
  ck::keep_frame_buffers_in_heap();  // frames reuse their buffers without page faults
  ck::cli::install_interrupt_cleanup();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A bad command line exits with 2 (help and --version with 0), as README documents.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return run ? run() : 1;
}
