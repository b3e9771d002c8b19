#include "corridorkey/output_set.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "corridorkey/pending_outputs.hpp"

namespace ck {

OutputSet::~OutputSet() { discard(); }

void OutputSet::discard() {
  const std::lock_guard<std::mutex> lock(mutex_);
  for (const Staged& s : staged_) {
    ::unlink(s.temporary.c_str());
    forget_temporary(s.temporary);
  }
  staged_.clear();
}

Status OutputSet::add(const std::string& path, const std::function<Status(FileSink&)>& write) {
  CK_ASSIGN(FileSink sink, create_temporary_beside(path));
  const std::string tmp = sink.path();
  Status st = write(sink);
  if (st.ok()) st = sink.finish();
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    forget_temporary(tmp);
    return st;
  }
  const std::lock_guard<std::mutex> lock(mutex_);
  staged_.push_back({tmp, path});
  return ok_status();
}

Status OutputSet::commit() {
  const std::lock_guard<std::mutex> lock(mutex_);
  Status st = ok_status();
  {
    // Not interrupted by abandon_pending_outputs(): a signal waits for the whole set.
    const auto commits = lock_commits();
    size_t renamed = 0;
    for (; renamed < staged_.size(); ++renamed) {
      const Staged& s = staged_[renamed];
      if (std::rename(s.temporary.c_str(), s.target.c_str()) != 0) {
        st = err(ErrorCode::kIo, "cannot move the finished file into '", s.target, "': ", std::strerror(errno));
        break;
      }
      forget_temporary(s.temporary);
    }
    if (!st.ok()) {
      for (size_t i = 0; i < renamed; ++i) std::remove(staged_[i].target.c_str());
      for (size_t i = renamed; i < staged_.size(); ++i) {
        ::unlink(staged_[i].temporary.c_str());
        forget_temporary(staged_[i].temporary);
      }
    }
  }
  std::set<std::string> folders;
  for (const Staged& s : staged_) folders.insert(std::filesystem::path(s.target).parent_path().string());
  staged_.clear();
  CK_TRY(st);
  for (const std::string& folder : folders) CK_TRY(sync_directory(folder));
  return ok_status();
}

}  // namespace ck
