// corridorkey._corridorkey: the public C++ API for Python (nanobind). The Python package
// (python/corridorkey/__init__.py) builds the original engine's contract on top of it.
//
// Pixels come in without a copy when their rows are laid out as the engine reads them (pixels
// contiguous, any row stride); outputs leave as numpy arrays owning the engine's result
// buffers (no copy either). Keying releases the GIL, so Python threads key at once on engines
// of their own (an engine keys one frame at a time).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "corridorkey/engine.hpp"
#include "corridorkey/image_file.hpp"
#include "corridorkey/weights_download.hpp"

namespace nb = nanobind;

namespace {

using FloatArray = nb::ndarray<nb::numpy, float>;

// Engine errors as the Python exceptions a user expects: bad arguments ValueError, files
// OSError, the rest RuntimeError; the message is the engine's.
[[noreturn]] void raise(const ck::Error& e) {
  switch (e.code) {
    case ck::ErrorCode::kInvalidArgument: throw nb::value_error(e.message.c_str());
    case ck::ErrorCode::kNetwork:
    case ck::ErrorCode::kIo: {
      PyErr_SetString(PyExc_OSError, e.message.c_str());
      throw nb::python_error();
    }
    case ck::ErrorCode::kOutOfMemory: {
      PyErr_SetString(PyExc_MemoryError, e.message.c_str());
      throw nb::python_error();
    }
    default: throw std::runtime_error(e.message);
  }
}

template <class T>
T take(ck::Result<T> r) {
  if (!r.ok()) raise(r.error());
  return std::move(r).value();
}

// An interleaved H x W (x C) uint8/uint16/float32 array as the engine's view of it.
ck::ImageView view_of_array(const nb::ndarray<nb::ro, nb::device::cpu>& a, const char* what) {
  if (a.ndim() != 2 && a.ndim() != 3) {
    throw nb::value_error((std::string(what) + " must be H x W or H x W x C, not " + std::to_string(a.ndim()) +
                           "-dimensional").c_str());
  }
  ck::ImageView v;
  const nb::dlpack::dtype t = a.dtype();
  size_t item = 0;
  if (t == nb::dtype<uint8_t>()) {
    v.type = ck::PixelType::kU8;
    item = 1;
  } else if (t == nb::dtype<uint16_t>()) {
    v.type = ck::PixelType::kU16;
    item = 2;
  } else if (t == nb::dtype<float>()) {
    v.type = ck::PixelType::kF32;
    item = 4;
  } else {
    throw nb::value_error((std::string(what) + " must be uint8, uint16 or float32").c_str());
  }
  v.height = static_cast<int>(a.shape(0));
  v.width = static_cast<int>(a.shape(1));
  v.channels = a.ndim() == 3 ? static_cast<int>(a.shape(2)) : 1;
  // Strides are in elements: channels adjacent, pixels adjacent, rows anywhere after them.
  const int64_t channel_stride = a.ndim() == 3 ? a.stride(2) : 1;
  if ((v.channels > 1 && channel_stride != 1) || a.stride(1) != v.channels || a.stride(0) < v.width * v.channels) {
    throw nb::value_error((std::string(what) + ": pixels must be contiguous within rows (np.ascontiguousarray)").c_str());
  }
  v.row_stride_bytes = static_cast<size_t>(a.stride(0)) * item;
  v.data = a.data();
  return v;
}

// A result image as a numpy array that owns its pixels (moved, not copied).
FloatArray to_array(ck::Image&& image, bool drop_single_channel) {
  auto* owned = new std::vector<float>(std::move(image.pixels));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<float>*>(p); });
  const size_t h = static_cast<size_t>(image.height), w = static_cast<size_t>(image.width);
  if (drop_single_channel && image.channels == 1) {
    const size_t shape[2] = {h, w};
    return FloatArray(owned->data(), 2, shape, owner);
  }
  const size_t shape[3] = {h, w, static_cast<size_t>(image.channels)};
  return FloatArray(owned->data(), 3, shape, owner);
}

class PyEngine {
 public:
  PyEngine(const std::string& checkpoint, int img_size, const std::string& backend, int threads, bool use_refiner,
           const std::string& precision, int max_memory_mib, int tile_size, int tile_overlap) {
    ck::EngineOptions o;
    o.img_size = img_size;
    o.max_memory_mib = max_memory_mib;
    o.tile_size = tile_size;
    o.tile_overlap = tile_overlap;
    o.backend = backend;
    o.threads = threads;
    o.use_refiner = use_refiner;
    const auto p = ck::precision_from_name(precision);
    if (!p) throw nb::value_error(("precision '" + precision + "': choose fp32 or bf16").c_str());
    o.precision = *p;
    ck::Result<std::unique_ptr<ck::Engine>> created = not_run();
    {
      nb::gil_scoped_release release;
      created = checkpoint.empty() ? ck::Engine::create_with_generated_weights(o) : ck::Engine::create(checkpoint, o);
    }
    engine_ = take(std::move(created));
  }

  // (alpha H x W x 1, fg H x W x 3, processed H x W x 4, comp H x W x 3 or empty), float32.
  nb::tuple process(const nb::ndarray<nb::ro, nb::device::cpu>& plate, const nb::ndarray<nb::ro, nb::device::cpu>& hint,
                    float refiner_scale, bool input_is_linear, float despill_strength, bool auto_despeckle,
                    int despeckle_size, bool generate_comp) {
    const ck::ImageView pv = view_of_array(plate, "image"), hv = view_of_array(hint, "mask");
    ck::FrameOptions f;
    f.refiner_scale = refiner_scale;
    f.input_is_linear = input_is_linear;
    f.despill_strength = despill_strength;
    f.auto_despeckle = auto_despeckle;
    f.despeckle_size = despeckle_size;
    f.generate_comp = generate_comp;
    ck::Result<ck::FrameResult> keyed = not_run();
    {
      nb::gil_scoped_release release;
      keyed = engine_->process_frame(pv, hv, f);
    }
    ck::FrameResult r = take(std::move(keyed));
    std::vector<std::string> warnings = std::move(r.warnings);
    nb::object comp = generate_comp ? nb::cast(to_array(std::move(r.comp), false)) : nb::none();
    return nb::make_tuple(nb::cast(to_array(std::move(r.alpha), false)), nb::cast(to_array(std::move(r.fg), false)),
                          nb::cast(to_array(std::move(r.processed), false)), comp, nb::cast(warnings));
  }

  int img_size() const { return engine_->img_size(); }

 private:
  static ck::Error not_run() { return ck::Error{ck::ErrorCode::kInternal, "not run"}; }
  std::unique_ptr<ck::Engine> engine_;
};

FloatArray read_image_array(const std::string& path) {
  ck::Result<ck::Image> r = ck::Error{ck::ErrorCode::kInternal, "not run"};
  {
    nb::gil_scoped_release release;
    r = ck::read_image(path);
  }
  return to_array(take(std::move(r)), true);
}

void write_image_array(const std::string& path, const nb::ndarray<float, nb::ro, nb::device::cpu, nb::c_contig>& a,
                       const std::string& sample_format) {
  if (a.ndim() != 2 && a.ndim() != 3) throw nb::value_error("image must be H x W or H x W x C");
  ck::Image image;
  image.height = static_cast<int>(a.shape(0));
  image.width = static_cast<int>(a.shape(1));
  image.channels = a.ndim() == 3 ? static_cast<int>(a.shape(2)) : 1;
  image.pixels.assign(a.data(), a.data() + a.size());
  ck::WriteOptions o;
  if (sample_format == "uint8") o.format = ck::SampleFormat::kUint8;
  else if (sample_format == "uint16") o.format = ck::SampleFormat::kUint16;
  else if (sample_format == "half") o.format = ck::SampleFormat::kHalf;
  else if (sample_format == "float") o.format = ck::SampleFormat::kFloat;
  else throw nb::value_error("format must be uint8, uint16, half or float");
  ck::Status st = ck::ok_status();
  {
    nb::gil_scoped_release release;
    st = ck::write_image(path, image, o);
  }
  if (!st.ok()) raise(st.error());
}

// The weights in the per-user cache, downloading them (verified) if they are not there yet,
// without the GIL; warnings (no published checksum) become Python UserWarnings afterwards.
std::string download_weights_to_cache(const std::string& name, const std::string& url, const std::string& cache_dir,
                                      bool force) {
  const ck::WeightsAsset asset = take(url.empty() ? ck::find_known_weights(name) : ck::weights_at_url(url));
  ck::DownloadOptions options;
  options.cache_dir = cache_dir;
  options.force = force;
  std::vector<std::string> warnings;
  options.warn = [&warnings](const std::string& w) { warnings.push_back(w); };
  ck::Result<ck::DownloadResult> downloaded = ck::err(ck::ErrorCode::kInternal, "not downloaded");
  {
    nb::gil_scoped_release release;  // a download takes minutes; other Python threads go on
    downloaded = ck::download_weights(asset, options);
  }
  std::string path = take(std::move(downloaded)).path;
  for (const std::string& w : warnings) {
    if (PyErr_WarnEx(PyExc_UserWarning, w.c_str(), 1) != 0) throw nb::python_error();  // warnings as errors
  }
  return path;
}

std::optional<std::string> cached_weights() {
  ck::Result<std::string> found = ck::find_cached_weights();
  return found.ok() ? std::optional(found.value()) : std::nullopt;
}

}  // namespace

NB_MODULE(_corridorkey, m) {
  m.doc() = "The corridorkey-cpp engine (use the corridorkey package, not this module)";
  m.attr("__version__") = CK_VERSION;
  nb::class_<PyEngine>(m, "Engine")
      .def(nb::init<const std::string&, int, const std::string&, int, bool, const std::string&, int, int, int>(),
           nb::arg("checkpoint"), nb::arg("img_size"), nb::arg("backend"), nb::arg("threads"), nb::arg("use_refiner"),
           nb::arg("precision"), nb::arg("max_memory_mib"), nb::arg("tile_size"), nb::arg("tile_overlap"))
      .def("process", &PyEngine::process, nb::arg("plate"), nb::arg("hint"), nb::arg("refiner_scale"),
           nb::arg("input_is_linear"), nb::arg("despill_strength"), nb::arg("auto_despeckle"),
           nb::arg("despeckle_size"), nb::arg("generate_comp"))
      .def_prop_ro("img_size", &PyEngine::img_size);
  m.def("read_image", &read_image_array, nb::arg("path"),
        "An image file as float32 H x W x C (H x W for one channel): integers scaled to [0, 1], floats as stored");
  m.def("write_image", &write_image_array, nb::arg("path"), nb::arg("image"), nb::arg("format") = "uint8",
        "Writes float32 H x W (x C) pixels; the format from the extension, samples uint8, uint16, half or float");
  m.def("download_weights", &download_weights_to_cache, nb::arg("name"), nb::arg("url"), nb::arg("cache_dir"),
        nb::arg("force"), "Downloads weights into the cache (verified, resumed) unless there; returns the path");
  m.def("cached_weights", &cached_weights, "The cached weights a run uses when none are named, or None");
}
