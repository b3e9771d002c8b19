// The weights a user needs, fetched once into a per-user cache and verified: the official
// checkpoint from Hugging Face, this project's converted safetensors from its releases, or any
// file on any server (a studio mirror). Downloads go to `<file>.partial`, resume with HTTP
// ranges after a cut connection or a killed run, and are renamed into place only once complete
// and matching their published SHA-256. Proxies are libcurl's environment variables (https_proxy,
// no_proxy, ...); CA certificates come from CURL_CA_BUNDLE, SSL_CERT_FILE or SSL_CERT_DIR when set.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "corridorkey/status.hpp"

namespace ck {

// One downloadable weights file.
struct WeightsAsset {
  std::string name;         // "official", "safetensors", or "url" for --url downloads
  std::string description;  // one line for `weights list`
  std::string url;          // where it is downloaded from
  std::string file_name;    // its name in the cache
  std::string cache_subdir; // its folder under <cache>/weights/ (a release tag, a host)
};

// The known weights, with the environment's overrides applied:
//   CORRIDORKEY_HF_REPO       Hugging Face repository of the official checkpoint
//                             (default nikopueringer/CorridorKey_v1.0)
//   CORRIDORKEY_WEIGHTS_REPO  GitHub repository whose releases hold the converted safetensors
//   CORRIDORKEY_WEIGHTS_TAG   its release tag
//   CORRIDORKEY_WEIGHTS_ASSET its asset name
//   CORRIDORKEY_WEIGHTS_URL   a URL that replaces every known address (a mirror of one file)
std::vector<WeightsAsset> known_weights();
Result<WeightsAsset> find_known_weights(const std::string& name);
// A file on any server: cached under weights/<host>/<file name>.
Result<WeightsAsset> weights_at_url(const std::string& url);

// The per-user cache: CORRIDORKEY_CACHE_DIR, else $XDG_CACHE_HOME/corridorkey or
// ~/.cache/corridorkey (Linux), ~/Library/Caches/corridorkey (macOS), %LOCALAPPDATA%\corridorkey
// (Windows). `override_dir`, when not empty, wins over all of these.
Result<std::string> weights_cache_dir(const std::string& override_dir = "");
// Where `asset` lives in `cache_dir` (whether or not it is there yet).
std::string cached_weights_path(const WeightsAsset& asset, const std::string& cache_dir);

struct DownloadOptions {
  std::string cache_dir;              // empty: weights_cache_dir()
  bool force = false;                 // download again even when a verified copy is cached
  std::string token;                  // bearer token; empty: CORRIDORKEY_WEIGHTS_TOKEN, then
                                      // HF_TOKEN (huggingface.co) or GITHUB_TOKEN (github.com)
  long connect_timeout_s = 30;
  long stall_timeout_s = 60;          // a transfer with no bytes for this long is abandoned
  int attempts = 4;                   // cut connections resumed this many times in one call
  // Called as bytes arrive: (bytes of the file on disk, its total size or 0 when unknown).
  std::function<void(uint64_t, uint64_t)> progress;
  // Called with warnings (no published checksum, a cached copy that no longer matches).
  std::function<void(const std::string&)> warn;
};

struct DownloadResult {
  std::string path;             // the verified file in the cache
  std::string sha256;           // its SHA-256
  std::string checksum_source;  // "URL.sha256", "SHA256SUMS", "X-Linked-Etag" or "" (none published)
  bool already_cached = false;  // nothing was transferred
  uint64_t resumed_from = 0;    // bytes of an earlier .partial kept (0: started afresh)
};

// Downloads `asset` into the cache unless a verified copy is there. A checksum mismatch removes
// the download and is an error; nothing unverified is ever renamed into place.
Result<DownloadResult> download_weights(const WeightsAsset& asset, const DownloadOptions& options);

// The checksum recorded beside a cached file at download (`<file>.sha256`), if any.
std::optional<std::string> recorded_sha256(const std::string& path);

// The first cached weights a command can use when no checkpoint is named (the converted
// safetensors, then the official checkpoint), or an error listing every place looked at.
Result<std::string> find_cached_weights(const std::string& cache_dir = "");

}  // namespace ck

#pragma GCC visibility pop
