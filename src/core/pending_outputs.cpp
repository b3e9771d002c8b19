#include "corridorkey/pending_outputs.hpp"

#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <set>
#include <vector>

namespace ck {

namespace {

namespace fs = std::filesystem;

constexpr const char* kMarker = ".cktmp-";

bool g_abandoned = false;  // guarded by the registry's mutex

struct Registry {
  std::mutex mutex;
  std::set<std::string> temporaries;
  std::vector<std::string> created_directories;  // parents before children
  std::set<std::string> swept_directories;       // stale temporaries already removed there
  uint64_t next_seq = 0;
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: used until the process ends
  return *r;
}

std::mutex& commit_mutex() {
  static std::mutex* m = new std::mutex();
  return *m;
}

// The host name as it appears in temporary names: only [A-Za-z0-9_].
const std::string& host_token() {
  static const std::string token = [] {
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) != 0) return std::string("host");
    std::string t;
    for (const char* c = name; *c; ++c) t += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
    return t.empty() ? std::string("host") : t;
  }();
  return token;
}

struct TemporaryName {
  long pid = 0;
  std::string host;
};

// Parses `<target>.cktmp-<pid>-<seq>-<host>`; false for any other name.
bool parse_temporary(const std::string& name, TemporaryName& out) {
  const size_t at = name.rfind(kMarker);
  if (at == std::string::npos || at == 0) return false;
  const std::string rest = name.substr(at + std::char_traits<char>::length(kMarker));
  const size_t d1 = rest.find('-');
  const size_t d2 = d1 == std::string::npos ? d1 : rest.find('-', d1 + 1);
  if (d2 == std::string::npos || d1 == 0 || d2 == d1 + 1 || d2 + 1 >= rest.size()) return false;
  for (size_t i = 0; i < d2; ++i) {
    if (i != d1 && !std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
  }
  try {
    out.pid = std::stol(rest.substr(0, d1));
  } catch (...) {
    return false;
  }
  out.host = rest.substr(d2 + 1);
  return true;
}

bool process_is_gone(long pid) { return pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH); }

size_t sweep_locked(Registry& r, const std::string& dir) {
  size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir.empty() ? "." : dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string path = it->path().string();
    TemporaryName t;
    if (!parse_temporary(it->path().filename().string(), t) || t.host != host_token()) continue;
    if (r.temporaries.count(path)) continue;  // one of ours, in flight
    // Ours by pid but not registered: left by an earlier process that had this pid.
    if (t.pid != static_cast<long>(::getpid()) && !process_is_gone(t.pid)) continue;
    std::error_code rm;
    if (fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

}  // namespace

Result<FileSink> create_temporary_beside(const std::string& target) {
  Registry& r = registry();
  // The file is created under the lock, so that abandoning cannot miss one being made.
  const std::lock_guard<std::mutex> lock(r.mutex);
  if (g_abandoned) return err(ErrorCode::kIo, "not writing '", target, "': the run was interrupted");
  const std::string dir = fs::path(target).parent_path().string();
  if (r.swept_directories.insert(dir).second) sweep_locked(r, dir);
  const std::string tmp = target + kMarker + std::to_string(::getpid()) + "-" + std::to_string(r.next_seq++) + "-" +
                          host_token();
  CK_ASSIGN(FileSink sink, FileSink::create_new(tmp));
  r.temporaries.insert(tmp);
  return sink;
}

void forget_temporary(const std::string& path) {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  r.temporaries.erase(path);
}

std::unique_lock<std::mutex> lock_commits() { return std::unique_lock<std::mutex>(commit_mutex()); }

Status create_output_directories(const std::string& dir) {
  if (dir.empty()) return ok_status();
  // The missing ancestors, outermost first, so that they can be removed innermost first.
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path p = fs::absolute(dir, ec); !ec && !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.insert(missing.begin(), p);
    if (p == p.parent_path()) break;
  }
  for (const fs::path& p : missing) {
    // Created and recorded under one lock, so that abandoning cannot miss it.
    Registry& r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    if (g_abandoned) return err(ErrorCode::kIo, "not creating '", p.string(), "': the run was interrupted");
    if (fs::create_directory(p, ec)) r.created_directories.push_back(p.string());
    if (ec) return err(ErrorCode::kIo, "cannot create output directory '", p.string(), "': ", ec.message());
  }
  if (!fs::is_directory(dir, ec)) return err(ErrorCode::kIo, "output path '", dir, "' is not a directory");
  return ok_status();
}

void remove_created_directories() {
  Registry& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  for (size_t i = r.created_directories.size(); i-- > 0;) {
    std::error_code ec;
    if (fs::is_empty(r.created_directories[i], ec) && !ec) fs::remove(r.created_directories[i], ec);
  }
  r.created_directories.clear();
}

size_t abandon_pending_outputs() {
  // Holding the commit lock for good: a set being renamed finishes first, none starts after.
  static std::unique_lock<std::mutex>* held = new std::unique_lock<std::mutex>(commit_mutex());
  (void)held;
  size_t removed = 0;
  {
    Registry& r = registry();
    const std::lock_guard<std::mutex> lock(r.mutex);
    g_abandoned = true;
    for (const std::string& tmp : r.temporaries) removed += ::unlink(tmp.c_str()) == 0 ? 1 : 0;
    r.temporaries.clear();
  }
  remove_created_directories();
  return removed;
}

}  // namespace ck
