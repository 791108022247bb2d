// Fuzzes the whole request path of `senti serve` in-process: any bytes are parsed as an HTTP
// request with the server's limits (http.h), answered by the routes with a tiny model loaded
// (server.h), and serialized as a connection would send them. Whatever the bytes: a status
// from 200 to 599, a JSON error body for every 4xx/5xx, a Content-Length that matches, and
// the process alive.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "serve/http.h"
#include "serve/server.h"

using namespace senti::serve;

namespace {
Server& server() {
  static Server* s = [] {
    ServeOptions o;
    o.model_dir = std::string(SENTI_SOURCE_DIR) + "/tests/fixtures/models/tiny-2label";
    o.flag_file = "/tmp/senti-fuzz-flags.csv";
    o.threads = 1;
    o.max_wait_ms = 0;
    o.max_explain_work = 20000;
    auto* server = new Server(o);
    server->load();
    return server;
  }();
  return *s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  HttpLimits limits;
  limits.max_body = 1 << 16;
  HttpRequest req;
  std::string error;
  HttpResponse res;
  if (int status = parse_request(std::string_view(reinterpret_cast<const char*>(data), size), limits, req, error)) {
    if (status != 400 && status != 413 && status != 431) std::abort();
    if (error.empty()) std::abort();
    res.status = status;
    res.body = "{}";
  } else {
    res = server().respond(req);
  }
  if (res.status < 200 || res.status > 599) std::abort();
  if (res.status >= 400 && res.content_type == "application/json") {
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (j.is_discarded() || (res.body != "{}" && !j.contains("error"))) std::abort();
  }
  const size_t body = res.body.size();
  std::string bytes = serialize_response(res, req.method == "HEAD", true);
  if (bytes.find("Content-Length: " + std::to_string(body) + "\r\n") == std::string::npos) std::abort();
  return 0;
}
