#include "weights/checkpoint.hpp"

#include <cstdio>
#include <cstring>

#include "weights/pth.hpp"
#include "weights/safetensors.hpp"

namespace ck {

namespace {

constexpr std::string_view kCompiledPrefix = "_orig_mod.";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<std::string> read_magic(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return err(ErrorCode::kIo, "cannot open checkpoint '", path, "': ", std::strerror(errno));
  char buf[8] = {};
  const size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  return std::string(buf, n);
}

// MLX names the refiner stem's Sequential children; PyTorch numbers them.
std::string mlx_to_pytorch_name(const std::string& name) {
  for (const auto& [from, to] : {std::pair{"refiner.stem_conv.", "refiner.stem.0."}, {"refiner.stem_gn.", "refiner.stem.1."}}) {
    if (name.rfind(from, 0) == 0) return to + name.substr(std::strlen(from));
  }
  return name;
}

}  // namespace

Result<StateDict> normalise_state_dict(StateDict raw, CheckpointLayout* detected_layout) {
  bool mlx = false;
  for (const auto& [name, t] : raw) {
    if (name.find("refiner.stem_conv.") != std::string::npos || name.find("refiner.stem_gn.") != std::string::npos) {
      mlx = true;
    }
  }
  StateDict out;
  for (auto& [stored_name, t] : raw) {
    std::string name = stored_name;
    if (name.rfind(kCompiledPrefix, 0) == 0) name.erase(0, kCompiledPrefix.size());
    if (ends_with(name, ".num_batches_tracked")) continue;  // training counter, unused at inference
    if (mlx) {
      name = mlx_to_pytorch_name(name);
      if (t.dim() == 4) {  // every 4-d tensor of the network is a conv kernel: OHWI -> OIHW
        CK_ASSIGN(Tensor view, t.permute({0, 3, 1, 2}));
        CK_ASSIGN(t, view.contiguous());
      }
    }
    if (!out.emplace(name, std::move(t)).second) {
      return err(ErrorCode::kFormat, "tensor '", name, "' appears twice (with and without the _orig_mod. prefix?)");
    }
  }
  if (detected_layout) *detected_layout = mlx ? CheckpointLayout::kMlx : CheckpointLayout::kPyTorch;
  return out;
}

Result<Checkpoint> load_checkpoint(const std::string& path) {
  CK_ASSIGN(std::string magic, read_magic(path));
  Checkpoint ck;
  StateDict raw;
  if (magic.rfind("PK\x03\x04", 0) == 0) {
    ck.format = CheckpointFormat::kPth;
    CK_ASSIGN(raw, read_pth(path));
  } else if (magic.size() >= 2 && static_cast<uint8_t>(magic[0]) == 0x80 && magic[1] <= 5) {
    return err(ErrorCode::kFormat, "'", path,
               "' is a legacy (pre-1.6) PyTorch file; re-save it with torch.save from a current PyTorch");
  } else {
    ck.format = CheckpointFormat::kSafetensors;
    CK_ASSIGN(SafetensorsFile st, read_safetensors(path));
    raw = std::move(st.tensors);
    ck.metadata = std::move(st.metadata);
  }
  auto normalised = normalise_state_dict(std::move(raw), &ck.layout);
  if (!normalised.ok()) return err(ErrorCode::kFormat, "'", path, "': ", normalised.error().message);
  ck.tensors = std::move(normalised).value();
  return ck;
}

}  // namespace ck
