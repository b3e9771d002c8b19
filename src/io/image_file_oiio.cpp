// The image I/O module: image files through OpenImageIO, built as a shared module that the
// library loads on first use (io/image_file.cpp). OpenImageIO's dependency chain maps about
// 90 MB into a process; a process that never reads or writes an image file (a host keying
// pixel buffers through the C API, `corridorkey bench`) does not pay for it.
#include <OpenImageIO/filesystem.h>
#include <OpenImageIO/imageio.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <new>

#include "io/image_io_module.hpp"

namespace ck {

namespace {

Result<Image> read_with_oiio(const std::string& path, const ReadOptions& options) {
  auto in = OIIO::ImageInput::open(path);
  if (!in) return err(ErrorCode::kIo, "cannot read image '", path, "': ", OIIO::geterror());
  const OIIO::ImageSpec& spec = in->spec();
  if (spec.width <= 0 || spec.height <= 0 || spec.nchannels <= 0 || spec.depth > 1) {
    return err(ErrorCode::kFormat, "'", path, "' is not a 2-D image (", spec.width, "x", spec.height, "x",
               spec.depth, ", ", spec.nchannels, " channels)");
  }
  // From the header, before any pixel buffer exists.
  const int64_t pixels = static_cast<int64_t>(spec.width) * spec.height;
  if (pixels > options.max_pixels) {
    return err(ErrorCode::kInvalidArgument, "'", path, "' is ", spec.width, "x", spec.height, " (", pixels,
               " pixels), more than the limit of ", options.max_pixels, " pixels (--max-pixels)");
  }
  Image img;
  img.width = spec.width;
  img.height = spec.height;
  img.channels = std::min(spec.nchannels, kMaxReadChannels);
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

Result<std::vector<unsigned char>> encode_with_oiio(const std::string& path, const Image& image,
                                                    const WriteOptions& options) {
  if (image.width <= 0 || image.height <= 0 || image.channels <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) {
    return err(ErrorCode::kInvalidArgument, "cannot write '", path, "': the image is empty or inconsistent");
  }
  if (!options.channel_names.empty() && static_cast<int>(options.channel_names.size()) != image.channels) {
    return err(ErrorCode::kInvalidArgument, "cannot write '", path, "': ", options.channel_names.size(),
               " channel names for ", image.channels, " channels");
  }
  OIIO::TypeDesc type = OIIO::TypeDesc::FLOAT;
  std::vector<uint8_t> bytes;
  std::vector<uint16_t> words;
  const void* data = image.pixels.data();
  OIIO::TypeDesc data_type = OIIO::TypeDesc::FLOAT;
  auto quantise = [&](float x, float max) {
    return std::lround((std::isnan(x) ? 0.0f : std::clamp(x, 0.0f, 1.0f)) * max);
  };
  switch (options.format) {
    case SampleFormat::kUint8:
      type = data_type = OIIO::TypeDesc::UINT8;
      bytes.resize(image.pixels.size());
      for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(quantise(image.pixels[i], 255.0f));
      data = bytes.data();
      break;
    case SampleFormat::kUint16:
      type = data_type = OIIO::TypeDesc::UINT16;
      words.resize(image.pixels.size());
      for (size_t i = 0; i < words.size(); ++i) words[i] = static_cast<uint16_t>(quantise(image.pixels[i], 65535.0f));
      data = words.data();
      break;
    case SampleFormat::kHalf: type = OIIO::TypeDesc::HALF; break;  // OIIO converts float -> half
    case SampleFormat::kFloat: type = OIIO::TypeDesc::FLOAT; break;
  }
  auto out = OIIO::ImageOutput::create(path);
  if (!out) return err(ErrorCode::kInvalidArgument, "cannot write '", path, "': ", OIIO::geterror());
  // Encoded into memory: the caller writes the bytes with every write checked, which the
  // format writers' own buffered file output does not promise.
  if (!out->supports("ioproxy")) {
    return err(ErrorCode::kUnsupported, "cannot write '", path, "': the ", out->format_name(),
               " writer cannot encode to memory, so its writes could not be checked");
  }
  // Room for the uncompressed pixels up front: the encoders append, and growing the vector
  // would copy what is already there several times over.
  std::vector<unsigned char> bytes_out;
  bytes_out.reserve(image.pixels.size() * type.size() + (64 << 10));
  OIIO::Filesystem::IOVecOutput memory(bytes_out);
  OIIO::ImageSpec spec(image.width, image.height, image.channels, type);
  if (!options.channel_names.empty()) spec.channelnames = options.channel_names;
  if (!options.compression.empty()) spec.attribute("compression", options.compression);
  if (options.png_compression >= 0) spec.attribute("png:compressionLevel", std::min(options.png_compression, 9));
  if (!out->set_ioproxy(&memory) || !out->open(path, spec) || !out->write_image(data_type, data) || !out->close()) {
    return err(ErrorCode::kIo, "cannot encode '", path, "': ", out->geterror());
  }
  return bytes_out;
}

}  // namespace

}  // namespace ck

namespace ck {
namespace {

// The module's boundary: the image libraries allocate with the standard library, and an
// allocation failure (or anything they throw) comes back as an error.
template <class Fn>
auto guarded(const std::string& path, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return err(ErrorCode::kOutOfMemory, "out of memory reading or writing '", path, "'");
  } catch (const std::exception& e) {
    return err(ErrorCode::kInternal, "image library error on '", path, "': ", e.what());
  }
}

Result<Image> read_image_guarded(const std::string& path, const ReadOptions& options) {
  return guarded(path, [&] { return read_with_oiio(path, options); });
}

Result<std::vector<unsigned char>> encode_image_guarded(const std::string& path, const Image& image,
                                                        const WriteOptions& options) {
  return guarded(path, [&] { return encode_with_oiio(path, image, options); });
}

}  // namespace
}  // namespace ck

extern "C" __attribute__((visibility("default"))) const ck::ImageIoModule* ck_image_io_module() {
  static const ck::ImageIoModule module{ck::kImageIoModuleVersion, &ck::read_image_guarded,
                                        &ck::encode_image_guarded};
  return &module;
}
