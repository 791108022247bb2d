// Implements server.h: cpp-httplib routes over the batcher, with JSON errors everywhere.
#include "serve/server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "senti/version.h"
#include "serve/api.h"
#include "serve/assets.h"
#include "serve/batcher.h"
#include "serve/flag_log.h"
#include "serve/metrics.h"
#include "util/error.h"
#include "util/log.h"

namespace senti::serve {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {
thread_local Clock::time_point request_start;  // set when a request's headers are read

const std::set<std::string> kApiRoutes = {"/api/predict", "/api/explain", "/api/flag",    "/predict",
                                          "/health",      "/info",        "/metrics",     "/openapi.json"};

std::string route_label(const std::string& path) {
  if (kApiRoutes.count(path)) return path;
  if (find_asset(path)) return "static";
  return "unmatched";
}

std::string iso_time_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool same_secret(const std::string& a, const std::string& b) {  // constant time in the length of b
  unsigned diff = a.size() != b.size();
  for (size_t i = 0; i < b.size(); ++i) diff |= static_cast<unsigned char>(i < a.size() ? a[i] : 0) ^ static_cast<unsigned char>(b[i]);
  return diff == 0;
}

void send_error(httplib::Response& res, int status, const std::string& type, const std::string& message) {
  res.status = status;
  res.set_content(error_body(message, type), "application/json");
}
}  // namespace

struct Server::Impl {
  ServeOptions o;
  httplib::Server http;
  Metrics metrics;
  std::unique_ptr<Classifier> classifier;
  std::unique_ptr<Explainer> explainer;  // null when the model cannot be explained (explainer_error says why)
  std::string explainer_error;
  std::unique_ptr<Batcher> batcher;
  std::unique_ptr<FlagLog> flags;
  std::atomic<bool> ready{false};
  std::atomic<size_t> in_flight{0};
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopping = false, listening_done = false;
  int listen_socket = -1;

  // Runs a handler, turning every failure into a JSON error; the server keeps serving.
  void guarded(const httplib::Request& req, httplib::Response& res, bool needs_key,
               const std::function<void()>& fn) {
    try {
      if (needs_key && !o.api_key.empty()) {
        const std::string auth = req.get_header_value("Authorization");
        if (auth.rfind("Bearer ", 0) != 0 || !same_secret(auth.substr(7), o.api_key)) {
          res.set_header("WWW-Authenticate", "Bearer");
          throw ApiError(401, "Unauthorized", "missing or wrong API key: send the header \"Authorization: Bearer <key>\"");
        }
      }
      fn();
    } catch (const ApiError& e) {
      if (e.status == 429 || e.status == 503) res.set_header("Retry-After", "1");
      send_error(res, e.status, e.type, e.what());
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kInvalidArgument) send_error(res, 422, "Validation", e.what());
      else send_error(res, 500, "Internal", e.what());
    } catch (const std::exception& e) {
      log::error(req.method + " " + req.path + ": " + e.what());
      send_error(res, 500, "Internal", std::string("internal error: ") + e.what());
    } catch (...) {
      send_error(res, 500, "Internal", "internal error");
    }
  }

  const Classifier& model() const {
    if (!ready) throw ApiError(503, "Unhealthy", "the model is still loading; retry in a moment");
    return *classifier;
  }

  // Admission first, so an overloaded server spends nothing on the request.
  struct Admit {
    std::atomic<size_t>& n;
    ~Admit() { --n; }
  };
  void admit() {
    if (in_flight.fetch_add(1) >= o.max_concurrent_requests)
      throw ApiError(429, "Overloaded", "too many requests in flight (" + std::to_string(o.max_concurrent_requests) +
                                            ", --max-concurrent-requests); retry shortly");
  }

  // Explanations run on the request's own thread (the Explainer serializes them), one per text.
  // Checked before any work is done, so a refused request costs nothing.
  void check_explainable(const PredictRequest& r) const {
    if (!explainer) throw ApiError(422, "Validation", "this model cannot be explained: " + explainer_error);
    if (r.inputs.size() > o.max_explain_inputs)
      throw ApiError(413, "Validation", "explanations are limited to " + std::to_string(o.max_explain_inputs) +
                                            " texts per request (--max-explain-inputs); this one has " +
                                            std::to_string(r.inputs.size()));
  }
  std::vector<Explanation> explain_all(const PredictRequest& r, const std::vector<std::vector<LabelScore>>* results) {
    check_explainable(r);
    std::vector<Explanation> out;
    for (size_t i = 0; i < r.inputs.size(); ++i) {
      ExplainOptions eo = r.explain_options;
      if (eo.label.empty() && results && !(*results)[i].empty()) eo.label = (*results)[i][0].label;
      out.push_back(explainer->explain(r.inputs[i], eo));
    }
    return out;
  }

  void explain(const httplib::Request& req, httplib::Response& res) {
    Admit admitted{in_flight};
    admit();
    model();
    PredictRequest r = parse_explain_request(req.body, o.max_inputs, o.defaults);
    if (o.test_hook) o.test_hook(r);
    res.set_content(explain_response(r, explain_all(r, nullptr)), "application/json");
  }

  void predict(const httplib::Request& req, httplib::Response& res, Dialect dialect) {
    Admit admitted{in_flight};
    admit();
    const Classifier& clf = model();
    PredictRequest r = dialect == Dialect::kTei ? parse_tei_request(req.body, o.max_inputs, o.defaults)
                                                : parse_pipeline_request(req.body, o.max_inputs, o.defaults);
    if (o.test_hook) o.test_hook(r);
    if (r.explain) check_explainable(r);
    std::vector<TokenizedText> tokenized;
    tokenized.reserve(r.inputs.size());
    size_t tokens = 0;
    for (size_t i = 0; i < r.inputs.size(); ++i) {
      tokenized.push_back(clf.tokenize(r.inputs[i], r.options));
      if (!r.truncate && tokenized.back().truncated > 0)
        throw too_long_error(i, tokenized.back().tokens + tokenized.back().truncated, clf.info().max_length);
      tokens += tokenized.back().tokens;
    }
    metrics.record_texts(tokenized.size(), tokens);
    auto logits = batcher->run(tokenized);
    std::vector<std::vector<LabelScore>> results;
    results.reserve(logits.size());
    for (const auto& l : logits) results.push_back(clf.scores_from_logits(l, r.options));
    std::vector<Explanation> explanations;
    if (r.explain) explanations = explain_all(r, &results);
    res.set_content(predict_response(r, results, explanations), "application/json");
  }

  void flag(const httplib::Request& req, httplib::Response& res) {
    const Classifier& clf = model();
    json j = json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw ApiError(422, "Validation", "the body must be a JSON object");
    auto input = j.find("input");
    if (input == j.end() || !input->is_string() || input->get<std::string>().empty())
      throw ApiError(422, "Validation", "\"input\" must be the non-empty text that was classified");
    std::string label, score, output;
    if (auto out = j.find("output"); out != j.end()) {
      output = out->dump(-1, ' ', false, json::error_handler_t::replace);
      const json* top = out->is_array() && !out->empty() ? &(*out)[0] : nullptr;
      if (top && top->is_array() && !top->empty()) top = &(*top)[0];
      if (top && top->is_object()) {
        if (auto l = top->find("label"); l != top->end() && l->is_string()) label = l->get<std::string>();
        if (auto s = top->find("score"); s != top->end() && s->is_number()) score = std::to_string(s->get<double>());
      }
    }
    std::string reason;
    if (auto f = j.find("flag"); f != j.end()) {
      if (!f->is_string()) throw ApiError(422, "Validation", "\"flag\" must be a string");
      reason = f->get<std::string>();
    }
    flags->append({iso_time_now(), input->get<std::string>(), label, score, output, reason, clf.info().path});
    res.set_content(json{{"flagged", true}, {"file", flags->path()}}.dump(), "application/json");
  }

  json info_json() const {
    json j = {{"version", SENTI_VERSION},
              {"ready", ready.load()},
              {"max_concurrent_requests", o.max_concurrent_requests},
              {"max_batch_tokens", o.max_batch_tokens},
              {"max_client_batch_size", o.max_inputs},
              {"max_wait_ms", o.max_wait_ms},
              {"max_explain_inputs", o.max_explain_inputs},
              {"auth", !o.api_key.empty()}};
    if (ready) {
      const ModelInfo& m = classifier->info();
      std::string id = m.path;
      while (id.size() > 1 && id.back() == '/') id.pop_back();
      if (auto slash = id.rfind('/'); slash != std::string::npos) id = id.substr(slash + 1);
      json id2label = json::object();
      for (size_t i = 0; i < m.labels.size(); ++i) id2label[std::to_string(i)] = m.labels[i];
      j.update({{"model_id", id},
                {"model_path", m.path},
                {"model_type", {{"classifier", {{"id2label", id2label}}}}},
                {"labels", m.labels},
                {"max_input_length", m.max_length},
                {"max_length", m.max_length},
                {"model_dtype", m.weights_dtype},
                {"dtype", m.weights_dtype},
                {"parameters", m.parameters},
                {"dim", m.dim},
                {"layers", m.layers},
                {"heads", m.heads},
                {"vocab_size", m.vocab_size},
                {"explain", explainer != nullptr}});
      if (!explainer) j["explain_error"] = explainer_error;
    }
    return j;
  }

  void routes() {
    auto api = [this](Dialect d) {
      return [this, d](const httplib::Request& req, httplib::Response& res) {
        guarded(req, res, true, [&] { predict(req, res, d); });
      };
    };
    http.Post("/api/predict", api(Dialect::kPipeline));
    http.Post("/predict", api(Dialect::kTei));
    http.Post("/api/explain", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, true, [&] { explain(req, res); });
    });
    http.Post("/api/flag", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, true, [&] { flag(req, res); });
    });
    for (const char* path : {"/api/predict", "/api/explain", "/predict", "/api/flag"}) {
      http.Get(path, [](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Allow", "POST");
        send_error(res, 405, "MethodNotAllowed", req.path + " takes POST with a JSON body");
      });
    }
    http.Get("/health", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, false, [&] {
        model();
        res.set_content(R"({"status":"ok"})", "application/json");
      });
    });
    http.Get("/info", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, false, [&] { res.set_content(info_json().dump(), "application/json"); });
    });
    http.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, false, [&] {
        res.set_content(metrics.render(ready ? batcher->queue_depth() : 0, in_flight.load(), ready),
                        "text/plain; version=0.0.4");
      });
    });
    http.Get(R"(/[A-Za-z0-9_.\-]*)", [](const httplib::Request& req, httplib::Response& res) {
      const Asset* a = find_asset(req.path);
      if (!a) return send_error(res, 404, "NotFound", "no such page: " + req.path);
      res.set_header("Cache-Control", "no-cache");
      res.set_content(a->data.data(), a->data.size(), std::string(a->content_type).c_str());
    });
    // Anything else that failed without a body (unknown route, body too large) gets JSON too.
    http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (res.status == 404) send_error(res, 404, "NotFound", "no route " + req.method + " " + req.path + "; see /openapi.json");
      else if (res.status == 413) send_error(res, 413, "Validation", "the body is larger than the limit (--max-body)");
      else send_error(res, res.status, "Http", "HTTP error " + std::to_string(res.status));
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      send_error(res, 500, "Internal", "internal error: " + what);
    });
    http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      request_start = Clock::now();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      const double s = std::chrono::duration<double>(Clock::now() - request_start).count();
      metrics.record_request(route_label(req.path), res.status, s);
      if (log::level() <= log::Level::kInfo) {
        char ms[32];
        std::snprintf(ms, sizeof ms, "%.1f ms", s * 1e3);
        log::info(req.remote_addr + " \"" + req.method + " " + req.path + "\" " + std::to_string(res.status) + " " +
                  std::to_string(res.body.size()) + " B " + ms);
      }
    });
  }
};

Server::Server(ServeOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.o = std::move(options);
  if (s.o.http_threads < 1) fail(ErrorCode::kInvalidArgument, "--http-threads must be at least 1");
  if (s.o.max_inputs < 1) fail(ErrorCode::kInvalidArgument, "--max-inputs must be at least 1");
  if (s.o.max_concurrent_requests < 1) fail(ErrorCode::kInvalidArgument, "--max-concurrent-requests must be at least 1");
  if (s.o.max_wait_ms < 0) fail(ErrorCode::kInvalidArgument, "--max-wait-ms must not be negative");
  const int http_threads = s.o.http_threads;
  s.http.new_task_queue = [http_threads] { return new httplib::ThreadPool(static_cast<size_t>(http_threads)); };
  s.http.set_payload_max_length(s.o.max_body);
  s.http.set_tcp_nodelay(true);
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would let a second
  // server bind the same port silently instead of failing.
  s.http.set_socket_options([&s](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    s.listen_socket = sock;
  });
  s.http.set_keep_alive_max_count(1000);
  s.http.set_read_timeout(30, 0);
  s.http.set_write_timeout(30, 0);
  std::string flag_file = s.o.flag_file.empty() ? s.o.model_dir + "/flagged.csv" : s.o.flag_file;
  s.flags = std::make_unique<FlagLog>(flag_file, std::vector<std::string>{"time", "input", "label", "score", "output",
                                                                          "flag", "model"});
  s.routes();
}

Server::~Server() { stop(); }

int Server::bind() {
  Impl& s = *impl_;
  int port = s.o.port == 0 ? s.http.bind_to_any_port(s.o.host) : (s.http.bind_to_port(s.o.host, s.o.port) ? s.o.port : -1);
  if (port < 0)
    fail(ErrorCode::kIo, "cannot listen on " + s.o.host + ":" + std::to_string(s.o.port) +
                             " (is the port in use, or the host not an address of this machine?)");
  // cpp-httplib listens with a backlog of 5, too short for bursts of connections (a dropped
  // handshake costs the client a one-second retransmit); raise it to the system's maximum.
  if (s.listen_socket >= 0) ::listen(s.listen_socket, SOMAXCONN);
  return port;
}

bool Server::ready() const { return impl_->ready; }

void Server::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.stop_mutex);
    s.stopping = true;
  }
  s.stop_cv.notify_all();
}

void Server::run() {
  Impl& s = *impl_;
  std::exception_ptr load_error;
  std::thread loader([&] {
    try {
      auto t0 = Clock::now();
      if (s.o.test_load_hook) s.o.test_load_hook();
      s.classifier = Classifier::load(s.o.model_dir, {s.o.threads});
      try {
        s.explainer = Explainer::load(s.o.model_dir, {s.o.threads});
      } catch (const Error& e) {
        s.explainer_error = e.what();
        log::warn(std::string("explanations are off: ") + e.what());
      }
      s.batcher = std::make_unique<Batcher>(*s.classifier, BatcherOptions{s.o.max_batch_tokens, s.o.max_wait_ms},
                                            [&s](const BatchInfo& b) { s.metrics.record_batch(b.requests, b.texts, b.tokens); });
      s.ready = true;
      char buf[64];
      std::snprintf(buf, sizeof buf, " in %.2f s", std::chrono::duration<double>(Clock::now() - t0).count());
      log::info("model " + s.classifier->info().path + " loaded" + buf + "; ready");
    } catch (...) {
      load_error = std::current_exception();
      stop();
    }
  });
  // stop() may come before listen starts: keep asking the server to stop until listen returns.
  std::thread stopper([&] {
    std::unique_lock<std::mutex> lock(s.stop_mutex);
    s.stop_cv.wait(lock, [&] { return s.stopping; });
    while (!s.listening_done) {
      lock.unlock();
      s.http.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      lock.lock();
    }
  });
  s.http.listen_after_bind();  // returns after stop(), once connections in progress are answered
  {
    std::lock_guard<std::mutex> lock(s.stop_mutex);
    s.listening_done = true;
    s.stopping = true;
  }
  s.stop_cv.notify_all();
  stopper.join();
  loader.join();
  s.ready = false;
  s.batcher.reset();  // drains the queue
  if (load_error) std::rethrow_exception(load_error);
}

}  // namespace senti::serve
