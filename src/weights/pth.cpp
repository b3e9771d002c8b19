#include "weights/pth.hpp"

#include <cstring>
#include <map>

#include "core/checked_math.hpp"
#include "weights/pickle.hpp"
#include "weights/zip_archive.hpp"

namespace ck {

namespace {

using pickle::Value;
using pickle::ValuePtr;

// Copies the (possibly strided) tensor described by `ref` out of its storage bytes. Every
// size, stride and offset comes from the file: the highest element reached is computed with
// checked arithmetic and must lie inside the storage before any byte is touched.
Result<Tensor> materialise(const pickle::TensorRef& ref, const Tensor& storage, const std::string& where) {
  const auto bad = [&](const char* what) { return err(ErrorCode::kFormat, where, " ", what); };
  if (ref.offset < 0) return bad("has a negative storage offset");
  const auto numel = checked_numel(ref.size);
  if (!numel) return bad("has a negative or absurd size");
  int64_t max_index = ref.offset;
  for (size_t d = 0; d < ref.size.size(); ++d) {
    if (ref.stride[d] < 0) return bad("has a negative stride");
    if (ref.size[d] == 0) continue;
    const auto span = checked_mul(ref.size[d] - 1, ref.stride[d]);
    const auto reach = span ? checked_add(max_index, *span) : std::nullopt;
    if (!reach) return bad("has a size and stride that reach past any storage");
    max_index = *reach;
  }
  // Against the storage as read, not as this reference claims it.
  const int64_t storage_numel = storage.numel();
  if (*numel > 0 && max_index >= storage_numel) return bad("reaches past the end of its storage");
  if (*numel == 0 && ref.offset > storage_numel) return bad("starts past the end of its storage");
  const size_t es = dtype_size(ref.dtype);
  Tensor view = Tensor::wrap(static_cast<uint8_t*>(storage.raw()) + static_cast<size_t>(ref.offset) * es, ref.size,
                             ref.dtype, storage.owner(), ref.stride);
  // The usual case, a tensor that is its whole storage, shares the bytes instead of copying.
  if (ref.offset == 0 && *numel == storage_numel && view.is_contiguous()) return view;
  return view.clone();
}

}  // namespace

Result<StateDict> read_pth(const std::string& path) {
  CK_ASSIGN(std::unique_ptr<ZipArchive> zip, ZipArchive::open(path));
  std::string pkl_name;
  for (const auto& n : zip->names()) {
    if (n == "data.pkl" || (n.size() > 9 && n.compare(n.size() - 9, 9, "/data.pkl") == 0)) {
      pkl_name = n;
      break;
    }
  }
  if (pkl_name.empty()) {
    return err(ErrorCode::kFormat, "'", path, "' is a zip file without data.pkl: not a PyTorch checkpoint");
  }
  const std::string prefix = pkl_name.substr(0, pkl_name.size() - 8);  // "archive/"
  for (const auto& n : zip->names()) {
    if (n == prefix + "byteorder") {
      CK_ASSIGN(std::string order, zip->read_all(n));
      if (order != "little") return err(ErrorCode::kFormat, "'", path, "' stores ", order, "-endian tensors");
    }
  }
  // A state dict's pickle is tens of kB (the official checkpoint's: 40 kB); the cap keeps a
  // crafted entry size from reserving memory before its bytes are seen.
  constexpr uint64_t kMaxPickleBytes = 64ull << 20;
  CK_ASSIGN(const uint64_t pkl_size, zip->entry_size(pkl_name));
  if (pkl_size > kMaxPickleBytes) {
    return err(ErrorCode::kFormat, "'", path, "': ", pkl_name, " is ", pkl_size, " bytes, more than a state dict needs");
  }
  CK_ASSIGN(std::string pkl, zip->read_all(pkl_name));
  CK_ASSIGN(ValuePtr root, pickle::unpickle(pkl, "'" + path + "'"));
  if (root->kind != Value::Kind::kDict) {
    return err(ErrorCode::kFormat, "'", path, "' does not hold a dict of tensors (a whole pickled model?)");
  }
  ValuePtr dict = root;
  for (const auto& [k, v] : root->dict) {
    if (k->kind == Value::Kind::kString && k->s == "state_dict" && v->kind == Value::Kind::kDict) dict = v;
  }

  StateDict out;
  std::map<std::string, Tensor> storages;  // storage key -> bytes, read once even if shared
  for (const auto& [k, v] : dict->dict) {
    if (k->kind != Value::Kind::kString || v->kind != Value::Kind::kTensor) continue;  // e.g. "epoch": 12
    const pickle::TensorRef& ref = v->tensor;
    auto it = storages.find(ref.storage_key);
    if (it == storages.end()) {
      // The storage's size is checked against its archive entry before anything is allocated:
      // a few bytes of pickle must not reserve gigabytes.
      const std::string entry = prefix + "data/" + ref.storage_key;
      const auto need = checked_bytes(ref.storage_numel, dtype_size(ref.dtype));
      if (!need) return err(ErrorCode::kFormat, "'", path, "': storage ", ref.storage_key, " has an invalid size");
      CK_ASSIGN(const uint64_t have, zip->entry_size(entry));
      if (have < *need) {
        return err(ErrorCode::kFormat, "'", path, "': storage ", ref.storage_key, " holds ", have, " bytes, ", *need,
                   " needed");
      }
      CK_ASSIGN(Tensor bytes, Tensor::empty({ref.storage_numel}, ref.dtype));
      CK_TRY(zip->read(entry, bytes.raw(), bytes.nbytes()));
      it = storages.emplace(ref.storage_key, std::move(bytes)).first;
    } else if (it->second.dtype() != ref.dtype) {
      return err(ErrorCode::kFormat, "'", path, "': storage ", ref.storage_key, " is used with two dtypes");
    } else if (it->second.numel() != ref.storage_numel) {
      return err(ErrorCode::kFormat, "'", path, "': storage ", ref.storage_key, " is used with two sizes (",
                 it->second.numel(), " and ", ref.storage_numel, " elements)");
    }
    CK_ASSIGN(Tensor t, materialise(ref, it->second, "'" + path + "': tensor '" + k->s + "'"));
    out[k->s] = std::move(t);
  }
  if (out.empty()) return err(ErrorCode::kFormat, "'", path, "' holds no tensors");
  return out;
}

}  // namespace ck
