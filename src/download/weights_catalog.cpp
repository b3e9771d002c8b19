// The known weights and the cache folder, each overridable from the environment.
#include <cstdlib>
#include <filesystem>

#include "corridorkey/weights_download.hpp"

#ifndef CK_WEIGHTS_REPO
#define CK_WEIGHTS_REPO "corridorkey-cpp/corridorkey-cpp"
#endif
#ifndef CK_WEIGHTS_TAG
#define CK_WEIGHTS_TAG "weights-v1.0"
#endif

namespace ck {

namespace {

namespace fs = std::filesystem;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// The last path segment of a URL, without query or fragment.
std::string file_name_of(const std::string& url) {
  const std::string path = url.substr(0, url.find_first_of("?#"));
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

std::vector<WeightsAsset> known_weights() {
  const std::string hf_repo = env_or("CORRIDORKEY_HF_REPO", "nikopueringer/CorridorKey_v1.0");
  const std::string repo = env_or("CORRIDORKEY_WEIGHTS_REPO", CK_WEIGHTS_REPO);
  const std::string tag = env_or("CORRIDORKEY_WEIGHTS_TAG", CK_WEIGHTS_TAG);
  const std::string asset = env_or("CORRIDORKEY_WEIGHTS_ASSET", "CorridorKey_v1.0.safetensors");
  std::vector<WeightsAsset> known = {
      {"official", "the official PyTorch checkpoint (Hugging Face " + hf_repo + ")",
       "https://huggingface.co/" + hf_repo + "/resolve/main/CorridorKey_v1.0.pth", "CorridorKey_v1.0.pth",
       "huggingface/" + hf_repo},
      {"safetensors", "the official weights converted to safetensors (release " + tag + " of " + repo + ")",
       "https://github.com/" + repo + "/releases/download/" + tag + "/" + asset, asset, tag},
  };
  // A mirror of one file stands in for every known address (the studio's copy of the weights).
  const std::string mirror = env_or("CORRIDORKEY_WEIGHTS_URL", "");
  if (!mirror.empty()) {
    for (WeightsAsset& w : known) {
      w.url = mirror;
      w.file_name = file_name_of(mirror);
    }
  }
  return known;
}

Result<WeightsAsset> find_known_weights(const std::string& name) {
  std::string names;
  for (const WeightsAsset& w : known_weights()) {
    if (w.name == name) return w;
    names += (names.empty() ? "" : ", ") + w.name;
  }
  return err(ErrorCode::kInvalidArgument, "no weights named '", name, "' (known: ", names, "; any server: --url URL)");
}

Result<WeightsAsset> weights_at_url(const std::string& url) {
  const size_t scheme = url.find("://");
  const std::string name = file_name_of(url);
  if (scheme == std::string::npos || (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) || name.empty() ||
      name == "." || name == "..") {
    return err(ErrorCode::kInvalidArgument, "'", url, "' is not an http(s) address of a file");
  }
  std::string host = url.substr(scheme + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  for (char& c : host) {
    if (c == ':') c = '_';  // a port, kept apart from the host in a folder name
  }
  if (host.empty() || host == "." || host == "..") {
    return err(ErrorCode::kInvalidArgument, "'", url, "' names no host");
  }
  return WeightsAsset{"url", "a file at " + url, url, name, "url/" + host};
}

Result<std::string> weights_cache_dir(const std::string& override_dir) {
  if (!override_dir.empty()) return override_dir;
  const std::string set = env_or("CORRIDORKEY_CACHE_DIR", "");
  if (!set.empty()) return set;
#if defined(_WIN32)
  const std::string local = env_or("LOCALAPPDATA", "");
  if (!local.empty()) return (fs::path(local) / "corridorkey").string();
#else
  const std::string home = env_or("HOME", "");
#if defined(__APPLE__)
  if (!home.empty()) return (fs::path(home) / "Library" / "Caches" / "corridorkey").string();
#else
  const std::string xdg = env_or("XDG_CACHE_HOME", "");
  if (!xdg.empty()) return (fs::path(xdg) / "corridorkey").string();
  if (!home.empty()) return (fs::path(home) / ".cache" / "corridorkey").string();
#endif
#endif
  return err(ErrorCode::kInvalidArgument, "no cache folder: set CORRIDORKEY_CACHE_DIR (HOME is not set)");
}

std::string cached_weights_path(const WeightsAsset& asset, const std::string& cache_dir) {
  return (fs::path(cache_dir) / "weights" / asset.cache_subdir / asset.file_name).string();
}

}  // namespace ck
