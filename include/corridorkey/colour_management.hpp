// Colour management through OpenColorIO: plates shot in camera log or wide gamut (ARRI LogC3/4,
// S-Log3, ACEScct, ACES2065-1, Rec.2020, ...) converted to what the network expects, and
// outputs converted to a chosen space. The config comes from a file or the OCIO variable.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <memory>
#include <string>
#include <vector>

#include "corridorkey/image.hpp"
#include "corridorkey/status.hpp"

namespace ck {

// Colour space names a config may give to scene-linear Rec.709 / sRGB primaries, the space a
// `--linear` plate is in; the first the config has is the working space unless one is named.
const std::vector<std::string>& linear_rec709_names();

class ColourConversion {
 public:
  // `config_path` empty: the config named by $OCIO. `working` empty: the config's linear
  // Rec.709 space, found by linear_rec709_names().
  static Result<std::unique_ptr<ColourConversion>> to_working(const std::string& config_path,
                                                              const std::string& from,
                                                              const std::string& working = "");
  static Result<std::unique_ptr<ColourConversion>> from_working(const std::string& config_path, const std::string& to,
                                                                const std::string& working = "");
  ~ColourConversion();

  // Converts the colour channels of an RGB or RGBA image in place (float, nothing clamped).
  Status apply(Image& image) const;
  // The same for premultiplied RGBA: unpremultiplied, converted, premultiplied again.
  Status apply_premultiplied(Image& image) const;
  const std::string& description() const { return description_; }

  struct Impl;
  ColourConversion(std::unique_ptr<Impl> impl, std::string description);

 private:
  std::unique_ptr<Impl> impl_;
  std::string description_;
};

// The OpenColorIO version and the config $OCIO names (for `corridorkey doctor`).
std::string colour_library_version();

}  // namespace ck

#pragma GCC visibility pop
