#include "download/http_transfer.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace ck {

namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct HeaderListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using HeaderList = std::unique_ptr<curl_slist, HeaderListDeleter>;

const char* env_or_null(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

// One handle set up as every transfer wants it: redirects followed, time-outs, the token, and
// the CA settings the curl tool reads from the environment (libcurl itself does not).
Result<CurlHandle> new_handle(const std::string& url, const TransferSettings& s, HeaderList& headers,
                              char* error_buffer) {
  global_init_once();
  CurlHandle c(curl_easy_init());
  if (!c) return err(ErrorCode::kInternal, "libcurl could not start a transfer");
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, s.connect_timeout_s);
  // A stall: under 1 byte/s for stall_timeout_s seconds.
  curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_TIME, s.stall_timeout_s);
  curl_easy_setopt(c.get(), CURLOPT_USERAGENT, "corridorkey-cpp");
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  const char* ca = env_or_null("CURL_CA_BUNDLE");
  if (ca == nullptr) ca = env_or_null("SSL_CERT_FILE");
  if (ca != nullptr) curl_easy_setopt(c.get(), CURLOPT_CAINFO, ca);
  if (const char* dir = env_or_null("SSL_CERT_DIR")) curl_easy_setopt(c.get(), CURLOPT_CAPATH, dir);
  if (!s.token.empty()) {
    // A custom Authorization header is not sent on to another host after a redirect (libcurl
    // drops it unless CURLOPT_UNRESTRICTED_AUTH), so signed CDN addresses never see the token.
    headers.reset(curl_slist_append(headers.release(), ("Authorization: Bearer " + s.token).c_str()));
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  }
  return c;
}

Error transfer_error(CURLcode code, const char* error_buffer, const std::string& url, const TransferSettings& s) {
  std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  if (code == CURLE_OPERATION_TIMEDOUT) {
    detail = "no data for " + std::to_string(s.stall_timeout_s) + " s, the server stalled (" + detail + ")";
  }
  return err(ErrorCode::kNetwork, "download of ", url, " failed: ", detail);
}

long response_code(CURL* c) {
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

struct TextSink {
  std::string body;
  size_t max_bytes;
};

size_t write_text(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<TextSink*>(user);
  if (sink->body.size() + size * count > sink->max_bytes) return 0;
  sink->body.append(data, size * count);
  return size * count;
}

struct FileTransfer {
  CURL* curl = nullptr;
  FileSink* sink = nullptr;
  uint64_t offset = 0;
  uint64_t written = 0;
  AppendedBody result;
  Status write_status = ok_status();
  const std::function<void(uint64_t, uint64_t)>* progress = nullptr;
};

// Headers of every response in the redirect chain arrive here; the last one's count.
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<FileTransfer*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) t->result.linked_etag.clear();
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (name == "x-linked-etag") {
      std::string value = line.substr(colon + 1);
      std::string hex;
      for (char ch : value) {
        if (std::isxdigit(static_cast<unsigned char>(ch))) hex += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      t->result.linked_etag = hex;
    }
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<FileTransfer*>(user);
  const long status = response_code(t->curl);
  if (status >= 400) return size * count;  // an error page: read and dropped
  if (t->offset > 0 && status == 200) {    // the range was ignored: start again, append nothing
    t->result.restart_needed = true;
    return 0;
  }
  t->write_status = t->sink->write(data, size * count);
  if (!t->write_status.ok()) return 0;
  t->written += size * count;
  return size * count;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<FileTransfer*>(user);
  if (total > 0) t->result.total_size = t->offset + static_cast<uint64_t>(total);
  if (*t->progress) (*t->progress)(t->offset + t->written, t->result.total_size);
  return 0;
}

}  // namespace

Result<FetchedText> fetch_text(const std::string& url, const TransferSettings& settings, size_t max_bytes) {
  char error_buffer[CURL_ERROR_SIZE] = {};
  HeaderList headers;
  CK_ASSIGN(CurlHandle c, new_handle(url, settings, headers, error_buffer));
  TextSink sink{{}, max_bytes};
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, write_text);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
  const CURLcode code = curl_easy_perform(c.get());
  if (code == CURLE_WRITE_ERROR) {
    return err(ErrorCode::kFormat, url, " is larger than ", max_bytes, " bytes; it is not a checksum file");
  }
  if (code != CURLE_OK) return transfer_error(code, error_buffer, url, settings);
  return FetchedText{response_code(c.get()), std::move(sink.body)};
}

Result<AppendedBody> append_from(const std::string& url, uint64_t offset, FileSink& sink, const TransferSettings& settings,
                                 const std::function<void(uint64_t, uint64_t)>& progress) {
  char error_buffer[CURL_ERROR_SIZE] = {};
  HeaderList headers;
  CK_ASSIGN(CurlHandle c, new_handle(url, settings, headers, error_buffer));
  FileTransfer t;
  t.curl = c.get();
  t.sink = &sink;
  t.offset = offset;
  t.progress = &progress;
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, &t);
  if (offset > 0) curl_easy_setopt(c.get(), CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(offset));
  const CURLcode code = curl_easy_perform(c.get());
  t.result.http_status = response_code(c.get());
  if (!t.write_status.ok()) return t.write_status.error();
  // libcurl reports a 200 answer to a range as CURLE_RANGE_ERROR, and takes a 416 for "already
  // complete"; either way the partial file cannot be trusted to continue.
  if (t.result.restart_needed || (offset > 0 && (t.result.http_status == 416 || code == CURLE_RANGE_ERROR))) {
    t.result.restart_needed = true;
    return t.result;
  }
  if (code != CURLE_OK) return transfer_error(code, error_buffer, url, settings);
  return t.result;
}

}  // namespace ck
