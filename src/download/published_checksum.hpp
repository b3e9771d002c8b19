// The SHA-256 a server publishes for a file: `URL.sha256` (sha256sum's output or the bare
// digest) or a `SHA256SUMS` list in the same folder.
#pragma once

#include <optional>
#include <string>

#include "corridorkey/status.hpp"
#include "download/http_transfer.hpp"

namespace ck {

struct PublishedChecksum {
  std::string sha256;  // 64 lower-case hex digits
  std::string source;  // "URL.sha256" or "SHA256SUMS"
};

// The first 64-hex-digit word of a sidecar, if it has one.
std::optional<std::string> digest_in_sidecar(const std::string& text);
// The digest listed for `file_name` in a SHA256SUMS text ("<hex>  name" or "<hex> *name").
std::optional<std::string> digest_in_sums(const std::string& text, const std::string& file_name);

// Asks the server for the sidecar, then for SHA256SUMS. None published (404/403) is an empty
// result; an unreachable server or a sidecar that holds no digest is an error.
Result<std::optional<PublishedChecksum>> find_published_checksum(const std::string& url, const TransferSettings& settings);

}  // namespace ck
