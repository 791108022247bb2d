// `senti serve`: the web page and the HTTP API on one port. SIGINT / SIGTERM stop accepting
// connections, let in-flight requests finish (within --shutdown-timeout), and exit 0.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "cli.h"
#include "serve/server.h"
#include "util/log.h"

namespace senti::cli {

using serve::HttpLimits;

namespace {
struct ServeArgs {
  CommonOptions common;
  ModelOptions model;
  serve::ServeOptions serve;
};

int run(ServeArgs& a) {
  a.serve.threads = apply_common_options(a.common);
  a.serve.model_dir = a.model.resolve_model_dir();
  a.serve.dtype = a.model.dtype;
  a.serve.defaults = a.model.classify_options();
  // Signals go to one thread that asks the server to stop; block them everywhere else.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  serve::Server server(a.serve);
  const int port = server.bind();
  std::atomic<bool> done{false};
  std::thread signals([&] {
    timespec tick{0, 200 * 1000 * 1000};
    while (!done) {
      int sig = sigtimedwait(&set, nullptr, &tick);
      if (sig == SIGINT || sig == SIGTERM) {
        log::info(std::string(sig == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping; finishing requests in flight");
        server.stop();
        return;
      }
    }
  });
  const std::string host = a.serve.host == "0.0.0.0" ? "localhost" : a.serve.host;
  log::info("senti serve: http://" + host + ":" + std::to_string(port) + "/ (loading " + a.serve.model_dir + ")");
  try {
    server.run();
  } catch (...) {
    done = true;
    signals.join();
    throw;
  }
  done = true;
  signals.join();
  log::info("stopped");
  return kExitOk;
}
}  // namespace

Action register_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  serve::ServeOptions& s = a->serve;
  CLI::App* cmd = app.add_subcommand("serve", "Serve the web page and the HTTP API (POST /api/predict in the Hugging "
                                              "Face pipeline's shape, POST /predict as text-embeddings-inference, "
                                              "/health, /info, /metrics, /openapi.json)");
  add_model_options(*cmd, a->model);
  cmd->add_option("--host", s.host, "Address to listen on (0.0.0.0: every interface)")->capture_default_str();
  cmd->add_option("-p,--port", s.port, "Port to listen on (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--max-batch-tokens", s.max_batch_tokens, "Tokens per forward batch")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-wait-ms", s.max_wait_ms, "How long a request waits for others to batch with")->capture_default_str();
  cmd->add_option("--max-concurrent-requests", s.max_concurrent_requests,
                  "Prediction requests admitted at once; more are answered 429 with Retry-After")->capture_default_str();
  cmd->add_option("--max-inputs", s.max_inputs, "Texts per request; more are answered 413")->capture_default_str();
  cmd->add_option("--max-explain-inputs", s.max_explain_inputs,
                  "Texts per request that asks for explanations; more are answered 413")
      ->capture_default_str();
  cmd->add_option("--max-explain-work", s.max_explain_work,
                  "Work one explanation request may cost, in token-passes (tokens x integrated-gradients steps, or "
                  "x words for occlusion); more is answered 413. Requests are admitted while the work queued is at most "
                  "this much, so none waits behind more than one such budget; others are answered 429")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-body", s.max_body, "Largest request body in bytes, chunked or not; larger ones are answered 413")
      ->capture_default_str();
  cmd->add_option("--http-threads", s.http_threads,
                  "Worker threads: requests that compute (predict, explain, flag) at once. Connections do not take a "
                  "thread: idle and slow ones cost a socket")
      ->capture_default_str()->check(CLI::PositiveNumber);
  HttpLimits& h = s.http;
  cmd->add_option("--max-connections", h.max_connections,
                  "Connections open at once (lowered to fit the open-files limit); more are answered 503")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-connections-per-client", h.max_connections_per_client,
                  "Connections open at once from one client address; more are answered 503")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--header-timeout", h.header_timeout_s,
                  "Seconds a request may take from its first byte to the end of its headers (total, not per "
                  "line); then 408 and the connection closes")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--body-timeout", h.body_timeout_s, "Seconds a request body may take to arrive (total); then 408")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--keep-alive-timeout", h.keep_alive_s, "Seconds an idle keep-alive connection stays open")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-header-bytes", h.max_header_bytes, "Largest request line + headers in bytes; larger get 431")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-header-fields", h.max_header_fields, "Most header fields in a request; more get 431")
      ->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--shutdown-timeout", h.shutdown_timeout_s,
                  "After SIGTERM/SIGINT, seconds to finish answers in flight; then the server exits whatever the "
                  "clients do")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--api-key", s.api_key, "Require \"Authorization: Bearer KEY\" on /api/* and /predict (default: none; "
                                          "also read from $SENTI_API_KEY)")->envname("SENTI_API_KEY");
  cmd->add_option("--flag-file", s.flag_file, "CSV file the Flag button appends to (default: flagged.csv in the model folder)");
  add_common_options(*cmd, a->common);
  return [a] { return run(*a); };
}

}  // namespace senti::cli
