// Loading any checkpoint the project accepts into the canonical state dict: PyTorch names
// (no "_orig_mod." prefix, no "state_dict" wrapper, no num_batches_tracked) and PyTorch
// layouts (OIHW conv kernels, pos_embed as stored). Accepted inputs: an official PyTorch .pth,
// the project's safetensors, and the MLX port's safetensors (OHWI kernels, refiner.stem_conv /
// stem_gn names).
#pragma once

#include <string>
#include <vector>

#include "corridorkey/status.hpp"
#include "weights/state_dict.hpp"

namespace ck {

enum class CheckpointFormat { kPth, kSafetensors };
enum class CheckpointLayout { kPyTorch, kMlx };

struct Checkpoint {
  StateDict tensors;
  CheckpointFormat format = CheckpointFormat::kSafetensors;
  CheckpointLayout layout = CheckpointLayout::kPyTorch;
  std::map<std::string, std::string> metadata;  // safetensors metadata, when present
};

Result<Checkpoint> load_checkpoint(const std::string& path);

// The normalisation step on its own (exposed for tests).
Result<StateDict> normalise_state_dict(StateDict raw, CheckpointLayout* detected_layout);

}  // namespace ck
