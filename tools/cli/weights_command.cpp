// corridorkey weights download|verify|path|list: the weights fetched into the per-user cache,
// checked against their published SHA-256, and found there by every command that needs them.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "corridorkey/engine.hpp"
#include "corridorkey/weights_download.hpp"
#include "corridorkey/weights_files.hpp"

namespace ck::cli {

namespace {

namespace fs = std::filesystem;

struct WeightsOptions {
  std::string name = "official", url, cache_dir, sha256, file;
  bool force = false, print_path = false, no_progress = false;
  long stall_timeout_s = 60;
};

Result<WeightsAsset> chosen_asset(const WeightsOptions& o) {
  return o.url.empty() ? find_known_weights(o.name) : weights_at_url(o.url);
}

std::string mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// A progress bar on stderr, redrawn at most ten times a second.
class ProgressBar {
 public:
  void operator()(uint64_t done, uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100) && (total == 0 || done < total)) return;
    last_ = now;
    if (!drawn_) first_ = done;  // a resumed download's earlier bytes are not this run's speed
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done - first_) / seconds / (1 << 20) : 0.0;
    std::string bar;
    if (total > 0) {
      const int filled = static_cast<int>(30.0 * static_cast<double>(done) / static_cast<double>(total));
      bar = "[" + std::string(filled, '#') + std::string(30 - std::min(filled, 30), '.') + "] " +
            std::to_string(done * 100 / total) + "% " + mib(done) + " of " + mib(total);
    } else {
      bar = mib(done);
    }
    char speed[32];
    std::snprintf(speed, sizeof speed, "  %.1f MiB/s", rate);
    std::cerr << "\r" << bar << speed << "   " << std::flush;
    drawn_ = true;
  }
  ~ProgressBar() {
    if (drawn_) std::cerr << "\n";
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
  uint64_t first_ = 0;
  bool drawn_ = false;
};

Status download(const WeightsOptions& o) {
  CK_ASSIGN(const WeightsAsset asset, chosen_asset(o));
  DownloadOptions d;
  d.cache_dir = o.cache_dir;
  d.force = o.force;
  d.stall_timeout_s = o.stall_timeout_s;
  d.warn = [](const std::string& w) { std::cerr << "corridorkey weights: warning: " << w << "\n"; };
  ProgressBar bar;
  if (!o.no_progress && isatty(STDERR_FILENO)) d.progress = [&bar](uint64_t done, uint64_t total) { bar(done, total); };
  if (!o.print_path) std::cerr << "downloading " << asset.url << "\n";
  CK_ASSIGN(const DownloadResult r, download_weights(asset, d));
  std::error_code ec;
  const uint64_t size = fs::file_size(r.path, ec);
  if (o.print_path) {
    std::cout << r.path << "\n";
    return ok_status();
  }
  std::cout << (r.already_cached ? "already cached: " : "downloaded: ") << r.path << " (" << mib(size) << ")\n"
            << "sha256 " << r.sha256 << " "
            << (r.checksum_source.empty() ? "(no checksum published: unverified)"
                                          : "(verified against " + r.checksum_source + ")")
            << (r.resumed_from > 0 ? ", resumed from " + mib(r.resumed_from) : "") << "\n";
  return ok_status();
}

Status show_path(const WeightsOptions& o) {
  CK_ASSIGN(const WeightsAsset asset, chosen_asset(o));
  CK_ASSIGN(const std::string cache_dir, weights_cache_dir(o.cache_dir));
  const std::string path = cached_weights_path(asset, cache_dir);
  if (!fs::exists(path)) {
    return err(ErrorCode::kIo, path, " is not there yet: corridorkey weights download ",
               o.url.empty() ? asset.name : "--url " + o.url);
  }
  std::cout << path << "\n";
  return ok_status();
}

Status list(const WeightsOptions& o) {
  CK_ASSIGN(const std::string cache_dir, weights_cache_dir(o.cache_dir));
  std::cout << "cache: " << cache_dir << "\n";
  for (const WeightsAsset& w : known_weights()) {
    const std::string path = cached_weights_path(w, cache_dir);
    std::cout << "\n" << w.name << ": " << w.description << "\n  from " << w.url << "\n  "
              << (fs::exists(path) ? "cached at " + path : std::string("not downloaded")) << "\n";
  }
  return ok_status();
}

// Checks a weights file: its SHA-256 against the one given or recorded at download, then that
// it loads as the network.
Status verify(const WeightsOptions& o) {
  std::string path = o.file;
  if (path.empty() || !fs::exists(path)) {
    Result<WeightsAsset> asset = path.empty() ? chosen_asset(o) : find_known_weights(path);
    if (!asset.ok()) return err(ErrorCode::kIo, "no file or known weights named '", path, "'");
    CK_ASSIGN(const std::string cache_dir, weights_cache_dir(o.cache_dir));
    path = cached_weights_path(asset.value(), cache_dir);
    if (!fs::exists(path)) return err(ErrorCode::kIo, path, " is not there: corridorkey weights download ", asset->name);
  }
  CK_ASSIGN(const std::string digest, file_sha256(path));
  const std::optional<std::string> expected = o.sha256.empty() ? recorded_sha256(path) : std::optional(o.sha256);
  if (expected && *expected != digest) {
    return err(ErrorCode::kFormat, path, ": SHA-256 ", digest, " does not match the expected ", *expected,
               " (download it again with --force)");
  }
  std::cout << path << "\nsha256 " << digest << (expected ? " (matches)" : " (no checksum given or recorded)") << "\n";
  EngineOptions small;
  small.img_size = 64;
  CK_ASSIGN(const auto engine, Engine::create(path, small));
  std::cout << "loads as the CorridorKey network: ok\n";
  return ok_status();
}

}  // namespace

void add_weights_command(CLI::App& app, std::function<int()>& run_fn) {
  auto o = std::make_shared<WeightsOptions>();
  CLI::App* cmd = app.add_subcommand("weights", "Download, verify and find the weights (a per-user cache)");
  cmd->require_subcommand(1);
  auto add_choice = [o](CLI::App* sub) {
    sub->add_option("name", o->name, "which weights (see `weights list`)")->capture_default_str();
    sub->add_option("--url", o->url, "a file on any server instead (a studio mirror), verified against URL.sha256");
    sub->add_option("--cache-dir", o->cache_dir, "the cache folder (default: $CORRIDORKEY_CACHE_DIR, else the platform's)");
  };
  CLI::App* dl = cmd->add_subcommand("download", "Download weights into the cache (resumed, verified)");
  add_choice(dl);
  dl->add_flag("--force", o->force, "download again even when a verified copy is cached");
  dl->add_flag("--print-path", o->print_path, "print only the cached file's path (for scripts)");
  dl->add_flag("--no-progress", o->no_progress, "no progress bar");
  dl->add_option("--stall-timeout", o->stall_timeout_s, "seconds without data before giving up")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  dl->callback([o, &run_fn] { run_fn = exit_code_of("weights download", [o] { return download(*o); }); });

  CLI::App* path = cmd->add_subcommand("path", "Print where weights are cached (exit 1 if not downloaded)");
  add_choice(path);
  path->callback([o, &run_fn] { run_fn = exit_code_of("weights path", [o] { return show_path(*o); }); });

  CLI::App* ls = cmd->add_subcommand("list", "List the known weights and what is cached");
  ls->add_option("--cache-dir", o->cache_dir, "the cache folder");
  ls->callback([o, &run_fn] { run_fn = exit_code_of("weights list", [o] { return list(*o); }); });

  CLI::App* check = cmd->add_subcommand("verify", "Check a weights file (or cached weights) and its SHA-256");
  check->add_option("file", o->file, "a weights file, or the name of cached weights (default: official)");
  check->add_option("--sha256", o->sha256, "the expected SHA-256 (default: the one recorded at download)");
  check->add_option("--cache-dir", o->cache_dir, "the cache folder");
  check->callback([o, &run_fn] { run_fn = exit_code_of("weights verify", [o] { return verify(*o); }); });
}

}  // namespace ck::cli
