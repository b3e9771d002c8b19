// The safetensors format: 8-byte little-endian header length, a JSON header mapping names to
// {dtype, shape, data_offsets}, then the raw little-endian data. The reader memory-maps the
// file and validates everything before handing out views; it never reads past the file.
#pragma once

#include <map>
#include <string>

#include "corridorkey/output_set.hpp"
#include "corridorkey/status.hpp"
#include "weights/state_dict.hpp"

namespace ck {

struct SafetensorsFile {
  StateDict tensors;                            // views into the mapped file (copies if misaligned)
  std::map<std::string, std::string> metadata;  // the optional "__metadata__" entry
};

Result<SafetensorsFile> read_safetensors(const std::string& path);

// Writes every tensor (any layout; stored contiguous) atomically.
Status write_safetensors(const std::string& path, const StateDict& tensors,
                         const std::map<std::string, std::string>& metadata = {});
// The same as one file of a set that appears all together.
Status add_safetensors(OutputSet& set, const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace ck
