#include "io/image_file.hpp"

#include <OpenImageIO/imageio.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/atomic_file.hpp"

namespace ck {

Result<Image> read_image(const std::string& path) {
  auto in = OIIO::ImageInput::open(path);
  if (!in) return err(ErrorCode::kIo, "cannot read image '", path, "': ", OIIO::geterror());
  const OIIO::ImageSpec& spec = in->spec();
  if (spec.width <= 0 || spec.height <= 0 || spec.nchannels <= 0 || spec.depth > 1) {
    return err(ErrorCode::kFormat, "'", path, "' is not a 2-D image (", spec.width, "x", spec.height, "x",
               spec.depth, ", ", spec.nchannels, " channels)");
  }
  Image img;
  img.width = spec.width;
  img.height = spec.height;
  img.channels = spec.nchannels;
  try {
    img.pixels.resize(static_cast<size_t>(img.width) * img.height * img.channels);
  } catch (const std::bad_alloc&) {
    return err(ErrorCode::kOutOfMemory, "'", path, "' (", img.width, "x", img.height, ") does not fit in memory");
  }
  if (!in->read_image(0, 0, 0, img.channels, OIIO::TypeDesc::FLOAT, img.pixels.data())) {
    return err(ErrorCode::kFormat, "cannot decode image '", path, "': ", in->geterror());
  }
  in->close();
  return img;
}

Status write_image_8bit(const std::string& path, const Image& image) {
  std::vector<uint8_t> bytes(image.pixels.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    const float x = image.pixels[i];
    bytes[i] = static_cast<uint8_t>(std::lround((std::isnan(x) ? 0.0f : std::clamp(x, 0.0f, 1.0f)) * 255.0f));
  }
  return write_path_atomically(path, [&](const std::string& tmp) -> Status {
    auto out = OIIO::ImageOutput::create(path);
    if (!out) return err(ErrorCode::kInvalidArgument, "cannot write '", path, "': ", OIIO::geterror());
    const OIIO::ImageSpec spec(image.width, image.height, image.channels, OIIO::TypeDesc::UINT8);
    if (!out->open(tmp, spec) || !out->write_image(OIIO::TypeDesc::UINT8, bytes.data()) || !out->close()) {
      return err(ErrorCode::kIo, "cannot write '", path, "': ", out->geterror());
    }
    return ok_status();
  });
}

}  // namespace ck
