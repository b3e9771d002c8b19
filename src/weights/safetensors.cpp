#include "weights/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "corridorkey/output_set.hpp"
#include "weights/mapped_file.hpp"

namespace ck {

namespace {

using json = nlohmann::json;
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

Result<Entry> parse_entry(const std::string& file, const std::string& name, const json& v, uint64_t data_size) {
  auto bad = [&](const std::string& what) {
    return err(ErrorCode::kFormat, "'", file, "': tensor '", name, "' ", what);
  };
  if (!v.is_object()) return bad("is not described by a JSON object");
  if (!v.contains("dtype") || !v["dtype"].is_string()) return bad("has no dtype");
  const auto dt = dtype_from_name(v["dtype"].get<std::string>());
  if (!dt) return bad("has unsupported dtype " + v["dtype"].get<std::string>() + " (F32, F16, BF16, I64 are read)");
  if (!v.contains("shape") || !v["shape"].is_array()) return bad("has no shape");
  if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2) {
    return bad("has no [begin, end] data_offsets");
  }
  Entry e{name, *dt, {}, 0, 0};
  uint64_t numel = 1;
  for (const auto& d : v["shape"]) {
    if (!d.is_number_unsigned()) return bad("has a negative or non-integer dimension");
    const auto n = d.get<uint64_t>();
    if (n != 0 && numel > std::numeric_limits<uint64_t>::max() / 8 / n) return bad("has an absurd shape");
    numel *= n;
    e.shape.push_back(static_cast<int64_t>(n));
  }
  const auto& off = v["data_offsets"];
  if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) return bad("has invalid data_offsets");
  e.begin = off[0].get<uint64_t>();
  e.end = off[1].get<uint64_t>();
  if (e.begin > e.end || e.end > data_size) {
    return bad("has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
               "] outside the data section of " + std::to_string(data_size) + " bytes (truncated file?)");
  }
  if (e.end - e.begin != numel * dtype_size(e.dtype)) {
    return bad("holds " + std::to_string(e.end - e.begin) + " bytes but its shape " + shape_str(e.shape) + " needs " +
               std::to_string(numel * dtype_size(e.dtype)));
  }
  return e;
}

}  // namespace

Result<SafetensorsFile> read_safetensors(const std::string& path) {
  CK_ASSIGN(std::shared_ptr<MappedFile> file, MappedFile::open(path));
  const size_t size = file->size();
  if (size < 8) return err(ErrorCode::kFormat, "'", path, "' is too short to be a safetensors file");
  uint64_t header_len = 0;
  std::memcpy(&header_len, file->data(), 8);
  if (header_len > kMaxHeaderBytes || header_len > size - 8) {
    return err(ErrorCode::kFormat, "'", path, "': header length ", header_len, " exceeds the file (", size,
               " bytes); not a safetensors file or truncated");
  }
  const char* hbegin = reinterpret_cast<const char*>(file->data() + 8);
  const json header = json::parse(hbegin, hbegin + header_len, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return err(ErrorCode::kFormat, "'", path, "': header is not a valid JSON object");
  }
  const uint64_t data_offset = 8 + header_len;
  const uint64_t data_size = size - data_offset;

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) return err(ErrorCode::kFormat, "'", path, "': __metadata__ is not an object");
      for (const auto& [k, s] : v.items()) {
        if (!s.is_string()) return err(ErrorCode::kFormat, "'", path, "': metadata value '", k, "' is not a string");
        out.metadata[k] = s.get<std::string>();
      }
      continue;
    }
    CK_ASSIGN(Entry e, parse_entry(path, name, v, data_size));
    entries.push_back(std::move(e));
  }
  // The tensors must tile the data section exactly, as the format requires: overlapping
  // ranges mean a corrupt or crafted header, and a gap or uncovered tail means the header and
  // the data disagree (a header length one short shifts every tensor by a byte).
  std::vector<const Entry*> by_offset;
  for (const auto& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < by_offset.size(); ++i) {
    const Entry& e = *by_offset[i];
    if (e.begin < covered) {
      return err(ErrorCode::kFormat, "'", path, "': tensors '", by_offset[i - 1]->name, "' and '", e.name, "' overlap");
    }
    if (e.begin > covered) {
      return err(ErrorCode::kFormat, "'", path, "': bytes ", covered, " to ", e.begin,
                 " of the data section belong to no tensor (header and data disagree)");
    }
    covered = e.end;
  }
  if (covered != data_size) {
    return err(ErrorCode::kFormat, "'", path, "': the tensors cover ", covered, " of the data section's ", data_size,
               " bytes (header and data disagree, or trailing bytes)");
  }
  for (const auto& e : entries) {
    const uint8_t* p = file->data() + data_offset + e.begin;
    if (reinterpret_cast<uintptr_t>(p) % dtype_size(e.dtype) == 0) {
      out.tensors[e.name] = Tensor::wrap(const_cast<uint8_t*>(p), e.shape, e.dtype, file);
    } else {  // unaligned data section: copy rather than hand kernels misaligned floats
      CK_ASSIGN(Tensor t, Tensor::empty(e.shape, e.dtype));
      std::memcpy(t.raw(), p, t.nbytes());
      out.tensors[e.name] = std::move(t);
    }
  }
  return out;
}

Status write_safetensors(const std::string& path, const StateDict& tensors,
                         const std::map<std::string, std::string>& metadata) {
  OutputSet set;
  CK_TRY(add_safetensors(set, path, tensors, metadata));
  return set.commit();
}

Status add_safetensors(OutputSet& set, const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::vector<Tensor> contiguous;
  for (const auto& [name, t] : tensors) {
    CK_ASSIGN(Tensor c, t.contiguous());
    header[name] = {{"dtype", std::string(dtype_name(c.dtype()))},
                    {"shape", c.shape()},
                    {"data_offsets", {offset, offset + c.nbytes()}}};
    offset += c.nbytes();
    contiguous.push_back(std::move(c));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
  return set.add(path, [&](FileSink& out) -> Status {
    const uint64_t len = text.size();
    CK_TRY(out.write(&len, 8));
    CK_TRY(out.write(text.data(), text.size()));
    for (const Tensor& c : contiguous) CK_TRY(out.write(c.raw(), c.nbytes()));
    return ok_status();
  });
}

}  // namespace ck
