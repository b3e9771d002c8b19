// PyTorch .pth checkpoints (the zip format of torch.save since PyTorch 1.6): archive/data.pkl
// holds the pickled structure, archive/data/<key> the raw storages.
#pragma once

#include <string>

#include "corridorkey/status.hpp"
#include "weights/state_dict.hpp"

namespace ck {

// Reads every tensor of the checkpoint's state dict (the top-level dict, or its "state_dict"
// entry when present). Keys are returned as stored; normalisation happens in checkpoint.hpp.
Result<StateDict> read_pth(const std::string& path);

}  // namespace ck
