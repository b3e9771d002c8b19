// Files that appear together or not at all: a frame's Matte, FG, Processed and Comp, or a
// single file. Each file is written to a registered temporary beside its target (see
// pending_outputs.hpp), checked and synced; commit() renames them all into place and syncs
// their folders. If anything fails, nothing of the set is left: temporaries are removed, and
// files already renamed by a failing commit are removed again.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "corridorkey/durable_file.hpp"
#include "corridorkey/status.hpp"

namespace ck {

class OutputSet {
 public:
  OutputSet() = default;
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;
  ~OutputSet();  // removes the temporaries of a set that was not committed

  // Writes the file that will become `path`. Safe to call from several threads at once.
  Status add(const std::string& path, const std::function<Status(FileSink&)>& write);
  // Renames every added file into place; all or none.
  Status commit();

 private:
  struct Staged {
    std::string temporary, target;
  };
  void discard();
  std::mutex mutex_;
  std::vector<Staged> staged_;
};

}  // namespace ck

#pragma GCC visibility pop
