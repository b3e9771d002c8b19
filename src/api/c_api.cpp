// The C interface over ck::Engine: converts types, catches everything, keeps the last error.
#include "corridorkey/corridorkey.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "corridorkey/engine.hpp"
#include "corridorkey/image.hpp"

struct ck_engine {
  std::unique_ptr<ck::Engine> engine;
};

namespace {

thread_local std::string g_last_error;

ck_status to_status(ck::ErrorCode code) {
  switch (code) {
    case ck::ErrorCode::kInvalidArgument: return CK_ERROR_INVALID_ARGUMENT;
    case ck::ErrorCode::kUnsupported: return CK_ERROR_UNSUPPORTED;
    case ck::ErrorCode::kIo: return CK_ERROR_IO;
    case ck::ErrorCode::kFormat: return CK_ERROR_FORMAT;
    case ck::ErrorCode::kOutOfMemory: return CK_ERROR_OUT_OF_MEMORY;
    case ck::ErrorCode::kInternal: return CK_ERROR_INTERNAL;
    case ck::ErrorCode::kNetwork: return CK_ERROR_NETWORK;
    case ck::ErrorCode::kCancelled: return CK_ERROR_CANCELLED;
  }
  return CK_ERROR_INTERNAL;
}

ck_status fail(ck_status status, std::string message) {
  g_last_error = std::move(message);
  return status;
}

ck_status fail(const ck::Error& e) { return fail(to_status(e.code), e.message); }

// Runs `fn`, turning exceptions into statuses: nothing crosses the C boundary.
template <class Fn>
ck_status guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return fail(CK_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(CK_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(CK_ERROR_INTERNAL, "internal error");
  }
}

// An enum field as the integer the caller stored. C lets any int into an enum object, but in
// C++ reading a value outside the enum's range is undefined: the bytes are read instead.
template <class Enum>
int enum_value(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(int), "C enums are int-sized");
  int v;
  std::memcpy(&v, &field, sizeof v);
  return v;
}

ck::Result<ck::ImageView> to_view(const ck_image& img, const char* what) {
  ck::ImageView v;
  v.data = img.data;
  v.width = img.width;
  v.height = img.height;
  v.channels = img.channels;
  switch (enum_value(img.type)) {
    case CK_PIXEL_U8: v.type = ck::PixelType::kU8; break;
    case CK_PIXEL_U16: v.type = ck::PixelType::kU16; break;
    case CK_PIXEL_F32: v.type = ck::PixelType::kF32; break;
    default:
      return ck::err(ck::ErrorCode::kInvalidArgument, "ck_engine_process_frame: ", what, " pixel type ",
                     enum_value(img.type), " is not CK_PIXEL_U8, CK_PIXEL_U16 or CK_PIXEL_F32");
  }
  v.row_stride_bytes = img.row_stride_bytes;
  return v;
}

float* copy_out(const ck::Image& img) {
  if (img.pixels.empty()) return nullptr;
  auto* p = static_cast<float*>(std::malloc(img.pixels.size() * sizeof(float)));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, img.pixels.data(), img.pixels.size() * sizeof(float));
  return p;
}

}  // namespace

extern "C" {

ck_engine_params ck_engine_default_params(void) {
  const ck::EngineOptions d;
  return {d.img_size, d.threads, d.use_refiner ? 1 : 0,
          d.precision == ck::Precision::kBF16 ? CK_PRECISION_BF16 : CK_PRECISION_FP32, d.buffer_cache_mib,
          nullptr,     d.max_memory_mib, d.tile_size, d.tile_overlap};
}

ck_frame_params ck_frame_default_params(void) {
  const ck::FrameOptions d;
  return {d.refiner_scale, d.input_is_linear ? 1 : 0, d.despill_strength, d.auto_despeckle ? 1 : 0,
          d.despeckle_size, d.generate_comp ? 1 : 0};
}

ck_status ck_engine_create(const char* checkpoint_path, const ck_engine_params* params, ck_engine** out_engine) {
  return guarded([&] {
    if (out_engine == nullptr) return fail(CK_ERROR_INVALID_ARGUMENT, "ck_engine_create: out_engine is NULL");
    *out_engine = nullptr;
    if (checkpoint_path == nullptr) return fail(CK_ERROR_INVALID_ARGUMENT, "ck_engine_create: checkpoint_path is NULL");
    const ck_engine_params p = params ? *params : ck_engine_default_params();
    ck::EngineOptions o;
    o.img_size = p.img_size;
    o.threads = p.threads;
    o.use_refiner = p.use_refiner != 0;
    const int precision = enum_value(p.precision);
    if (precision != CK_PRECISION_FP32 && precision != CK_PRECISION_BF16) {
      return fail(CK_ERROR_INVALID_ARGUMENT, "ck_engine_create: precision " + std::to_string(precision) +
                                                 " is neither CK_PRECISION_FP32 nor CK_PRECISION_BF16");
    }
    o.precision = precision == CK_PRECISION_BF16 ? ck::Precision::kBF16 : ck::Precision::kFP32;
    o.buffer_cache_mib = p.buffer_cache_mib;
    if (p.backend != nullptr) o.backend = p.backend;
    o.max_memory_mib = p.max_memory_mib;
    o.tile_size = p.tile_size;
    o.tile_overlap = p.tile_overlap;
    auto engine = ck::Engine::create(checkpoint_path, o);
    if (!engine.ok()) return fail(engine.error());
    *out_engine = new ck_engine{std::move(engine).value()};
    return CK_OK;
  });
}

void ck_engine_free(ck_engine* engine) { delete engine; }

ck_status ck_engine_process_frame(ck_engine* engine, const ck_image* plate, const ck_image* hint,
                                  const ck_frame_params* params, ck_frame_result* out) {
  return guarded([&] {
    if (out == nullptr) return fail(CK_ERROR_INVALID_ARGUMENT, "ck_engine_process_frame: out is NULL");
    std::memset(out, 0, sizeof *out);
    if (engine == nullptr || plate == nullptr || hint == nullptr) {
      return fail(CK_ERROR_INVALID_ARGUMENT, "ck_engine_process_frame: engine, plate and hint must not be NULL");
    }
    const ck_frame_params p = params ? *params : ck_frame_default_params();
    ck::FrameOptions o;
    o.refiner_scale = p.refiner_scale;
    o.input_is_linear = p.input_is_linear != 0;
    o.despill_strength = p.despill_strength;
    o.auto_despeckle = p.auto_despeckle != 0;
    o.despeckle_size = p.despeckle_size;
    o.generate_comp = p.generate_comp != 0;
    const auto plate_view = to_view(*plate, "plate");
    if (!plate_view.ok()) return fail(plate_view.error());
    const auto hint_view = to_view(*hint, "hint");
    if (!hint_view.ok()) return fail(hint_view.error());
    auto r = engine->engine->process_frame(plate_view.value(), hint_view.value(), o);
    if (!r.ok()) return fail(r.error());
    ck_frame_result res{};
    res.width = r->alpha.width;
    res.height = r->alpha.height;
    try {
      res.alpha = copy_out(r->alpha);
      res.fg = copy_out(r->fg);
      res.processed = copy_out(r->processed);
      res.comp = copy_out(r->comp);
    } catch (...) {
      ck_frame_result_free(&res);
      throw;
    }
    *out = res;
    return CK_OK;
  });
}

void ck_frame_result_free(ck_frame_result* result) {
  if (result == nullptr) return;
  std::free(result->alpha);
  std::free(result->fg);
  std::free(result->processed);
  std::free(result->comp);
  std::memset(result, 0, sizeof *result);
}

const char* ck_last_error(void) { return g_last_error.c_str(); }

const char* ck_status_name(ck_status status) {
  switch (status) {
    case CK_OK: return "ok";
    case CK_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case CK_ERROR_UNSUPPORTED: return "unsupported";
    case CK_ERROR_IO: return "I/O error";
    case CK_ERROR_FORMAT: return "format error";
    case CK_ERROR_OUT_OF_MEMORY: return "out of memory";
    case CK_ERROR_INTERNAL: return "internal error";
    case CK_ERROR_NETWORK: return "network error";
  }
  return "unknown status";
}

}  // extern "C"
