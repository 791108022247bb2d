// `senti serve`: one process serving the web page (web/, embedded) and the JSON API over HTTP
// (the event-driven layer in http.h), requests batched dynamically on one inference thread.
// Owns routing, request limits, the explanation budget, authentication, request logging and
// metrics; the JSON shapes live in api.h, the batching in batcher.h, explanations in
// senti/explainer.h. Loading happens in the background: /health answers 503 until then.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "senti/classifier.h"
#include "serve/http.h"

namespace senti::serve {

struct PredictRequest;

struct ServeOptions {
  std::string model_dir;
  std::string host = "127.0.0.1";
  int port = 7860;                         // 0 = any free port (see Server::bind)
  int threads = 0;                         // inference threads; 0 = $SENTI_THREADS, else all
  std::string dtype = "f32";               // compute type of the linear layers (LoadOptions::dtype)
  int http_threads = 128;                  // worker threads: requests computed at once (not connections)
  size_t max_body = 2u << 20;              // bytes, chunked or not; larger bodies get 413
  HttpLimits http;                         // deadlines, header and connection caps (workers, max_body: above)
  size_t max_explain_work = 32768;         // token-passes one explanation request may cost (413 above)
  size_t max_batch_tokens = 16384;         // tokens per forward batch
  double max_wait_ms = 2;                  // how long a request waits for others to batch with
  size_t max_concurrent_requests = 512;    // admitted prediction requests; more get 429
  size_t max_inputs = 256;                 // texts per request; more get 413
  size_t max_explain_inputs = 16;          // texts per request asking for explanations; more get 413
  std::string api_key;                     // non-empty: /api/* and /predict need "Bearer <key>"
  std::string flag_file;                   // empty: flagged.csv in the model folder
  ClassifyOptions defaults;                // truncation, window, ... unless a request says otherwise
  // Tests only: called in every prediction handler after parsing; may throw to simulate a fault.
  std::function<void(const PredictRequest&)> test_hook;
  // Tests only: called on the loading thread before the model loads.
  std::function<void()> test_load_hook;
};

class Server {
 public:
  explicit Server(ServeOptions options);
  ~Server();
  // Binds the listening socket and returns the port. Throws senti::Error when it cannot.
  int bind();
  // Loads the model in the background and serves until stop(); then finishes the requests in
  // flight and returns. Throws senti::Error when the model cannot be loaded.
  void run();
  // Stops accepting connections; run() returns once in-flight requests are answered.
  // Thread-safe and idempotent (not async-signal-safe: call it from a normal thread).
  void stop();
  bool ready() const;
  // Loads the model now, on this thread (run() then does not load it again). Throws senti::Error.
  void load();
  // Answers one request in-process, as a connection would, without a socket (the fuzz target
  // of the whole request path uses it). Blocks while it computes; thread-safe.
  HttpResponse respond(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace senti::serve
