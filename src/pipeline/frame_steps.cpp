#include "pipeline/frame_steps.hpp"

#include <cmath>
#include <cstring>

#include "corridorkey/colour.hpp"
#include "image/composite.hpp"
#include "image/despeckle.hpp"
#include "image/despill.hpp"
#include "image/frame_finish.hpp"
#include "image/resample.hpp"

namespace ck {

namespace {
constexpr float kImagenetMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kImagenetStd[3] = {0.229f, 0.224f, 0.225f};

float read_pixel(const uint8_t* row, int index, PixelType type) {
  switch (type) {
    case PixelType::kU8: return static_cast<float>(row[index]) / 255.0f;
    case PixelType::kU16: {
      uint16_t v;
      std::memcpy(&v, row + 2 * index, 2);
      return static_cast<float>(v) / 65535.0f;
    }
    case PixelType::kF32: {
      float v;
      std::memcpy(&v, row + 4 * index, 4);
      return v;
    }
  }
  return 0.0f;
}

size_t pixel_bytes(PixelType t) { return t == PixelType::kU8 ? 1 : t == PixelType::kU16 ? 2 : 4; }
}  // namespace

Result<Planar> view_to_planar(const ImageView& view, int first, int count, const char* what) {
  if (view.data == nullptr) return err(ErrorCode::kInvalidArgument, what, ": no pixel data");
  if (view.width <= 0 || view.height <= 0 || view.channels <= 0) {
    return err(ErrorCode::kInvalidArgument, what, ": bad size ", view.width, "x", view.height, "x", view.channels);
  }
  if (view.channels != 1 && view.channels < first + count) {
    return err(ErrorCode::kInvalidArgument, what, " has ", view.channels, " channels, needs ", first + count);
  }
  const size_t packed = static_cast<size_t>(view.width) * view.channels * pixel_bytes(view.type);
  const size_t stride = view.row_stride_bytes ? view.row_stride_bytes : packed;
  if (stride < packed) return err(ErrorCode::kInvalidArgument, what, ": row stride ", stride, " < ", packed, " bytes");
  Planar p = Planar::zeros(view.width, view.height, count);
  // Rows on every thread; a non-finite value is found again in order afterwards, so that the
  // message names the first one.
  bool all_finite = true;
#pragma omp parallel for schedule(static) reduction(&& : all_finite)
  for (int y = 0; y < view.height; ++y) {
    const auto* row = static_cast<const uint8_t*>(view.data) + y * stride;
    for (int x = 0; x < view.width; ++x) {
      for (int c = 0; c < count; ++c) {
        const int src_c = view.channels == 1 ? 0 : first + c;
        const float v = read_pixel(row, x * view.channels + src_c, view.type);
        all_finite = all_finite && std::isfinite(v);
        p.plane(c)[static_cast<size_t>(y) * view.width + x] = v;
      }
    }
  }
  if (!all_finite) {
    for (int y = 0; y < view.height; ++y) {
      for (int x = 0; x < view.width; ++x) {
        for (int c = 0; c < count; ++c) {
          const float v = p.plane(c)[static_cast<size_t>(y) * view.width + x];
          if (!std::isfinite(v)) {
            return err(ErrorCode::kInvalidArgument, what, " holds a non-finite value (", v, ") at pixel (", x, ", ", y,
                       "), channel ", view.channels == 1 ? 0 : first + c);
          }
        }
      }
    }
  }
  return p;
}

Planar prepare_network_planes(const Planar& plate, const Planar& hint, int img_size, bool input_is_linear) {
  Planar rgb = resample(plate, img_size, img_size, ResampleFilter::kAntialiasedBilinear);
  if (input_is_linear) {
    for (float& v : rgb.data) v = linear_to_srgb(v);
  }
  const Planar h = resample(hint, img_size, img_size, ResampleFilter::kAntialiasedBilinear);
  rgb.data.insert(rgb.data.end(), h.data.begin(), h.data.end());
  rgb.channels = 4;
  return rgb;
}

Result<Tensor> normalise_network_input(const Planar& planes) {
  CK_ASSIGN(Tensor x, Tensor::empty({1, planes.height, planes.width, 4}));
  const size_t n = planes.plane_size();
  for (int c = 0; c < 4; ++c) {
    const float* src = planes.plane(c);
    float* dst = x.data<float>() + c;
    for (size_t i = 0; i < n; ++i) dst[4 * i] = c < 3 ? (src[i] - kImagenetMean[c]) / kImagenetStd[c] : src[i];
  }
  return x;
}

FrameResult postprocess_frame(const Planar& alpha_s, const Planar& fg_s, int width, int height,
                              const FrameOptions& options, StageClock* clock) {
  const Planar alpha = resample(alpha_s, width, height, ResampleFilter::kLanczos4);
  const Planar fg = resample(fg_s, width, height, ResampleFilter::kLanczos4);
  lap(clock, "finish.resize");
  Planar clean = alpha;
  if (options.auto_despeckle) {
    DespeckleParams p;
    p.min_area = options.despeckle_size;
    clean.data = despeckle(alpha.plane(0), width, height, p);
  }
  lap(clock, "finish.despeckle");
  FrameResult r;
  finish_frame_outputs(alpha, clean, fg, options.despill_strength, options.generate_comp, r);
  lap(clock, "finish.colour");
  return r;
}

}  // namespace ck
