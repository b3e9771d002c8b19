// The keying station's confinement: every file it reads or writes lies under its root, by
// the path's real location (symbolic links followed), so neither `..` nor a link can reach
// outside it.
#pragma once

#include <filesystem>
#include <string>

#include "corridorkey/status.hpp"

namespace ck::cli {

class RootGuard {
 public:
  // The root must be an existing folder.
  static Result<RootGuard> open(const std::string& root);

  const std::filesystem::path& root() const { return root_; }
  // A clip folder of the root by its name: one path component, no `..`, a folder whose real
  // location is under the root; else an error saying which.
  Result<std::filesystem::path> clip_folder(const std::string& name) const;
  // Refuses `path` (existing or not) whose real location is outside the root.
  Status check_inside(const std::filesystem::path& path) const;
  // Refuses a clip any of whose files or folders (Input, AlphaHint, Output and what they
  // hold) leads outside the root.
  Status check_clip_tree(const std::filesystem::path& clip) const;

 private:
  std::filesystem::path root_;  // canonical
};

}  // namespace ck::cli
