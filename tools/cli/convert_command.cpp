// corridorkey convert IN OUT.safetensors: any accepted checkpoint to the project's safetensors,
// PyTorch names and layouts, values unchanged, after checking it against the network.
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "model/weight_spec.hpp"
#include "weights/checkpoint.hpp"
#include "weights/safetensors.hpp"

namespace ck::cli {

namespace {

struct ConvertOptions {
  std::string input, output;
};

int run_convert(const ConvertOptions& o) {
  auto fail = [](const Error& e) {
    std::cerr << "corridorkey convert: " << e.message << "\n";
    return 1;
  };
  if (o.input == o.output) return fail(make_error(ErrorCode::kInvalidArgument, "input and output are the same file"));
  auto ck = load_checkpoint(o.input);
  if (!ck.ok()) return fail(ck.error());
  auto cfg = infer_config(ck->tensors);
  if (!cfg.ok()) return fail(err(ErrorCode::kFormat, "'", o.input, "': ", cfg.error().message));
  if (auto st = validate_state_dict(ck->tensors, *cfg); !st.ok()) {
    return fail(err(ErrorCode::kFormat, "'", o.input, "': ", st.error().message));
  }
  const std::map<std::string, std::string> metadata{
      {"format", "pt"},
      {"corridorkey.source_layout", ck->layout == CheckpointLayout::kMlx ? "mlx" : "pytorch"},
      {"corridorkey.network", cfg->describe()}};
  if (auto st = write_safetensors(o.output, ck->tensors, metadata); !st.ok()) return fail(st.error());
  std::cout << "wrote " << o.output << ": " << ck->tensors.size() << " tensors (" << cfg->describe() << ") from "
            << (ck->format == CheckpointFormat::kPth ? "PyTorch .pth" : "safetensors")
            << (ck->layout == CheckpointLayout::kMlx ? " in the MLX port's layout" : "") << "\n";
  return 0;
}

}  // namespace

void add_convert_command(CLI::App& app, std::function<int()>& run) {
  auto opts = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a checkpoint (.pth, safetensors, MLX-port safetensors) to the engine's safetensors");
  cmd->add_option("input", opts->input, "checkpoint to read")->required()->check(CLI::ExistingFile);
  cmd->add_option("output", opts->output, "safetensors file to write")->required();
  cmd->callback([opts, &run] { run = [opts] { return run_convert(*opts); }; });
}

}  // namespace ck::cli
