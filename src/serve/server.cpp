// Implements server.h: the routes over the HTTP layer (http.h) and the batcher, with JSON
// errors everywhere.
#include "serve/server.h"

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "senti/version.h"
#include "serve/api.h"
#include "serve/assets.h"
#include "serve/batcher.h"
#include "serve/explain_gate.h"
#include "serve/flag_log.h"
#include "serve/http.h"
#include "serve/metrics.h"
#include "text/tokenizer.h"
#include "util/error.h"
#include "util/log.h"

namespace senti::serve {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {
thread_local bool explained = false;           // the request on this thread computed explanations
constexpr size_t kTrimAfterBytes = 256 << 10;  // bodies this large are followed by malloc_trim

const std::set<std::string> kPostRoutes = {"/api/predict", "/api/explain", "/api/flag", "/predict", "/tokenize"};
const std::set<std::string> kGetRoutes = {"/health", "/info", "/metrics", "/model-card"};
constexpr size_t kMaxModelCard = 1 << 20;  // bytes of README.md served as the model card

std::string route_label(const std::string& path) {
  if (kPostRoutes.count(path) || kGetRoutes.count(path) || path == "/openapi.json" || path == "/docs") return path;
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

bool starts_with_nocase(const std::string& s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  return true;
}

void send_error(HttpResponse& res, int status, const std::string& type, const std::string& message) {
  res.status = status;
  res.content_type = "application/json";
  res.body = error_body(message, type);
}
}  // namespace

struct Server::Impl {
  ServeOptions o;
  std::unique_ptr<HttpServer> http;
  Metrics metrics;
  std::unique_ptr<Classifier> classifier;
  std::unique_ptr<Explainer> explainer;  // null when the model cannot be explained (explainer_error says why)
  std::string explainer_error;
  std::string model_card, model_card_title;     // the model folder's README.md, when it has one
  std::unique_ptr<Batcher> batcher;
  std::unique_ptr<FlagLog> flags;
  std::unique_ptr<ExplainGate> explain_gate;
  std::atomic<bool> ready{false};
  std::atomic<size_t> in_flight{0};

  // Runs a handler, turning every failure into a JSON error; the server keeps serving.
  void guarded(const HttpRequest& req, HttpResponse& res, bool needs_key, const std::function<void()>& fn) {
    try {
      if (needs_key && !o.api_key.empty()) {
        const std::string auth = req.header("Authorization");
        // The scheme is case-insensitive (RFC 9110); the key is compared in constant time.
        if (!starts_with_nocase(auth, "bearer ") || !same_secret(auth.substr(7), o.api_key)) {
          res.headers.emplace_back("WWW-Authenticate", "Bearer");
          throw ApiError(401, "Unauthorized", "missing or wrong API key: send the header \"Authorization: Bearer <key>\"");
        }
      }
      fn();
    } catch (const ApiError& e) {
      if (e.status == 429 || e.status == 503) res.headers.emplace_back("Retry-After", std::to_string(e.retry_after));
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

  // Explanations run on the request's own worker (the Explainer serializes them), one per text.
  // Checked and priced before any work is done, so a refused request costs nothing.
  void check_explainable(const PredictRequest& r) const {
    if (!explainer) throw ApiError(422, "Validation", "this model cannot be explained: " + explainer_error);
    if (r.inputs.size() > o.max_explain_inputs)
      throw ApiError(413, "Validation", "explanations are limited to " + std::to_string(o.max_explain_inputs) +
                                            " texts per request (--max-explain-inputs); this one has " +
                                            std::to_string(r.inputs.size()));
  }
  // The options of each text's explanation, with the integrated-gradients step doubling capped
  // so that the request's work stays within the budget; throws 413 when even the first pass
  // of every text does not fit. Returns the work (token-passes) at most.
  size_t price_explanations(const PredictRequest& r, std::vector<ExplainOptions>& per_text) const {
    const size_t budget = explain_gate->budget();
    std::vector<size_t> tokens;
    size_t minimum = 0;
    ClassifyOptions reads = r.options;
    reads.window = 0;  // explanations read one window, as the explainer does
    reads.truncation = r.explain_options.truncation;
    reads.max_length = r.explain_options.max_length;
    reads.head_tokens = r.explain_options.head_tokens;
    for (const auto& text : r.inputs) {
      const size_t n = classifier->tokenize(text, reads).tokens;
      tokens.push_back(n);
      const ExplainOptions& eo = r.explain_options;
      size_t passes = eo.method == ExplainMethod::kIntegratedGradients ? static_cast<size_t>(eo.steps)
                      : eo.method == ExplainMethod::kOcclusion       ? n + 1
                                                                       : 1;
      minimum += n * passes;
    }
    if (minimum > budget)
      throw ApiError(413, "Validation",
                     "these explanations need " + std::to_string(minimum) + " token-passes (tokens x steps); at most " +
                         std::to_string(budget) +
                         " per request (--max-explain-work): send fewer or shorter texts, or fewer \"steps\"");
    size_t left = budget - minimum, total = minimum;
    per_text.assign(r.inputs.size(), r.explain_options);
    for (size_t i = 0; i < r.inputs.size(); ++i) {
      ExplainOptions& eo = per_text[i];
      if (eo.method != ExplainMethod::kIntegratedGradients) continue;
      // With a tolerance, the steps double (steps, 2 steps, ... up to max_steps) until converged.
      int cap = eo.steps;
      if (eo.tolerance > 0)
        while (cap * 2 <= eo.max_steps && tokens[i] * static_cast<size_t>(cap * 2) <= left) {
          cap *= 2;
          left -= tokens[i] * static_cast<size_t>(cap);
          total += tokens[i] * static_cast<size_t>(cap);
        }
      eo.max_steps = cap;
    }
    return total;
  }
  std::vector<Explanation> explain_all(const PredictRequest& r, const std::vector<std::vector<LabelScore>>* results) {
    check_explainable(r);
    explained = true;
    std::vector<ExplainOptions> per_text;
    const size_t work = price_explanations(r, per_text);
    auto ticket = explain_gate->admit(work);
    std::vector<Explanation> out;
    for (size_t i = 0; i < r.inputs.size(); ++i) {
      ExplainOptions& eo = per_text[i];
      if (eo.label.empty() && results && !(*results)[i].empty()) eo.label = (*results)[i][0].label;
      out.push_back(explainer->explain(r.inputs[i], eo));
    }
    return out;
  }

  void explain(const HttpRequest& req, HttpResponse& res) {
    Admit admitted{in_flight};
    admit();
    model();
    PredictRequest r = parse_explain_request(req.body, o.max_inputs, o.defaults);
    if (o.test_hook) o.test_hook(r);
    res.body = explain_response(r, explain_all(r, nullptr));
  }

  // Tokenizes on this worker, runs the model through the dynamic batcher, and scores: every
  // route that classifies goes through here. Without `truncate`, a text over the model's
  // length is an error that names it.
  std::vector<std::vector<LabelScore>> classify(const Classifier& clf, const std::vector<std::string>& texts,
                                                const ClassifyOptions& options, bool truncate) {
    std::vector<TokenizedText> tokenized;
    tokenized.reserve(texts.size());
    size_t tokens = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      tokenized.push_back(clf.tokenize(texts[i], options));
      if (!truncate && tokenized.back().truncated > 0)
        throw too_long_error(i, tokenized.back().tokens + tokenized.back().truncated, clf.info().max_length);
      tokens += tokenized.back().tokens;
    }
    metrics.record_texts(tokenized.size(), tokens);
    auto logits = batcher->run(tokenized);
    std::vector<std::vector<LabelScore>> results;
    results.reserve(logits.size());
    for (const auto& l : logits) results.push_back(clf.scores_from_logits(l, options));
    return results;
  }

  void predict(const HttpRequest& req, HttpResponse& res, Dialect dialect) {
    Admit admitted{in_flight};
    admit();
    const Classifier& clf = model();
    PredictRequest r = dialect == Dialect::kTei ? parse_tei_request(req.body, o.max_inputs, o.defaults)
                                                : parse_pipeline_request(req.body, o.max_inputs, o.defaults);
    if (o.test_hook) o.test_hook(r);
    if (r.explain) check_explainable(r);
    std::vector<std::vector<LabelScore>> results = classify(clf, r.inputs, r.options, r.truncate);
    std::vector<Explanation> explanations;
    if (r.explain) explanations = explain_all(r, &results);
    res.body = predict_response(r, results, explanations);
  }

  // The Flag button: the text and the user's reason, with the server's own answer for that
  // text (the client's claim of what it was shown is not trusted into the log).
  void flag(const HttpRequest& req, HttpResponse& res) {
    Admit admitted{in_flight};
    admit();
    const Classifier& clf = model();
    FlagRequest f = parse_flag_request(req.body);
    ClassifyOptions all = o.defaults;
    all.top_k = -1;
    auto scores = classify(clf, {f.input}, all, true).at(0);
    json output = json::array();
    for (const auto& ls : scores) output.push_back({{"label", ls.label}, {"score", ls.score}});
    char score[32];
    std::snprintf(score, sizeof score, "%.6f", scores.at(0).score);
    flags->append({iso_time_now(), f.input, scores.at(0).label, score, output.dump(), f.reason, clf.info().path});
    res.body = json{{"flagged", true}, {"file", flags->path()}, {"label", scores.at(0).label}}.dump();
  }

  // TEI's /tokenize: the model's tokens of each input, with their spans.
  void tokenize(const HttpRequest& req, HttpResponse& res) {
    model();
    TokenizeRequest t = parse_tokenize_request(req.body, o.max_inputs);
    const size_t max_length = classifier->info().max_length;
    std::vector<std::vector<TokenOut>> out;
    for (size_t i = 0; i < t.inputs.size(); ++i) {
      text::EncodeOptions eo;
      eo.add_special_tokens = t.add_special_tokens;
      if (t.truncate) eo.truncation.max_length = max_length;
      const text::Encoding e = classifier->tokenizer().encode(t.inputs[i], eo);
      if (!t.truncate && e.ids.size() > max_length) throw too_long_error(i, e.ids.size(), max_length);
      std::vector<TokenOut> list;
      for (size_t k = 0; k < e.ids.size(); ++k)
        list.push_back({e.ids[k], classifier->tokenizer().id_to_token(e.ids[k]), e.special_tokens_mask[k] != 0, e.offsets[k].first,
                        e.offsets[k].second});
      out.push_back(std::move(list));
    }
    res.body = tokenize_response(out);
  }

  json info_json() const {
    const HttpLimits& l = http->limits();
    json j = {{"version", SENTI_VERSION},
              {"ready", ready.load()},
              {"max_concurrent_requests", o.max_concurrent_requests},
              {"max_batch_tokens", o.max_batch_tokens},
              {"max_client_batch_size", o.max_inputs},
              {"max_wait_ms", o.max_wait_ms},
              {"max_explain_inputs", o.max_explain_inputs},
              {"max_explain_work", o.max_explain_work},
              {"max_body", l.max_body},
              {"max_connections", l.max_connections},
              {"max_connections_per_client", l.max_connections_per_client},
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
                {"compute_dtype", m.compute_dtype},
                {"weight_bytes", m.weight_bytes},
                {"parameters", m.parameters},
                {"dim", m.dim},
                {"layers", m.layers},
                {"heads", m.heads},
                {"vocab_size", m.vocab_size},
                {"explain", explainer != nullptr}});
      j["model_card"] = model_card.empty() ? json(nullptr) : json{{"title", model_card_title}, {"url", "/model-card"}};
      if (!explainer) j["explain_error"] = explainer_error;
    }
    return j;
  }

  // Requests that compute (POST routes) go to the workers; everything else is answered on the
  // I/O thread at once.
  static bool cheap(const HttpRequest& req) { return !(req.method == "POST" && kPostRoutes.count(req.path)); }

  void handle(const HttpRequest& req, HttpResponse& res) {
    const bool get = req.method == "GET" || req.method == "HEAD";
    if (kPostRoutes.count(req.path)) {
      if (req.method != "POST") {
        res.headers.emplace_back("Allow", "POST");
        return send_error(res, 405, "MethodNotAllowed", req.path + " takes POST with a JSON body");
      }
      // A browser page on another site may POST here without asking (a "simple" request):
      // refuse what the browser marks as cross-site. curl and other programs send no such header.
      const std::string site = req.header("Sec-Fetch-Site");
      if (site == "cross-site" || site == "same-site")
        return send_error(res, 403, "Forbidden", "requests from another site's pages are refused (Sec-Fetch-Site: " + site + ")");
      explained = false;
      if (req.path == "/api/predict") guarded(req, res, true, [&] { predict(req, res, Dialect::kPipeline); });
      else if (req.path == "/predict") guarded(req, res, true, [&] { predict(req, res, Dialect::kTei); });
      else if (req.path == "/api/explain") guarded(req, res, true, [&] { explain(req, res); });
      else if (req.path == "/tokenize") guarded(req, res, true, [&] { tokenize(req, res); });
      else guarded(req, res, true, [&] { flag(req, res); });
      // Give back what a large request took (its text, tokens, an explanation's activations):
      // glibc keeps freed blocks in per-thread arenas, and with 128 workers a few requests of
      // megabyte-long texts would otherwise pin gigabytes. Only after large requests: trimming
      // after every one would cost the small ones (and tuning malloc's mmap threshold instead
      // cost 7 % of IMDb-length throughput, measured with bench/serve.sh).
      if (req.body.size() >= kTrimAfterBytes || explained) malloc_trim(0);
      return;
    }
    const Asset* asset = kGetRoutes.count(req.path) ? nullptr : find_asset(req.path == "/docs" ? "/docs.html" : req.path);
    if (!get && (kGetRoutes.count(req.path) || asset)) {
      res.headers.emplace_back("Allow", "GET, HEAD");
      return send_error(res, 405, "MethodNotAllowed", req.path + " takes GET");
    }
    if (req.path == "/health") {
      return guarded(req, res, false, [&] {
        model();
        res.body = R"({"status":"ok"})";
      });
    }
    if (req.path == "/info") return guarded(req, res, false, [&] { res.body = info_json().dump(); });
    if (req.path == "/model-card") {
      return guarded(req, res, false, [&] {
        model();
        if (model_card.empty()) throw ApiError(404, "NotFound", "the model folder has no README.md (model card)");
        res.content_type = "text/plain; charset=utf-8";  // Markdown, readable as it is
        res.body = model_card;
      });
    }
    if (req.path == "/metrics") {
      return guarded(req, res, false, [&] {
        const HttpStats st = http->stats();
        res.content_type = "text/plain; version=0.0.4";
        res.body = metrics.render(ready ? batcher->queue_depth() : 0, in_flight.load(), ready) +
                   "# HELP senti_http_open_connections Connections open now.\n# TYPE senti_http_open_connections gauge\n"
                   "senti_http_open_connections " + std::to_string(st.open_connections) +
                   "\n# HELP senti_http_refused_connections_total Connections refused over a connection limit.\n"
                   "# TYPE senti_http_refused_connections_total counter\nsenti_http_refused_connections_total " +
                   std::to_string(st.refused_connections) +
                   "\n# HELP senti_http_timeouts_total Connections closed by a header, body, write or idle deadline.\n"
                   "# TYPE senti_http_timeouts_total counter\nsenti_http_timeouts_total " + std::to_string(st.timeouts) + "\n";
      });
    }
    if (asset) {
      res.headers.emplace_back("Cache-Control", "no-cache");
      res.content_type = std::string(asset->content_type);
      res.body.assign(asset->data.data(), asset->data.size());
      return;
    }
    send_error(res, 404, "NotFound", "no route " + req.method + " " + req.path.substr(0, 200) + "; see /openapi.json");
  }

  void log_request(const HttpRequest& req, const HttpResponse& res, double s) {
    metrics.record_request(route_label(req.path), res.status, s);
    if (log::level() <= log::Level::kInfo) {
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.1f ms", s * 1e3);
      log::info(req.client + " \"" + req.method + " " + req.path.substr(0, 200) + "\" " + std::to_string(res.status) +
                " " + std::to_string(res.body.size()) + " B " + ms);
    }
  }
};

Server::Server(ServeOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.o = std::move(options);
  if (s.o.max_inputs < 1) fail(ErrorCode::kInvalidArgument, "--max-inputs must be at least 1");
  if (s.o.max_concurrent_requests < 1) fail(ErrorCode::kInvalidArgument, "--max-concurrent-requests must be at least 1");
  if (s.o.max_wait_ms < 0) fail(ErrorCode::kInvalidArgument, "--max-wait-ms must not be negative");
  if (s.o.max_explain_work < 1) fail(ErrorCode::kInvalidArgument, "--max-explain-work must be at least 1");
  HttpLimits limits = s.o.http;
  limits.workers = s.o.http_threads;
  limits.max_body = s.o.max_body;
  HttpHandlers handlers;
  handlers.handle = [&s](const HttpRequest& req, HttpResponse& res) { s.handle(req, res); };
  handlers.cheap = &Impl::cheap;
  handlers.error = [](int status, const std::string& message, HttpResponse& res) {
    const char* type = status == 413 || status == 431 ? "Validation"
                       : status == 408                ? "Timeout"
                       : status == 503                ? "Overloaded"
                                                      : "Http";
    send_error(res, status, type, message);
  };
  handlers.log = [&s](const HttpRequest& req, const HttpResponse& res, double seconds) { s.log_request(req, res, seconds); };
  s.http = std::make_unique<HttpServer>(limits, std::move(handlers));
  s.explain_gate = std::make_unique<ExplainGate>(s.o.max_explain_work);
  std::string flag_file = s.o.flag_file.empty() ? s.o.model_dir + "/flagged.csv" : s.o.flag_file;
  s.flags = std::make_unique<FlagLog>(flag_file, std::vector<std::string>{"time", "input", "label", "score", "output",
                                                                          "flag", "model"});
}

Server::~Server() { stop(); }

int Server::bind() { return impl_->http->bind(impl_->o.host, impl_->o.port); }

bool Server::ready() const { return impl_->ready; }

void Server::stop() { impl_->http->stop(); }

void Server::load() {
  Impl& s = *impl_;
  if (s.ready) return;
  auto t0 = Clock::now();
  if (s.o.test_load_hook) s.o.test_load_hook();
  s.classifier = Classifier::load(s.o.model_dir, {.threads = s.o.threads, .dtype = s.o.dtype});
  try {
    s.explainer = Explainer::load(s.o.model_dir, {s.o.threads});
  } catch (const Error& e) {
    s.explainer_error = e.what();
    log::warn(std::string("explanations are off: ") + e.what());
  }
  if (std::ifstream card(s.o.model_dir + "/README.md", std::ios::binary); card) {
    s.model_card.resize(kMaxModelCard);
    card.read(s.model_card.data(), static_cast<std::streamsize>(kMaxModelCard));
    s.model_card.resize(static_cast<size_t>(card.gcount()));
    // The title: the first Markdown heading (after any front matter), else the first line.
    std::istringstream lines(s.model_card);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("# ", 0) == 0) {
        s.model_card_title = line.substr(2);
        break;
      }
    if (s.model_card_title.empty()) s.model_card_title = s.model_card.substr(0, std::min<size_t>(s.model_card.find('\n'), 200));
  }
  s.batcher = std::make_unique<Batcher>(*s.classifier, BatcherOptions{s.o.max_batch_tokens, s.o.max_wait_ms},
                                        [&s](const BatchInfo& b) { s.metrics.record_batch(b.requests, b.texts, b.tokens); });
  s.ready = true;
  char buf[64];
  std::snprintf(buf, sizeof buf, " in %.2f s", std::chrono::duration<double>(Clock::now() - t0).count());
  log::info("model " + s.classifier->info().path + " loaded" + buf + "; ready");
}

HttpResponse Server::respond(const HttpRequest& request) {
  HttpResponse res;
  impl_->handle(request, res);
  return res;
}

void Server::run() {
  Impl& s = *impl_;
  std::exception_ptr load_error;
  std::thread loader([&] {
    try {
      load();
    } catch (...) {
      load_error = std::current_exception();
      s.http->stop();
    }
  });
  s.http->run();  // returns after stop(), once answers in flight are sent (or the shutdown deadline passed)
  loader.join();
  s.ready = false;
  s.batcher.reset();  // drains the queue
  if (load_error) std::rethrow_exception(load_error);
}

}  // namespace senti::serve
