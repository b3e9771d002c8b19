#include "clip_settings.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "corridorkey/output_set.hpp"

namespace ck::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A number at `key` of `object` within [lo, hi], or the default when absent.
Status read_number(const json& object, const char* key, float lo, float hi, float& out, const std::string& source) {
  if (!object.contains(key)) return ok_status();
  const json& v = object.at(key);
  if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi)) {
    return err(ErrorCode::kFormat, source, ": '", key, "' must be a number in [", lo, ", ", hi, "], not ", v.dump());
  }
  out = v.get<float>();
  return ok_status();
}

}  // namespace

std::string clip_settings_json(const ClipSettings& s) {
  json j;
  j["version"] = 1;
  j["frame"] = {{"refiner_scale", s.frame.refiner_scale},
                {"despill_strength", s.frame.despill_strength},
                {"auto_despeckle", s.frame.auto_despeckle},
                {"despeckle_size", s.frame.despeckle_size},
                {"screen", screen_colour_name(s.frame.screen)}};
  j["hint"] = {{"erode", s.hint.erode}, {"blur", s.hint.blur}, {"min_island", s.hint.min_island}};
  return j.dump(2) + "\n";
}

Result<ClipSettings> parse_clip_settings(const std::string& text, const std::string& source) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return err(ErrorCode::kFormat, source, ": not a JSON object");
  ClipSettings s;
  s.frame.screen = ScreenColour::kAuto;
  if (j.contains("frame")) {
    const json& f = j.at("frame");
    if (!f.is_object()) return err(ErrorCode::kFormat, source, ": 'frame' is not an object");
    CK_TRY(read_number(f, "refiner_scale", 0.0f, 10.0f, s.frame.refiner_scale, source));
    CK_TRY(read_number(f, "despill_strength", 0.0f, 1.0f, s.frame.despill_strength, source));
    float size = static_cast<float>(s.frame.despeckle_size);
    CK_TRY(read_number(f, "despeckle_size", 0.0f, 1e9f, size, source));
    s.frame.despeckle_size = static_cast<int>(size);
    if (f.contains("auto_despeckle")) {
      if (!f.at("auto_despeckle").is_boolean()) return err(ErrorCode::kFormat, source, ": 'auto_despeckle' is not true or false");
      s.frame.auto_despeckle = f.at("auto_despeckle").get<bool>();
    }
    if (f.contains("screen")) {
      const auto screen = f.at("screen").is_string() ? screen_colour_from_name(f.at("screen").get<std::string>())
                                                     : std::nullopt;
      if (!screen) return err(ErrorCode::kFormat, source, ": 'screen' must be auto, green or blue");
      s.frame.screen = *screen;
    }
  }
  if (j.contains("hint")) {
    const json& h = j.at("hint");
    if (!h.is_object()) return err(ErrorCode::kFormat, source, ": 'hint' is not an object");
    CK_TRY(read_number(h, "erode", 0.0f, 0.2f, s.hint.erode, source));
    CK_TRY(read_number(h, "blur", 0.0f, 0.2f, s.hint.blur, source));
    CK_TRY(read_number(h, "min_island", 0.0f, 0.5f, s.hint.min_island, source));
  }
  return s;
}

Result<std::optional<ClipSettings>> read_clip_settings(const std::string& clip_dir) {
  const fs::path path = fs::path(clip_dir) / kClipSettingsName;
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<ClipSettings>();
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return err(ErrorCode::kIo, "cannot read '", path.string(), "'");
  CK_ASSIGN(ClipSettings s, parse_clip_settings(text.str(), path.string()));
  return std::optional<ClipSettings>(s);
}

Status write_clip_settings(const std::string& clip_dir, const ClipSettings& settings) {
  const std::string text = clip_settings_json(settings);
  OutputSet files;
  CK_TRY(files.add((fs::path(clip_dir) / kClipSettingsName).string(),
                   [&](FileSink& sink) { return sink.write(text.data(), text.size()); }));
  return files.commit();
}

void apply_clip_settings(const ClipSettings& settings, const std::set<std::string>& given, FrameOptions& frame,
                         std::optional<HintOptions>& auto_hint) {
  if (!given.contains("--refiner-scale")) frame.refiner_scale = settings.frame.refiner_scale;
  if (!given.contains("--despill")) frame.despill_strength = settings.frame.despill_strength;
  if (!given.contains("--no-despeckle")) frame.auto_despeckle = settings.frame.auto_despeckle;
  if (!given.contains("--despeckle-size")) frame.despeckle_size = settings.frame.despeckle_size;
  if (!given.contains("--screen-color")) frame.screen = settings.frame.screen;
  if (auto_hint) {
    auto_hint->erode = settings.hint.erode;
    auto_hint->blur = settings.hint.blur;
    auto_hint->min_island = settings.hint.min_island;
    auto_hint->screen = frame.screen;
  }
}

}  // namespace ck::cli
