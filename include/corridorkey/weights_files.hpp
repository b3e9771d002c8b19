// Files of tensors: checkpoints converted to the project's safetensors, and the network's
// stage tensors written and read as safetensors (infer --dump-tensors, the parity tools).
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <map>
#include <string>
#include <vector>

#include "corridorkey/engine.hpp"
#include "corridorkey/output_set.hpp"
#include "corridorkey/status.hpp"

namespace ck {

struct ConversionReport {
  size_t tensors = 0;
  std::string network;           // e.g. "hiera base_plus, embed 112, ..." (the checked configuration)
  bool from_pth = false;         // else safetensors
  bool from_mlx_layout = false;  // the MLX port's names and kernel layout
};

// Reads any accepted checkpoint, checks every tensor's name and shape against the network,
// and writes it as safetensors with PyTorch names and layouts, values unchanged; atomically.
Result<ConversionReport> convert_checkpoint(const std::string& input, const std::string& output);

// Stage tensors (float32) as one safetensors file, as part of a set of outputs.
Status add_stage_tensors(OutputSet& set, const std::string& path, const std::vector<StageTensor>& tensors,
                         const std::map<std::string, std::string>& metadata = {});
// Every tensor of a safetensors file as float32 stage tensors (any stored float dtype).
Result<std::vector<StageTensor>> read_stage_tensors(const std::string& path);

// The SHA-256 of a file as 64 hex digits (weights in a run manifest, downloads).
Result<std::string> file_sha256(const std::string& path);

}  // namespace ck

#pragma GCC visibility pop
