#include "shot/run_manifest.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "corridorkey/output_set.hpp"
#include "corridorkey/shot.hpp"

namespace ck {

namespace fs = std::filesystem;

namespace {

Result<RunSettings> read_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) return err(ErrorCode::kIo, "cannot read the run manifest '", path, "'");
  RunSettings settings;
  try {
    const nlohmann::json doc = nlohmann::json::parse(in);
    for (const auto& [key, value] : doc.at("settings").items()) settings[key] = value.get<std::string>();
  } catch (const std::exception& e) {
    return err(ErrorCode::kFormat, "the run manifest '", path, "' is not one this tool wrote (", e.what(),
               "); remove it or pass --overwrite");
  }
  return settings;
}

}  // namespace

Status check_and_write_run_manifest(const std::string& dir, const RunSettings& settings, bool redo_all,
                                    bool force_mix) {
  const std::string path = (fs::path(dir) / kRunManifestName).string();
  std::error_code ec;
  if (fs::exists(path, ec) && !redo_all && !force_mix) {
    CK_ASSIGN(const RunSettings previous, read_manifest(path));
    std::string differences;
    for (const auto& [key, value] : settings) {
      const auto it = previous.find(key);
      const std::string before = it == previous.end() ? "(none)" : it->second;
      if (before != value) differences += "\n  " + key + ": " + before + " then, " + value + " now";
    }
    if (!differences.empty()) {
      return err(ErrorCode::kInvalidArgument, "the outputs in '", dir,
                 "' were made with other settings; pass --overwrite to key every frame again, or --force to "
                 "mix them:",
                 differences);
    }
    // The same settings: left as it is, so that concurrent chunks of a shot do not rewrite it.
    if (previous == settings) return ok_status();
  }
  nlohmann::json doc;
  doc["tool"] = "corridorkey";
  doc["settings"] = settings;
  const std::string text = doc.dump(2) + "\n";
  OutputSet set;
  CK_TRY(set.add(path, [&](FileSink& out) { return out.write(text.data(), text.size()); }));
  return set.commit();
}

}  // namespace ck
