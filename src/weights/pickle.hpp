// A restricted unpickler for PyTorch state dicts. It interprets the pickle opcodes as data
// only: containers, numbers, strings, and the few PyTorch globals a state dict is made of
// (OrderedDict, storage types, _rebuild_tensor_v2, _rebuild_parameter). Any other global, and
// every opcode that would instantiate an arbitrary object, is refused with an error naming it.
// Nothing is ever executed.
//
// Hostile input is bounded: containers nest at most kMaxNesting deep (a state dict needs 5),
// a container cannot be changed once it is inside another (which is what every reference
// cycle needs, so cycles are refused and values are a tree of shared parts), and the number
// of container slots is bounded by the size of the pickle.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/dtype.hpp"
#include "corridorkey/status.hpp"

namespace ck::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// A tensor as the pickle describes it; its bytes live in the archive's storage `key`.
struct TensorRef {
  std::string storage_key;
  DType dtype = DType::F32;
  int64_t storage_numel = 0;
  int64_t offset = 0;  // in elements
  std::vector<int64_t> size, stride;
};

inline constexpr int kMaxNesting = 100;

struct Value {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kBytes, kTuple, kList, kDict, kGlobal, kStorage, kTensor };
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;                                    // string, bytes, or "module.name" of a global
  std::vector<ValuePtr> items;                      // tuple / list
  std::vector<std::pair<ValuePtr, ValuePtr>> dict;  // insertion order kept
  TensorRef tensor;                                 // kStorage (key/dtype/numel) and kTensor
  int depth = 1;        // 1 + the deepest item's depth
  bool member = false;  // inside some container: no longer changed
};

// Parses a pickle byte string. `where` names the source in error messages.
Result<ValuePtr> unpickle(std::string_view bytes, const std::string& where);

}  // namespace ck::pickle
