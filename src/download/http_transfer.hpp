// HTTP(S) transfers through libcurl, for the weights downloader: small files read into memory
// (checksum sidecars), large ones appended to a file from a byte offset (HTTP ranges).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "corridorkey/durable_file.hpp"
#include "corridorkey/status.hpp"

namespace ck {

struct TransferSettings {
  std::string token;  // sent as a bearer token to the URL's own host only (not after a redirect elsewhere)
  long connect_timeout_s = 30;
  long stall_timeout_s = 60;
};

struct FetchedText {
  long http_status = 0;
  std::string body;
};

// GETs a small file (at most `max_bytes`). A status of 404 or 403 is a result, not an error, so
// that a missing sidecar can be told from a failing server.
Result<FetchedText> fetch_text(const std::string& url, const TransferSettings& settings, size_t max_bytes = 1 << 20);

struct AppendedBody {
  long http_status = 0;    // 200 (whole file), 206 (the rest from the offset), 416 (offset past
                           // the end), or an error status (400 and up: nothing appended)
  bool restart_needed = false;  // the server ignored the range (200) or refused it (416): nothing appended
  uint64_t total_size = 0; // the whole file's size when the server says, else 0
  std::string linked_etag; // Hugging Face's X-Linked-Etag (the SHA-256 of large files), unquoted
};

// GETs `url` from byte `offset` on, appending the body to `sink`. When the server ignores or
// refuses the range, nothing is appended and `restart_needed` says to start again from 0. An
// error status (404, ...) is a result too: the caller says what it means.
// `progress(bytes_now, total)` is called as data arrives. A cut connection or a stall is a
// kNetwork error; what arrived before it stays in the sink.
Result<AppendedBody> append_from(const std::string& url, uint64_t offset, FileSink& sink, const TransferSettings& settings,
                                 const std::function<void(uint64_t, uint64_t)>& progress);

}  // namespace ck
