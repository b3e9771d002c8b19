// The keying station over HTTP (cpp-httplib): the page, its JSON API, the views as raw RGBA
// and job progress as server-sent events, behind the checks every request passes: its Host
// is the station's own, a request from another origin is refused, and with a token (needed
// to bind beyond loopback) every API call must carry it.
#pragma once

#include <functional>
#include <string>

#include "serve/keying_station.hpp"

namespace ck::cli {

struct HttpOptions {
  std::string bind = "127.0.0.1";
  int port = 8765;     // 0: any free port
  std::string token;   // empty: none (loopback only)
};

bool is_loopback(const std::string& address);

// Serves until the process ends; `on_listening` gets the page's URL once the port is bound.
Status serve_station(KeyingStation& station, const HttpOptions& http,
                     const std::function<void(const std::string& url)>& on_listening);

}  // namespace ck::cli
