#include "corridorkey/precision.hpp"

namespace ck {

std::string_view precision_name(Precision p) { return p == Precision::kBF16 ? "bf16" : "fp32"; }

std::optional<Precision> precision_from_name(std::string_view name) {
  if (name == "fp32") return Precision::kFP32;
  if (name == "bf16") return Precision::kBF16;
  return std::nullopt;
}

}  // namespace ck
