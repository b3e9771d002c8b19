#include "download/published_checksum.hpp"

#include <cctype>
#include <sstream>

namespace ck {

namespace {

bool is_digest(const std::string& word) {
  if (word.size() != 64) return false;
  for (char c : word) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The URL without its query (a signed address's parameters) and fragment.
std::string without_query(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

bool not_published(long status) { return status == 404 || status == 403 || status == 410; }

}  // namespace

std::optional<std::string> digest_in_sidecar(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  if (in >> word && is_digest(word)) return lower(word);
  return std::nullopt;
}

std::optional<std::string> digest_in_sums(const std::string& text, const std::string& file_name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string digest, name;
    if (!(fields >> digest >> name) || !is_digest(digest)) continue;
    if (!name.empty() && name[0] == '*') name.erase(0, 1);  // sha256sum's binary-mode marker
    if (name == file_name || name == "./" + file_name) return lower(digest);
  }
  return std::nullopt;
}

Result<std::optional<PublishedChecksum>> find_published_checksum(const std::string& url, const TransferSettings& settings) {
  const std::string base = without_query(url);
  const std::string sidecar_url = base + ".sha256";
  CK_ASSIGN(const FetchedText sidecar, fetch_text(sidecar_url, settings));
  if (sidecar.http_status == 200) {
    std::optional<std::string> digest = digest_in_sidecar(sidecar.body);
    if (!digest) return err(ErrorCode::kFormat, sidecar_url, " holds no SHA-256 (64 hex digits)");
    return std::optional<PublishedChecksum>(PublishedChecksum{*digest, "URL.sha256"});
  }
  if (!not_published(sidecar.http_status)) {
    return err(ErrorCode::kNetwork, "checksum lookup ", sidecar_url, " failed: HTTP ", sidecar.http_status);
  }
  const size_t slash = base.rfind('/');
  const std::string sums_url = base.substr(0, slash + 1) + "SHA256SUMS";
  CK_ASSIGN(const FetchedText sums, fetch_text(sums_url, settings));
  if (sums.http_status == 200) {
    std::optional<std::string> digest = digest_in_sums(sums.body, base.substr(slash + 1));
    if (digest) return std::optional<PublishedChecksum>(PublishedChecksum{*digest, "SHA256SUMS"});
    return std::optional<PublishedChecksum>();
  }
  if (!not_published(sums.http_status)) {
    return err(ErrorCode::kNetwork, "checksum lookup ", sums_url, " failed: HTTP ", sums.http_status);
  }
  return std::optional<PublishedChecksum>();
}

}  // namespace ck
