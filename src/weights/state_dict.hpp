// A checkpoint's tensors by name, in sorted order.
#pragma once

#include <map>
#include <string>

#include "core/tensor.hpp"

namespace ck {
using StateDict = std::map<std::string, Tensor>;
}  // namespace ck
