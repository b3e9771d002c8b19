#include "corridorkey/weights_files.hpp"

#include "core/checked_math.hpp"
#include "model/weight_spec.hpp"
#include "weights/checkpoint.hpp"
#include "weights/safetensors.hpp"

namespace ck {

Result<ConversionReport> convert_checkpoint(const std::string& input, const std::string& output) {
  if (input == output) return err(ErrorCode::kInvalidArgument, "input and output are the same file");
  CK_ASSIGN(const Checkpoint ck, load_checkpoint(input));
  auto cfg = infer_config(ck.tensors);
  if (!cfg.ok()) return err(ErrorCode::kFormat, "'", input, "': ", cfg.error().message);
  if (auto st = validate_state_dict(ck.tensors, *cfg); !st.ok()) {
    return err(ErrorCode::kFormat, "'", input, "': ", st.error().message);
  }
  const std::map<std::string, std::string> metadata{
      {"format", "pt"},
      {"corridorkey.source_layout", ck.layout == CheckpointLayout::kMlx ? "mlx" : "pytorch"},
      {"corridorkey.network", cfg->describe()}};
  CK_TRY(write_safetensors(output, ck.tensors, metadata));
  return ConversionReport{ck.tensors.size(), cfg->describe(), ck.format == CheckpointFormat::kPth,
                          ck.layout == CheckpointLayout::kMlx};
}

Status add_stage_tensors(OutputSet& set, const std::string& path, const std::vector<StageTensor>& tensors,
                         const std::map<std::string, std::string>& metadata) {
  StateDict dict;
  for (const StageTensor& t : tensors) {
    const auto numel = checked_numel(t.shape);
    if (!numel || *numel != static_cast<int64_t>(t.data.size())) {
      return err(ErrorCode::kInvalidArgument, "stage tensor '", t.name, "' has ", t.data.size(),
                 " values for shape ", shape_str(t.shape));
    }
    // Views of the caller's data: written, never changed.
    dict[t.name] = Tensor::wrap(const_cast<float*>(t.data.data()), t.shape, DType::F32, nullptr);
  }
  return add_safetensors(set, path, dict, metadata);
}

Result<std::vector<StageTensor>> read_stage_tensors(const std::string& path) {
  CK_ASSIGN(const SafetensorsFile file, read_safetensors(path));
  std::vector<StageTensor> out;
  for (const auto& [name, t] : file.tensors) {
    if (t.dtype() == DType::I64) continue;  // counters, not images
    CK_ASSIGN(const Tensor f32, t.to(DType::F32));
    out.push_back({name, f32.shape(), std::vector<float>(f32.data<float>(), f32.data<float>() + f32.numel())});
  }
  return out;
}

}  // namespace ck
