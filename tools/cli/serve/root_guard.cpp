#include "serve/root_guard.hpp"

#include <algorithm>

namespace ck::cli {

namespace fs = std::filesystem;

Result<RootGuard> RootGuard::open(const std::string& root) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical, ec)) return err(ErrorCode::kIo, "no folder '", root, "' to serve");
  RootGuard g;
  g.root_ = canonical;
  return g;
}

Status RootGuard::check_inside(const fs::path& path) const {
  std::error_code ec;
  // weakly_canonical follows every link of the part that exists.
  const fs::path real = fs::weakly_canonical(path, ec);
  if (ec) return err(ErrorCode::kIo, "cannot resolve '", path.string(), "': ", ec.message());
  const auto [root_end, real_it] = std::mismatch(root_.begin(), root_.end(), real.begin(), real.end());
  if (root_end != root_.end()) {
    return err(ErrorCode::kInvalidArgument, "'", path.string(), "' leads outside the served folder");
  }
  return ok_status();
}

Result<fs::path> RootGuard::clip_folder(const std::string& name) const {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos || name.find('\0') != std::string::npos) {
    return err(ErrorCode::kInvalidArgument, "'", name, "' is not a clip name (one folder of the served folder)");
  }
  const fs::path dir = root_ / name;
  CK_TRY(check_inside(dir));
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return err(ErrorCode::kIo, "no clip '", name, "'");
  return dir;
}

Status RootGuard::check_clip_tree(const fs::path& clip) const {
  std::error_code ec;
  for (const fs::directory_entry& top : fs::directory_iterator(clip, ec)) {
    CK_TRY(check_inside(top.path()));
    if (!top.is_directory()) continue;
    // What is read (Input, AlphaHint) is checked to its last file. Output's files are only
    // ever replaced by a rename, which replaces a link rather than following it, so its
    // folders (Matte, FG, ...) are what must not lead out.
    const bool outputs = top.path().filename() == "Output";
    for (auto it = fs::recursive_directory_iterator(top.path(), fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      CK_TRY(check_inside(it->path()));
      if (outputs) it.disable_recursion_pending();  // Output/Matte checked, its files not listed
    }
  }
  if (ec) return err(ErrorCode::kIo, "cannot list '", clip.string(), "': ", ec.message());
  return ok_status();
}

}  // namespace ck::cli
