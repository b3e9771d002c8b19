// A small HTTP/1.1 server on 127.0.0.1 for the download tests: files with or without range
// support, redirects, error statuses, a connection cut once mid-body, and a server that
// stalls. One connection at a time (the downloader makes one at a time), each closed after
// its response. Every request's path and Range header are recorded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ck::test {

struct Route {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Location", "/elsewhere"}
  bool ranges = true;              // answer "Range: bytes=N-" with 206
  size_t cut_after = std::string::npos;  // first answer only: close after this many body bytes
  bool stall = false;              // send half the body, then nothing until the client leaves
};

// A route answering `status` with `body` (and `headers`), no cut, no stall.
inline Route reply(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Route r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

struct RecordedRequest {
  std::string path;
  std::string range;  // the Range header's value, or ""
};

class LoopbackHttpServer {
 public:
  LoopbackHttpServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 8);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }

  void route(const std::string& path, Route r) {
    std::lock_guard<std::mutex> lock(mutex_);
    routes_[path] = std::move(r);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<RecordedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  // The requests for one path.
  std::vector<RecordedRequest> requests_for(const std::string& path) const {
    std::vector<RecordedRequest> matching;
    for (const RecordedRequest& r : requests()) {
      if (r.path == path) matching.push_back(r);
    }
    return matching;
  }

 private:
  bool wait_readable(int fd) const {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void send_all(int fd, const char* data, size_t size) const {
    while (size > 0) {
      const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n <= 0) return;
      data += n;
      size -= static_cast<size_t>(n);
    }
  }

  void serve() {
    while (wait_readable(listener_)) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      answer(fd);
      ::close(fd);
    }
  }

  void answer(int fd) {
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      if (!wait_readable(fd)) return;
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      request.append(buffer, static_cast<size_t>(n));
    }
    const size_t path_start = request.find(' ') + 1;
    RecordedRequest seen{request.substr(path_start, request.find(' ', path_start) - path_start), ""};
    const size_t range_at = request.find("\r\nRange: ");
    if (range_at != std::string::npos) {
      const size_t value = range_at + 9;
      seen.range = request.substr(value, request.find("\r\n", value) - value);
    }
    Route r;
    bool first_answer = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(seen);
      const auto found = routes_.find(seen.path);
      if (found == routes_.end()) {
        r.status = 404;
        r.body = "not found";
      } else {
        r = found->second;
        first_answer = answered_[seen.path]++ == 0;
      }
    }
    int status = r.status;
    std::string body = r.body, extra;
    if (status == 200 && r.ranges && seen.range.rfind("bytes=", 0) == 0) {
      const size_t from = std::stoul(seen.range.substr(6));
      if (from >= r.body.size()) {
        status = 416;
        body.clear();
        extra = "Content-Range: bytes */" + std::to_string(r.body.size()) + "\r\n";
      } else {
        status = 206;
        body = r.body.substr(from);
        extra = "Content-Range: bytes " + std::to_string(from) + "-" + std::to_string(r.body.size() - 1) + "/" +
                std::to_string(r.body.size()) + "\r\n";
      }
    }
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" + extra;
    if (r.ranges) head += "Accept-Ranges: bytes\r\n";
    for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    send_all(fd, head.data(), head.size());
    if (r.stall) {
      send_all(fd, body.data(), body.size() / 2);
      // Nothing more: wait for the client to give up (its end closes) or the test to end.
      while (wait_readable(fd)) {
        if (::recv(fd, buffer, sizeof buffer, 0) <= 0) return;
      }
      return;
    }
    const size_t sent = first_answer && r.cut_after < body.size() ? r.cut_after : body.size();
    send_all(fd, body.data(), sent);
  }

  static std::string reason(int status) {
    switch (status) {
      case 200: return "OK";
      case 206: return "Partial Content";
      case 302: return "Found";
      case 404: return "Not Found";
      case 416: return "Range Not Satisfiable";
      default: return "Status";
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::map<std::string, Route> routes_;
  std::map<std::string, int> answered_;
  std::vector<RecordedRequest> requests_;
};

}  // namespace ck::test
