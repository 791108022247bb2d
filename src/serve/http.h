// An event-driven HTTP/1.1 server on Boost.Beast (Asio). One I/O thread holds every connection,
// so an idle or slow client costs a socket and a few kilobytes, never a thread. It enforces the
// limits a hostile client probes: total deadlines for a request's headers and for its body,
// caps on header bytes and fields, on the body (chunked bodies counted as they arrive), on
// connections in total and per client address, and on keep-alive idle time; strict framing
// (one Content-Length of digits, pipelined requests answered in order). Handlers marked cheap
// run on the I/O thread (so /health answers while every worker computes); the others run on a
// fixed pool of worker threads. stop() drains within a deadline and then returns whatever the
// clients do. Knows nothing of routes, JSON or models: server.cpp does.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace senti::serve {

struct HttpLimits {
  size_t max_header_bytes = 16u << 10;    // request line + headers; more get 431
  size_t max_header_fields = 100;         // more get 431
  size_t max_body = 2u << 20;             // bytes, chunked or not; more get 413
  double header_timeout_s = 10;           // total, from a request's first byte to the end of its headers
  double body_timeout_s = 30;             // total, to receive a body
  double write_timeout_s = 30;            // total, to send an answer
  double keep_alive_s = 30;               // idle time allowed between requests on one connection
  size_t max_connections = 10000;         // open at once (lowered to fit the open-files limit); more get 503
  size_t max_connections_per_client = 4096;  // open at once from one client address; more get 503
  double shutdown_timeout_s = 10;         // after stop(), the longest run() waits for answers in flight
  int workers = 64;                       // threads that run the handlers that are not cheap
};

struct HttpRequest {
  std::string method, path, query, body;
  std::string client;  // the peer's address (no port)
  std::vector<std::pair<std::string, std::string>> headers;
  // The first header of that name (case-insensitive), or "" when there is none.
  std::string header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpHandlers {
  // Answers one complete request; must not throw (an exception becomes a plain 500).
  std::function<void(const HttpRequest&, HttpResponse&)> handle;
  // True: handle() runs on the I/O thread (it must be quick); false: on a worker.
  std::function<bool(const HttpRequest&)> cheap;
  // The body of an answer the HTTP layer gives itself (400, 408, 413, 431, 503).
  std::function<void(int status, const std::string& message, HttpResponse&)> error;
  // Called once per answer sent (or refused); `seconds` runs from the end of the headers.
  std::function<void(const HttpRequest&, const HttpResponse&, double seconds)> log;
};

struct HttpStats {
  size_t open_connections = 0;
  size_t refused_connections = 0;  // over a connection limit
  size_t timeouts = 0;             // header, body, write or keep-alive deadlines that closed a connection
};

// Parses one request from bytes as a connection does, with the same limits and checks: returns 0
// with `req` filled, or the status a connection would answer (400, 413, 431) with `error`
// saying why. Any bytes; for the fuzz target and tests.
int parse_request(std::string_view bytes, const HttpLimits& limits, HttpRequest& req, std::string& error);
// The bytes a connection sends for `res` (HEAD: headers only).
std::string serialize_response(HttpResponse res, bool head, bool keep_alive);

class Connection;

class HttpServer {
 public:
  HttpServer(HttpLimits limits, HttpHandlers handlers);
  ~HttpServer();
  // Listens (raising the open-files soft limit to the hard one first) and returns the port
  // (port 0: any free one). Throws senti::Error (kIo) when it cannot.
  int bind(const std::string& host, int port);
  // Serves until stop(); then answers what is in flight (for at most shutdown_timeout_s) and returns.
  void run();
  // Thread-safe and idempotent; may come before run().
  void stop();
  HttpStats stats() const;
  const HttpLimits& limits() const;

 private:
  struct Impl;
  friend class Connection;
  std::unique_ptr<Impl> impl_;
};

}  // namespace senti::serve
