#include <OpenColorIO/OpenColorIO.h>

#include <cstdlib>

#include "corridorkey/colour_management.hpp"

namespace OCIO = OCIO_NAMESPACE;

namespace ck {

struct ColourConversion::Impl {
  OCIO::ConstCPUProcessorRcPtr processor;
};

namespace {

Result<OCIO::ConstConfigRcPtr> load_config(const std::string& path) {
  std::string source = path;
  if (source.empty()) {
    const char* env = std::getenv("OCIO");
    if (env == nullptr || *env == '\0') {
      return err(ErrorCode::kInvalidArgument, "a colour space needs an OpenColorIO config: pass --ocio-config or set OCIO");
    }
    source = env;
  }
  try {
    OCIO::ConstConfigRcPtr config = OCIO::Config::CreateFromFile(source.c_str());
    config->validate();
    return config;
  } catch (const OCIO::Exception& e) {
    return err(ErrorCode::kFormat, "cannot use the OpenColorIO config '", source, "': ", e.what());
  }
}

std::string space_list(const OCIO::ConstConfigRcPtr& config) {
  std::string names;
  for (int i = 0; i < config->getNumColorSpaces(); ++i) {
    names += (i ? ", " : "") + std::string(config->getColorSpaceNameByIndex(i));
  }
  return names;
}

Result<std::string> check_space(const OCIO::ConstConfigRcPtr& config, const std::string& name) {
  OCIO::ConstColorSpaceRcPtr space = config->getColorSpace(name.c_str());
  if (!space) {
    return err(ErrorCode::kInvalidArgument, "unknown colour space '", name, "'; the config has: ", space_list(config));
  }
  return std::string(space->getName());
}

Result<std::string> working_space(const OCIO::ConstConfigRcPtr& config, const std::string& named) {
  if (!named.empty()) return check_space(config, named);
  for (const std::string& name : linear_rec709_names()) {
    if (OCIO::ConstColorSpaceRcPtr space = config->getColorSpace(name.c_str())) return std::string(space->getName());
  }
  return err(ErrorCode::kInvalidArgument,
             "the OpenColorIO config has no linear Rec.709 colour space under a known name; name the one it has "
             "with --working-colorspace (the config has: ",
             space_list(config), ")");
}

}  // namespace

const std::vector<std::string>& linear_rec709_names() {
  static const std::vector<std::string> names{"Linear Rec.709 (sRGB)", "lin_rec709_srgb", "lin_rec709", "lin_srgb",
                                              "Utility - Linear - sRGB", "Linear sRGB", "linear", "Linear"};
  return names;
}

ColourConversion::ColourConversion(std::unique_ptr<Impl> impl, std::string description)
    : impl_(std::move(impl)), description_(std::move(description)) {}
ColourConversion::~ColourConversion() = default;

namespace {

Result<std::unique_ptr<ColourConversion>> make_conversion(const std::string& config_path, const std::string& space,
                                                          const std::string& working, bool to_working) {
  CK_ASSIGN(OCIO::ConstConfigRcPtr config, load_config(config_path));
  CK_ASSIGN(const std::string named, check_space(config, space));
  CK_ASSIGN(const std::string work, working_space(config, working));
  const std::string from = to_working ? named : work, to = to_working ? work : named;
  try {
    auto impl = std::make_unique<ColourConversion::Impl>();
    OCIO::ConstProcessorRcPtr processor = config->getProcessor(from.c_str(), to.c_str());
    // Lossless: no LUT approximation of the transfer functions.
    impl->processor = processor->getOptimizedCPUProcessor(OCIO::BIT_DEPTH_F32, OCIO::BIT_DEPTH_F32,
                                                          OCIO::OPTIMIZATION_LOSSLESS);
    return std::unique_ptr<ColourConversion>(new ColourConversion(std::move(impl), from + " -> " + to));
  } catch (const OCIO::Exception& e) {
    return err(ErrorCode::kInvalidArgument, "cannot convert '", from, "' to '", to, "': ", e.what());
  }
}

}  // namespace

Result<std::unique_ptr<ColourConversion>> ColourConversion::to_working(const std::string& config_path,
                                                                       const std::string& from,
                                                                       const std::string& working) {
  return make_conversion(config_path, from, working, true);
}

Result<std::unique_ptr<ColourConversion>> ColourConversion::from_working(const std::string& config_path,
                                                                         const std::string& to,
                                                                         const std::string& working) {
  return make_conversion(config_path, to, working, false);
}

Status ColourConversion::apply(Image& image) const {
  if (image.channels != 3 && image.channels != 4) {
    return err(ErrorCode::kInvalidArgument, "colour conversion needs RGB or RGBA, not ", image.channels, " channels");
  }
  try {
    OCIO::PackedImageDesc desc(image.pixels.data(), image.width, image.height, image.channels);
    impl_->processor->apply(desc);
  } catch (const OCIO::Exception& e) {
    return err(ErrorCode::kInternal, "colour conversion ", description_, " failed: ", e.what());
  }
  return ok_status();
}

Status ColourConversion::apply_premultiplied(Image& image) const {
  if (image.channels != 4) return apply(image);
  const size_t n = image.pixels.size() / 4;
  for (size_t i = 0; i < n; ++i) {
    const float a = image.pixels[4 * i + 3];
    for (int c = 0; c < 3; ++c) image.pixels[4 * i + c] = a > 1e-6f ? image.pixels[4 * i + c] / a : 0.0f;
  }
  CK_TRY(apply(image));
  for (size_t i = 0; i < n; ++i) {
    const float a = image.pixels[4 * i + 3];
    for (int c = 0; c < 3; ++c) image.pixels[4 * i + c] = a > 1e-6f ? image.pixels[4 * i + c] * a : 0.0f;
  }
  return ok_status();
}

std::string colour_library_version() { return std::string("OpenColorIO ") + OCIO::GetVersion(); }

}  // namespace ck
