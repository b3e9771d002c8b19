// corridorkey serve: the keying station in a browser, served by the engine itself
// (serve/keying_station.hpp, serve/station_http.hpp).
#include <iostream>

#include "commands.hpp"
#include "serve/keying_station.hpp"
#include "serve/station_http.hpp"

namespace ck::cli {

namespace {

struct ServeOptions {
  std::string root = ".", checkpoint;
  HttpOptions http;
  EngineOptions engine;
};

Status run(ServeOptions o) {
  CK_TRY(check_engine_flags(o.engine));
  if (!is_loopback(o.http.bind) && o.http.token.empty()) {
    return err(ErrorCode::kInvalidArgument, "serving on ", o.http.bind,
               " (beyond this machine) needs an access token: give --token");
  }
  CK_ASSIGN(const std::string checkpoint, resolve_checkpoint(o.checkpoint));
  CK_ASSIGN(auto station, KeyingStation::open({o.root, checkpoint, o.engine}));
  release_free_heap_memory();
  return serve_station(*station, o.http, [&](const std::string& url) {
    std::cout << "corridorkey serve: keying station at " << url << " (clips under " << o.root
              << "; Ctrl-C stops it, keeping every finished frame)" << std::endl;
  });
}

}  // namespace

void add_serve_command(CLI::App& app, std::function<int()>& run_fn) {
  auto o = std::make_shared<ServeOptions>();
  o->engine.img_size = 1024;  // interactive: a frame in seconds on a CPU; --img-size 2048 for the trained size
  CLI::App* cmd = app.add_subcommand("serve", "A keying station in the browser: scrub clips, tune the key by eye, key ranges");
  cmd->add_option("--root", o->root, "the folder of clips served (only files under it are read or written)")
      ->capture_default_str();
  cmd->add_option("--port", o->http.port, "port (0: any free one)")->check(CLI::Range(0, 65535))->capture_default_str();
  cmd->add_option("--bind", o->http.bind, "address to listen on; beyond loopback needs --token")->capture_default_str();
  cmd->add_option("--token", o->http.token, "access token every API call must carry (page: URL ?token=...)");
  cmd->add_option("--checkpoint", o->checkpoint, "weights: .pth or safetensors (default: $CORRIDORKEY_CHECKPOINT)");
  add_engine_options(*cmd, o->engine);
  cmd->callback([o, &run_fn] { run_fn = exit_code_of("serve", [o] { return run(*o); }); });
}

}  // namespace ck::cli
