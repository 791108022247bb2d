// `senti serve`: the web page and the HTTP API on one port. SIGINT / SIGTERM stop accepting
// connections, let in-flight requests finish, and exit 0.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "cli.h"
#include "serve/server.h"
#include "util/log.h"

namespace senti::cli {

namespace {
struct ServeArgs {
  CommonOptions common;
  ModelOptions model;
  serve::ServeOptions serve;
};

int run(ServeArgs& a) {
  a.serve.threads = apply_common_options(a.common);
  a.serve.model_dir = a.model.resolve_model_dir();
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
  cmd->add_option("--max-body", s.max_body, "Largest request body in bytes; larger ones are answered 413")->capture_default_str();
  cmd->add_option("--http-threads", s.http_threads, "Connections served at once")->capture_default_str();
  cmd->add_option("--api-key", s.api_key, "Require \"Authorization: Bearer KEY\" on /api/* and /predict (default: none; "
                                          "also read from $SENTI_API_KEY)")->envname("SENTI_API_KEY");
  cmd->add_option("--flag-file", s.flag_file, "CSV file the Flag button appends to (default: flagged.csv in the model folder)");
  add_common_options(*cmd, a->common);
  return [a] { return run(*a); };
}

}  // namespace senti::cli
