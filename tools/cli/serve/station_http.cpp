#include "serve/station_http.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "serve/web_assets.hpp"

namespace ck::cli {

using nlohmann::json;

namespace {

// The statuses the page sees for the engine's errors: its argument, missing file, other.
int http_status(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFormat: return 400;
    case ErrorCode::kIo: return 404;
    default: return 500;
  }
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", message}}.dump(), "application/json");
}

void send(httplib::Response& res, const Result<std::string>& body) {
  if (!body.ok()) return send_error(res, http_status(body.error()), body.error().message);
  res.set_content(body.value(), "application/json");
}

// The request's JSON body, or an error naming what is wrong with it.
Result<json> body_of(const httplib::Request& req) {
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return err(ErrorCode::kInvalidArgument, "the request body is not a JSON object");
  return j;
}

Result<std::string> string_field(const json& j, const char* key) {
  if (!j.contains(key) || !j.at(key).is_string()) return err(ErrorCode::kInvalidArgument, "'", key, "' is missing");
  return j.at(key).get<std::string>();
}

Result<int64_t> integer_field(const json& j, const char* key) {
  if (!j.contains(key) || !j.at(key).is_number_integer()) {
    return err(ErrorCode::kInvalidArgument, "'", key, "' is missing or not a whole number");
  }
  return j.at(key).get<int64_t>();
}

// The Host values the station answers to: its own address, and loopback's names when bound there.
std::vector<std::string> allowed_hosts(const HttpOptions& http, int port) {
  const std::string p = ":" + std::to_string(port);
  std::vector<std::string> hosts{(http.bind.find(':') != std::string::npos ? "[" + http.bind + "]" : http.bind) + p};
  if (is_loopback(http.bind)) {
    for (const char* name : {"127.0.0.1", "localhost", "[::1]"}) hosts.push_back(name + p);
  }
  return hosts;
}

}  // namespace

bool is_loopback(const std::string& address) {
  return address == "127.0.0.1" || address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

Status serve_station(KeyingStation& station, const HttpOptions& http,
                     const std::function<void(const std::string& url)>& on_listening) {
  if (!is_loopback(http.bind) && http.token.empty()) {
    return err(ErrorCode::kInvalidArgument, "serving on ", http.bind,
               " (beyond this machine) needs an access token: give --token");
  }
  httplib::Server server;
  int port = http.port;

  // Every request: the station's own Host (no DNS rebinding), no other origin (no other
  // site's page driving it), and the token on API calls when there is one.
  server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    const std::string host = req.get_header_value("Host");
    const std::vector<std::string> hosts = allowed_hosts(http, port);
    if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
      send_error(res, 403, "host '" + host + "' is not this keying station");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Origin") && req.get_header_value("Origin") != "http://" + host) {
      send_error(res, 403, "requests from " + req.get_header_value("Origin") + " are refused");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "POST" && req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      send_error(res, 415, "POST bodies must be application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!http.token.empty() && req.path.rfind("/api/", 0) == 0) {
      const std::string given = req.has_header("X-Token") ? req.get_header_value("X-Token") : req.get_param_value("token");
      if (given != http.token) {
        send_error(res, 401, "this keying station needs its access token");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  for (const WebAsset& asset : web_assets()) {
    server.Get(asset.path, [&asset](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(asset.content), std::string(asset.content_type) + "; charset=utf-8");
      res.set_header("Cache-Control", "no-store");
    });
  }
  server.Get("/api/clips", [&](const httplib::Request&, httplib::Response& res) { send(res, station.list_clips()); });
  server.Get("/api/clip", [&](const httplib::Request& req, httplib::Response& res) {
    send(res, station.describe_clip(req.get_param_value("clip")));
  });
  server.Post("/api/preview", [&](const httplib::Request& req, httplib::Response& res) {
    send(res, [&]() -> Result<std::string> {
      CK_ASSIGN(const json body, body_of(req));
      CK_ASSIGN(const std::string clip, string_field(body, "clip"));
      CK_ASSIGN(const int64_t frame, integer_field(body, "frame"));
      if (!body.contains("settings")) return err(ErrorCode::kInvalidArgument, "'settings' is missing");
      CK_ASSIGN(const ClipSettings settings, parse_clip_settings(body.at("settings").dump(), "settings"));
      return station.preview(clip, frame, settings);
    }());
  });
  server.Get("/api/view", [&](const httplib::Request& req, httplib::Response& res) {
    const Result<DisplayImage> image = station.view(req.get_param_value("clip"), req.get_param_value("which"));
    if (!image.ok()) return send_error(res, http_status(image.error()), image.error().message);
    res.set_header("X-Width", std::to_string(image->width));
    res.set_header("X-Height", std::to_string(image->height));
    res.set_header("Cache-Control", "no-store");
    res.set_content(std::string(image->rgba.begin(), image->rgba.end()), "application/octet-stream");
  });
  server.Post("/api/jobs", [&](const httplib::Request& req, httplib::Response& res) {
    const Status st = [&]() -> Status {
      CK_ASSIGN(const json body, body_of(req));
      CK_ASSIGN(const std::string clip, string_field(body, "clip"));
      CK_ASSIGN(const int64_t first, integer_field(body, "first"));
      CK_ASSIGN(const int64_t last, integer_field(body, "last"));
      if (station.job_running(clip)) return err(ErrorCode::kUnsupported, "clip '", clip, "' is already being keyed");
      return station.start_job(clip, first, last);
    }();
    if (!st.ok()) {
      return send_error(res, st.error().code == ErrorCode::kUnsupported ? 409 : http_status(st.error()),
                        st.error().message);
    }
    res.set_content(R"({"started":true})", "application/json");
  });
  server.Post("/api/cancel", [&](const httplib::Request& req, httplib::Response& res) {
    const Status st = [&]() -> Status {
      CK_ASSIGN(const json body, body_of(req));
      CK_ASSIGN(const std::string clip, string_field(body, "clip"));
      return station.cancel_job(clip);
    }();
    if (!st.ok()) return send_error(res, http_status(st.error()), st.error().message);
    res.set_content(R"({"cancelling":true})", "application/json");
  });
  // Progress as server-sent events; a dropped page stops only its stream, never the job.
  server.Get("/api/events", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string clip = req.get_param_value("clip");
    int64_t after = req.has_param("after") ? std::atoll(req.get_param_value("after").c_str()) : 0;
    res.set_header("Cache-Control", "no-store");
    res.set_chunked_content_provider("text/event-stream", [&station, clip, after](size_t, httplib::DataSink& sink) mutable {
      const KeyingStation::JobEvents batch = station.job_events(clip, after, 5000);
      for (const JobEvent& e : batch.events) {
        const std::string message = "id: " + std::to_string(e.sequence) + "\ndata: " + e.json + "\n\n";
        if (!sink.write(message.data(), message.size())) return false;
        after = e.sequence;
      }
      if (batch.finished) {
        sink.done();
        return true;
      }
      if (batch.events.empty()) {
        static constexpr char kKeepAlive[] = ": keep-alive\n\n";
        if (!sink.write(kKeepAlive, sizeof kKeepAlive - 1)) return false;
      }
      return true;
    });
  });

  if (port == 0) {
    port = server.bind_to_any_port(http.bind);
    if (port < 0) return err(ErrorCode::kIo, "cannot listen on ", http.bind);
  } else if (!server.bind_to_port(http.bind, port)) {
    return err(ErrorCode::kIo, "cannot listen on ", http.bind, ":", port, " (in use, or not this machine's address)");
  }
  const std::string host = http.bind.find(':') != std::string::npos ? "[" + http.bind + "]" : http.bind;
  on_listening("http://" + host + ":" + std::to_string(port) + "/" + (http.token.empty() ? "" : "?token=" + http.token));
  if (!server.listen_after_bind()) return err(ErrorCode::kIo, "the keying station stopped listening");
  return ok_status();
}

}  // namespace ck::cli
