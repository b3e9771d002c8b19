// corridorkey convert IN OUT.safetensors: any accepted checkpoint to the project's safetensors,
// PyTorch names and layouts, values unchanged, after checking it against the network.
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "corridorkey/weights_files.hpp"

namespace ck::cli {

namespace {

struct ConvertOptions {
  std::string input, output;
};

Status run_conversion(const ConvertOptions& o) {
  CK_ASSIGN(const ConversionReport report, convert_checkpoint(o.input, o.output));
  std::cout << "wrote " << o.output << ": " << report.tensors << " tensors (" << report.network << ") from "
            << (report.from_pth ? "PyTorch .pth" : "safetensors")
            << (report.from_mlx_layout ? " in the MLX port's layout" : "") << "\n";
  return ok_status();
}

}  // namespace

void add_convert_command(CLI::App& app, std::function<int()>& run) {
  auto opts = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a checkpoint (.pth, safetensors, MLX-port safetensors) to the engine's safetensors");
  cmd->add_option("input", opts->input, "checkpoint to read")->required()->check(CLI::ExistingFile);
  cmd->add_option("output", opts->output, "safetensors file to write")->required();
  cmd->callback([opts, &run] { run = exit_code_of("convert", [opts] { return run_conversion(*opts); }); });
}

}  // namespace ck::cli
