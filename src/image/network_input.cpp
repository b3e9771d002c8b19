#include "image/network_input.hpp"

namespace ck {

namespace {
constexpr float kImagenetMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kImagenetStd[3] = {0.229f, 0.224f, 0.225f};

// Image (h, w, c) -> (1, c, h, w) map, channel order kept.
Result<Tensor> image_to_map(const Image& image) {
  CK_ASSIGN(Tensor map, Tensor::empty({1, image.channels, image.height, image.width}));
  const int64_t plane = static_cast<int64_t>(image.width) * image.height;
  for (int64_t i = 0; i < plane; ++i) {
    for (int c = 0; c < image.channels; ++c) map.data<float>()[c * plane + i] = image.pixels[i * image.channels + c];
  }
  return map;
}

Result<Tensor> resized_map(Backend& be, const Tensor& map, int64_t h, int64_t w) {
  if (map.size(2) == h && map.size(3) == w) return map;
  CK_ASSIGN(Tensor out, Tensor::empty({1, map.size(1), h, w}));
  CK_TRY(be.resize_bilinear(map, out));
  return out;
}
}  // namespace

Result<Image> map_to_image(Backend& be, const Tensor& map, int width, int height) {
  CK_ASSIGN(Tensor src, map.contiguous());
  CK_ASSIGN(Tensor sized, resized_map(be, src, height, width));
  Image out;
  out.width = width;
  out.height = height;
  out.channels = static_cast<int>(sized.size(1));
  out.pixels.resize(static_cast<size_t>(width) * height * out.channels);
  const int64_t plane = static_cast<int64_t>(width) * height;
  for (int64_t i = 0; i < plane; ++i) {
    for (int c = 0; c < out.channels; ++c) out.pixels[i * out.channels + c] = sized.data<float>()[c * plane + i];
  }
  return out;
}

Result<Image> resize_image(Backend& be, const Image& image, int width, int height) {
  CK_ASSIGN(Tensor map, image_to_map(image));
  return map_to_image(be, map, width, height);
}

Result<Tensor> make_network_input(Backend& be, const Image& plate, const Image& hint, int img_size) {
  if (hint.width != plate.width || hint.height != plate.height) {
    return err(ErrorCode::kInvalidArgument, "hint is ", hint.width, "x", hint.height, " but the plate is ",
               plate.width, "x", plate.height);
  }
  // Four planes at the plate's size: R, G, B, hint.
  Image rgba;
  rgba.width = plate.width;
  rgba.height = plate.height;
  rgba.channels = 4;
  rgba.pixels.resize(static_cast<size_t>(plate.width) * plate.height * 4);
  for (int y = 0; y < plate.height; ++y) {
    for (int x = 0; x < plate.width; ++x) {
      float* px = &rgba.pixels[(static_cast<size_t>(y) * plate.width + x) * 4];
      for (int c = 0; c < 3; ++c) px[c] = plate.at(y, x, plate.channels >= 3 ? c : 0);
      px[3] = hint.at(y, x, 0);
    }
  }
  CK_ASSIGN(Tensor full, image_to_map(rgba));
  CK_ASSIGN(Tensor x, resized_map(be, full, img_size, img_size));  // `full` is ours: normalised in place
  const int64_t plane = static_cast<int64_t>(img_size) * img_size;
  for (int c = 0; c < 3; ++c) {
    float* p = x.data<float>() + c * plane;
    for (int64_t i = 0; i < plane; ++i) p[i] = (p[i] - kImagenetMean[c]) / kImagenetStd[c];
  }
  return x;
}

}  // namespace ck
