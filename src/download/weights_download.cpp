// download_weights: cached copy check, published checksum, resumable transfer into
// `<file>.partial`, verification, then the rename that makes the file appear complete.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "corridorkey/durable_file.hpp"
#include "corridorkey/output_set.hpp"
#include "corridorkey/weights_download.hpp"
#include "corridorkey/weights_files.hpp"
#include "download/http_transfer.hpp"
#include "download/published_checksum.hpp"

namespace ck {

namespace {

namespace fs = std::filesystem;

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string token_for(const std::string& url, const DownloadOptions& o) {
  if (!o.token.empty()) return o.token;
  std::string token = env_or_empty("CORRIDORKEY_WEIGHTS_TOKEN");
  if (token.empty() && url.find("://huggingface.co/") != std::string::npos) token = env_or_empty("HF_TOKEN");
  if (token.empty() && url.find("://github.com/") != std::string::npos) token = env_or_empty("GITHUB_TOKEN");
  return token;
}

void warn(const DownloadOptions& o, const std::string& message) {
  if (o.warn) o.warn(message);
}

Status make_cache_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder)) {
    return err(ErrorCode::kIo, "cannot create the weights cache folder '", folder.string(), "': ",
               ec ? ec.message() : "not a directory",
               " (choose another with --cache-dir or CORRIDORKEY_CACHE_DIR)");
  }
  return ok_status();
}

// Writes `<file>.sha256` (sha256sum's format), whole or not at all, so that `weights verify`
// works offline.
Status record_sha256(const std::string& path, const std::string& digest) {
  const std::string line = digest + "  " + fs::path(path).filename().string() + "\n";
  OutputSet set;
  CK_TRY(set.add(path + ".sha256", [&](FileSink& out) { return out.write(line.data(), line.size()); }));
  return set.commit();
}

uint64_t size_or_zero(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

// Appends the rest of `url` to `partial`, resuming after cut connections up to `attempts` times.
Result<AppendedBody> transfer_to_partial(const std::string& url, const std::string& partial, const DownloadOptions& o,
                                         const TransferSettings& settings, uint64_t& resumed_from) {
  resumed_from = size_or_zero(partial);
  Error last{ErrorCode::kNetwork, ""};
  for (int attempt = 0; attempt < std::max(1, o.attempts); ++attempt) {
    const uint64_t offset = size_or_zero(partial);
    CK_ASSIGN(FileSink sink, FileSink::open_append(partial));
    Result<AppendedBody> body = append_from(url, offset, sink, settings, o.progress);
    CK_TRY(sink.finish());  // what arrived is kept for the next attempt, flushed
    if (body.ok() && body.value().restart_needed) {
      std::error_code ec;
      fs::remove(partial, ec);
      resumed_from = 0;
      if (offset == 0) return err(ErrorCode::kNetwork, "download of ", url, " failed: the server refused the transfer");
      continue;
    }
    if (body.ok() && body.value().http_status >= 400) {  // an answer, not a cut: no other try
      const long status = body.value().http_status;
      return err(ErrorCode::kNetwork, "download of ", url, " failed: the server answered HTTP ", status,
                 status == 404   ? " (not found)"
                 : status == 401 ? " (a token is needed: set CORRIDORKEY_WEIGHTS_TOKEN)"
                 : status == 403 ? " (forbidden: check the token)"
                                 : "");
    }
    if (body.ok()) return body;
    last = body.error();
    // Only a cut or stalled connection is worth another try; a full disk is not.
    if (last.code != ErrorCode::kNetwork) break;
    if (size_or_zero(partial) == offset) break;  // no progress at all: the server is not serving it
  }
  return last;
}

// After a failed download: an empty .partial and the folders made for it go; a .partial with
// bytes in it stays for the next run to resume.
void tidy_after_failure(const std::string& partial, const fs::path& cache_dir) {
  std::error_code ec;
  if (fs::exists(partial, ec) && size_or_zero(partial) == 0) fs::remove(partial, ec);
  for (fs::path folder = fs::path(partial).parent_path(); folder.has_parent_path() && folder != cache_dir;
       folder = folder.parent_path()) {
    if (!fs::is_empty(folder, ec) || !fs::remove(folder, ec)) break;
  }
}

}  // namespace

std::optional<std::string> recorded_sha256(const std::string& path) {
  std::ifstream in(path + ".sha256");
  std::string digest;
  if (!(in >> digest) || digest.size() != 64) return std::nullopt;
  return digest;
}

Result<DownloadResult> download_weights(const WeightsAsset& asset, const DownloadOptions& options) {
  CK_ASSIGN(const std::string cache_dir, weights_cache_dir(options.cache_dir));
  const std::string path = cached_weights_path(asset, cache_dir);
  CK_TRY(make_cache_folder(fs::path(path).parent_path()));
  TransferSettings settings{token_for(asset.url, options), options.connect_timeout_s, options.stall_timeout_s};

  CK_ASSIGN(const std::optional<PublishedChecksum> published, find_published_checksum(asset.url, settings));
  DownloadResult result;
  result.path = path;
  if (published) result.checksum_source = published->source;

  // A cached copy is kept when it still matches what was published (or what was recorded when
  // it was downloaded, for servers that publish nothing).
  if (!options.force && fs::exists(path)) {
    const std::optional<std::string> expected = published ? std::optional(published->sha256) : recorded_sha256(path);
    CK_ASSIGN(const std::string digest, file_sha256(path));
    if (!expected || *expected == digest) {
      result.sha256 = digest;
      result.already_cached = true;
      if (!expected) warn(options, "no checksum is published or recorded for " + path + "; kept as it is");
      return result;
    }
    warn(options, path + " no longer matches its checksum; downloading it again");
  }

  const std::string partial = path + ".partial";
  if (options.force) {
    std::error_code ec;
    fs::remove(partial, ec);
  }
  Result<AppendedBody> transferred = transfer_to_partial(asset.url, partial, options, settings, result.resumed_from);
  if (!transferred.ok()) {
    tidy_after_failure(partial, cache_dir);
    return transferred.error();
  }
  const AppendedBody& body = transferred.value();
  CK_ASSIGN(const std::string digest, file_sha256(partial));
  std::string expected;
  if (published) {
    expected = published->sha256;
  } else if (!body.linked_etag.empty() && body.linked_etag.size() == 64) {
    expected = body.linked_etag;  // Hugging Face's content hash of a large file
    result.checksum_source = "X-Linked-Etag";
  }
  if (!expected.empty() && digest != expected) {
    std::error_code ec;
    fs::remove(partial, ec);
    tidy_after_failure(partial, cache_dir);
    return err(ErrorCode::kFormat, "checksum mismatch for ", asset.url, ": expected ", expected, " (",
               result.checksum_source, "), got ", digest, "; the download was deleted, nothing is cached");
  }
  if (expected.empty()) {
    warn(options, "no checksum is published for " + asset.url +
                      " (no .sha256 sidecar, no SHA256SUMS): the file is kept unverified; its SHA-256 is " + digest);
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    return err(ErrorCode::kIo, "cannot move '", partial, "' to '", path, "'");
  }
  CK_TRY(sync_directory(fs::path(path).parent_path().string()));
  CK_TRY(record_sha256(path, digest));
  result.sha256 = digest;
  return result;
}

Result<std::string> find_cached_weights(const std::string& cache_dir_override) {
  CK_ASSIGN(const std::string cache_dir, weights_cache_dir(cache_dir_override));
  std::string looked;
  const std::vector<WeightsAsset> known = known_weights();
  for (const char* name : {"safetensors", "official"}) {
    for (const WeightsAsset& w : known) {
      if (w.name != name) continue;
      const std::string path = cached_weights_path(w, cache_dir);
      if (fs::exists(path)) return path;
      looked += "\n  " + path;
    }
  }
  return err(ErrorCode::kIo, "no weights in the cache; looked at:", looked);
}

}  // namespace ck
