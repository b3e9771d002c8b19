// The keying station's page (tools/web), compiled into the binary: no files to install,
// nothing to build in the browser's world.
#pragma once

#include <span>
#include <string_view>

namespace ck::cli {

struct WebAsset {
  const char* path;          // "/", "/station.js", ...
  const char* content_type;  // served with charset=utf-8
  std::string_view content;
};

std::span<const WebAsset> web_assets();

}  // namespace ck::cli
