// `senti serve` over loopback with a tiny golden model: every route, every error code, the
// answers equal to the Classifier's own, concurrent requests equal to sequential ones, 503
// while loading, 429 when full, 500 from a failing handler with the server still serving.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/api.h"
#include "senti/explainer.h"
#include "serve/server.h"
#include "test_util.h"
#include "util/file.h"

using namespace senti;
using namespace senti::serve;
using nlohmann::json;

namespace {
std::string fixture(const std::string& name) { return test::source_dir() + "/tests/fixtures/models/" + name; }

// A server on a free loopback port, running on its own thread until destroyed.
struct Running {
  explicit Running(ServeOptions o, bool wait_ready = true) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 2;
    o.http_threads = 32;
    if (o.model_dir.empty()) o.model_dir = fixture("tiny-2label");
    server = std::make_unique<Server>(std::move(o));
    port = server->bind();
    thread = std::thread([this] {
      try {
        server->run();
      } catch (const std::exception& e) {
        run_error = e.what();
      }
    });
    if (wait_ready)
      for (int i = 0; i < 1000 && !server->ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~Running() {
    server->stop();
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    return c;
  }
  std::unique_ptr<Server> server;
  int port = 0;
  std::thread thread;
  std::string run_error;
};

json post(const Running& s, const std::string& path, const std::string& body, int expect_status,
          const httplib::Headers& headers = {}) {
  auto res = s.client().Post(path.c_str(), headers, body, "application/json");
  EXPECT_TRUE(res) << path << ": " << httplib::to_string(res.error());
  if (!res) return json();
  EXPECT_EQ(res->status, expect_status) << path << " " << body.substr(0, 200) << " -> " << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  json j = json::parse(res->body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << res->body;
  if (expect_status >= 400) {
    EXPECT_TRUE(j.contains("error") && j.contains("error_type")) << res->body;
  }
  return j;
}

size_t batches(const Running& s) {
  auto metrics = s.client().Get("/metrics")->body;
  auto pos = metrics.find("\nsenti_batches_total ");
  EXPECT_NE(pos, std::string::npos);
  return pos == std::string::npos ? 0 : std::stoul(metrics.substr(pos + 21));
}

float score_of(const json& labels, const std::string& label) {
  for (const auto& l : labels)
    if (l["label"] == label) return l["score"].get<float>();
  ADD_FAILURE() << "no label " << label;
  return NAN;
}
}  // namespace

TEST(ServeHttp, PredictAnswersEqualTheClassifier) {
  Running s({});
  ASSERT_TRUE(s.server->ready()) << s.run_error;
  auto clf = Classifier::load(fixture("tiny-2label"), {.threads = 1});
  ClassifyOptions all;
  all.top_k = -1;
  auto expect = clf->classify({"i loved it", "the plot was boring"}, all);

  json one = post(s, "/api/predict", R"({"inputs": "i loved it"})", 200);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["label"], expect[0][0].label);
  EXPECT_NEAR(one[0]["score"].get<float>(), expect[0][0].score, 1e-5);

  json batch = post(s, "/api/predict", R"({"inputs": ["i loved it", "the plot was boring"], "top_k": null})", 200);
  ASSERT_EQ(batch.size(), 2u);
  for (int i = 0; i < 2; ++i)
    for (const auto& ls : expect[i]) EXPECT_NEAR(score_of(batch[i], ls.label), ls.score, 1e-5);

  json tei = post(s, "/predict", R"({"inputs": [["i loved it"], ["the plot was boring"]]})", 200);
  ASSERT_EQ(tei.size(), 2u);
  ASSERT_EQ(tei[1].size(), 2u);
  EXPECT_NEAR(score_of(tei[1], expect[1][0].label), expect[1][0].score, 1e-5);
  json raw = post(s, "/predict", R"({"inputs": "i loved it", "raw_scores": true})", 200);
  auto logits = clf->logits({"i loved it"});
  EXPECT_NEAR(score_of(raw, "POSITIVE"), logits[0][1], 1e-4);
}

TEST(ServeHttp, ExplanationsEqualTheExplainer) {
  ServeOptions o;
  o.max_explain_inputs = 2;
  Running s(o);
  ASSERT_TRUE(s.server->ready()) << s.run_error;
  auto ex = Explainer::load(fixture("tiny-2label"), {.threads = 1});
  const std::string text = "the acting was wonderful but the plot was boring";
  const Explanation expect = ex->explain(text);

  json p = post(s, "/api/predict", json{{"inputs", text}, {"explain", true}}.dump(), 200);
  ASSERT_EQ(p.size(), 1u);
  const json& e = p[0]["explanation"];
  EXPECT_EQ(e["label"], p[0]["label"]);
  EXPECT_EQ(e["method"], "ig");
  ASSERT_EQ(e["words"].size(), expect.words.size());
  for (size_t i = 0; i < expect.words.size(); ++i) {
    EXPECT_EQ(e["words"][i]["word"], expect.words[i].word);
    EXPECT_EQ(e["words"][i]["start"], expect.words[i].start);
    EXPECT_NEAR(e["words"][i]["score"].get<double>(), expect.words[i].score, 1e-5);
  }
  EXPECT_LE(e["relative_delta"].get<double>(), 0.05);

  json x = post(s, "/api/explain", json{{"inputs", {text, "great"}}, {"method", "occlusion"}, {"label", "NEGATIVE"}}.dump(), 200);
  ASSERT_EQ(x.size(), 2u);
  EXPECT_EQ(x[0]["label"], "NEGATIVE");
  EXPECT_EQ(x[0]["method"], "occlusion");
  EXPECT_EQ(x[1]["words"][0]["word"], "great");
  json one = post(s, "/api/explain", R"({"inputs": "great", "method": "gxi"})", 200);
  EXPECT_TRUE(one.is_object());

  post(s, "/api/explain", R"({"inputs": ["a", "b", "c"]})", 413);
  // Refused before anything is classified: no batch runs for it.
  const size_t batches_before = batches(s);
  post(s, "/api/predict", R"({"inputs": ["a", "b", "c"], "explain": true})", 413);
  EXPECT_EQ(batches(s), batches_before);
  post(s, "/api/explain", R"({"inputs": "great", "label": "NEUTRAL"})", 422);
  post(s, "/api/explain", R"({"inputs": "great", "method": "shap"})", 422);
  auto get = s.client().Get("/api/explain");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  EXPECT_EQ(json::parse(s.client().Get("/info")->body)["explain"], true);
}

TEST(ServeHttp, InfoHealthMetricsOpenapiAndPage) {
  Running s({});
  auto c = s.client();
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto info = json::parse(c.Get("/info")->body);
  EXPECT_EQ(info["model_id"], "tiny-2label");
  EXPECT_EQ(info["labels"], json::parse(R"(["NEGATIVE","POSITIVE"])"));
  EXPECT_EQ(info["max_length"], 64);
  EXPECT_EQ(info["dtype"], "F32");
  EXPECT_EQ(info["compute_dtype"], "f32");
  EXPECT_GT(info["weight_bytes"].get<int64_t>(), 0);
  EXPECT_FALSE(info["version"].get<std::string>().empty());
  post(s, "/api/predict", R"({"inputs": ["a good film", "bad"]})", 200);
  post(s, "/api/predict", R"({"inputs": ""})", 422);
  // Requests are counted once their answer is written, so a scrape may lag the answer a little.
  const char* needles[] = {"senti_requests_total{route=\"/api/predict\",code=\"200\"} 1",
                           "senti_requests_total{route=\"/api/predict\",code=\"422\"} 1", "senti_texts_total 2",
                           "senti_batches_total 1", "senti_queue_depth 0", "senti_request_duration_seconds_bucket"};
  std::string metrics;
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto r = c.Get("/metrics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    metrics = r->body;
    bool all = true;
    for (const char* n : needles) all = all && metrics.find(n) != std::string::npos;
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const char* needle : needles) EXPECT_NE(metrics.find(needle), std::string::npos) << needle;
  // The OpenAPI document parses and describes every route the server answers.
  auto openapi = c.Get("/openapi.json");
  ASSERT_TRUE(openapi);
  json doc = json::parse(openapi->body);
  for (const char* route : {"/api/predict", "/api/explain", "/predict", "/api/flag", "/health", "/info", "/metrics",
                            "/openapi.json", "/", "/tokenize", "/model-card", "/docs"})
    EXPECT_TRUE(doc["paths"].contains(route)) << route;
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page->body.find("<textarea"), std::string::npos);
  for (const char* asset : {"/app.js", "/style.css", "/favicon.svg", "/docs", "/docs.js"}) {
    auto r = c.Get(asset);
    ASSERT_TRUE(r) << asset;
    EXPECT_EQ(r->status, 200) << asset;
    EXPECT_GT(r->body.size(), 100u) << asset;
  }
}

// TEI's /tokenize: the tokenizer's ids, entries and code-point spans; the model card.
TEST(ServeHttp, TokenizeAndModelCard) {
  Running s({});
  json t = post(s, "/tokenize", R"({"inputs": "the movie was great"})", 200);
  ASSERT_TRUE(t.is_array());
  ASSERT_EQ(t.size(), 1u);  // one list per input, also for a single string
  const json& toks = t[0];
  ASSERT_GE(toks.size(), 3u);
  EXPECT_EQ(toks.front()["text"], "[CLS]");
  EXPECT_TRUE(toks.front()["special"].get<bool>());
  EXPECT_TRUE(toks.front()["start"].is_null());
  EXPECT_EQ(toks.back()["text"], "[SEP]");
  EXPECT_FALSE(toks[1]["special"].get<bool>());
  EXPECT_EQ(toks[1]["start"], 0);
  // Each content token's span covers its text in the input.
  const std::string input = "the movie was great";
  size_t known = 0;
  for (const auto& tok : toks)
    if (!tok["special"].get<bool>() && tok["text"] != "[UNK]") {
      ++known;
      std::string piece = tok["text"].get<std::string>();
      if (piece.rfind("##", 0) == 0) piece = piece.substr(2);
      EXPECT_EQ(input.substr(tok["start"].get<size_t>(), tok["stop"].get<size_t>() - tok["start"].get<size_t>()), piece);
    }
  EXPECT_GE(known, 2u) << t;
  json plain = post(s, "/tokenize", R"({"inputs": ["hello", "world"], "add_special_tokens": false})", 200);
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_FALSE(plain[0][0]["special"].get<bool>());
  post(s, "/tokenize", R"({"inputs": ""})", 422);
  post(s, "/tokenize", R"({"inputs": "x", "add_special_tokens": "yes"})", 422);
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "hello ";
  post(s, "/tokenize", R"({"inputs": ")" + long_text + R"("})", 413);  // the fixture reads 64 tokens
  json cut = post(s, "/tokenize", R"({"inputs": ")" + long_text + R"(", "truncate": true})", 200);
  EXPECT_EQ(cut[0].size(), 64u);
  // The fixture folder has no README.md: /info says so and /model-card is a 404.
  auto c = s.client();
  EXPECT_TRUE(json::parse(c.Get("/info")->body)["model_card"].is_null());
  auto card = c.Get("/model-card");
  ASSERT_TRUE(card);
  EXPECT_EQ(card->status, 404);
}

TEST(ServeHttp, ModelCardIsTheReadme) {
  const std::string dir = ::testing::TempDir() + "/senti_card_model";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(fixture("tiny-2label"), dir);
  std::ofstream(dir + "/README.md") << "---\nlicense: mit\n---\n# A tiny test model\n\nTrained on nothing.\n";
  ServeOptions o;
  o.model_dir = dir;
  Running s(o);
  auto c = s.client();
  json info = json::parse(c.Get("/info")->body);
  EXPECT_EQ(info["model_card"]["title"], "A tiny test model");
  EXPECT_EQ(info["model_card"]["url"], "/model-card");
  auto card = c.Get("/model-card");
  ASSERT_TRUE(card);
  EXPECT_EQ(card->status, 200);
  EXPECT_NE(card->body.find("Trained on nothing."), std::string::npos);
  EXPECT_NE(card->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ServeHttp, ErrorsAreJsonWithTheRightStatus) {
  ServeOptions o;
  o.max_body = 4096;
  o.max_inputs = 3;
  Running s(o);
  post(s, "/api/predict", "{\"inputs\": ", 422);
  post(s, "/api/predict", "{\"inputs\": 5}", 422);
  post(s, "/api/predict", "{\"inputs\": \"  \\n \"}", 422);
  post(s, "/api/predict", "{\"inputs\": \"\xc3\x28 bad utf-8\"}", 422);
  post(s, "/api/predict", R"({"inputs": ["a", "b", "c", "d"]})", 413);
  post(s, "/api/predict", "{\"inputs\": \"" + std::string(5000, 'a') + "\"}", 413);  // body over --max-body
  // Not truncating a text longer than the model reads (64 tokens here) is a 413, as in TEI.
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "good ";
  json too_long = post(s, "/predict", R"({"inputs": ")" + long_text + R"("})", 413);
  EXPECT_NE(too_long["error"].get<std::string>().find("64"), std::string::npos) << too_long;
  post(s, "/predict", R"({"inputs": ")" + long_text + R"(", "truncate": true})", 200);
  post(s, "/api/predict", R"({"inputs": ")" + long_text + R"("})", 200);  // the pipeline truncates by default
  post(s, "/api/predict", R"({"inputs": ")" + long_text + R"(", "truncation": false})", 413);
  post(s, "/api/nope", R"({"inputs": "x"})", 404);
  auto c = s.client();
  auto get404 = c.Get("/no/such/route");
  ASSERT_TRUE(get404);
  EXPECT_EQ(get404->status, 404);
  EXPECT_TRUE(json::parse(get404->body).contains("error"));
  auto get405 = c.Get("/api/predict");
  ASSERT_TRUE(get405);
  EXPECT_EQ(get405->status, 405);
  EXPECT_EQ(get405->get_header_value("Allow"), "POST");
  post(s, "/api/flag", R"({"output": []})", 422);
}

TEST(ServeHttp, FailingHandlerAnswers500AndServerKeepsServing) {
  ServeOptions o;
  o.test_hook = [](const PredictRequest& r) {
    if (r.inputs[0] == "boom") throw std::runtime_error("simulated fault");
  };
  Running s(o);
  json e = post(s, "/api/predict", R"({"inputs": "boom"})", 500);
  EXPECT_NE(e["error"].get<std::string>().find("simulated fault"), std::string::npos);
  EXPECT_EQ(e["error_type"], "Internal");
  post(s, "/api/predict", R"({"inputs": "fine"})", 200);
}

TEST(ServeHttp, ApiKeyGuardsApiRoutesOnly) {
  ServeOptions o;
  o.api_key = "s3cret";
  Running s(o);
  post(s, "/api/predict", R"({"inputs": "x"})", 401);
  post(s, "/predict", R"({"inputs": "x"})", 401);
  post(s, "/api/predict", R"({"inputs": "x"})", 401, {{"Authorization", "Bearer wrong"}});
  post(s, "/api/predict", R"({"inputs": "x"})", 200, {{"Authorization", "Bearer s3cret"}});
  auto c = s.client();
  EXPECT_EQ(c.Get("/health")->status, 200);
  EXPECT_EQ(c.Get("/")->status, 200);
  EXPECT_EQ(json::parse(c.Get("/info")->body)["auth"], true);
}

TEST(ServeHttp, UnavailableWhileLoading) {
  std::promise<void> release;
  std::shared_future<void> go = release.get_future().share();
  ServeOptions o;
  o.test_load_hook = [go] { go.wait(); };
  Running s(o, /*wait_ready=*/false);
  auto c = s.client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 503);
  EXPECT_EQ(json::parse(h->body)["error_type"], "Unhealthy");
  EXPECT_EQ(json::parse(c.Get("/info")->body)["ready"], false);
  json e = post(s, "/api/predict", R"({"inputs": "x"})", 503);
  release.set_value();
  for (int i = 0; i < 1000 && !s.server->ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(c.Get("/health")->status, 200);
}

TEST(ServeHttp, FullServerAnswers429WithRetryAfter) {
  std::mutex m;
  std::condition_variable cv;
  bool entered = false, release = false;
  ServeOptions o;
  o.max_concurrent_requests = 1;
  o.test_hook = [&](const PredictRequest& r) {
    if (r.inputs[0] != "hold") return;
    std::unique_lock<std::mutex> lock(m);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  Running s(o);
  auto held = std::async(std::launch::async, [&] { return s.client().Post("/api/predict", R"({"inputs": "hold"})", "application/json"); });
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return entered; });
  }
  auto res = s.client().Post("/api/predict", R"({"inputs": "another"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  EXPECT_EQ(json::parse(res->body)["error_type"], "Overloaded");
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
  }
  cv.notify_all();
  auto first = held.get();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  post(s, "/api/predict", R"({"inputs": "after"})", 200);
}

TEST(ServeHttp, ConcurrentRequestsEqualSequentialOnes) {
  ServeOptions o;
  o.max_wait_ms = 5;  // give requests a chance to share batches
  Running s(o);
  std::vector<std::string> texts;
  const char* words[] = {"good", "bad", "the", "movie", "was", "great", "boring", "plot", "acting", "loved"};
  for (int i = 0; i < 40; ++i) {
    std::string t;
    for (int w = 0; w <= i % 13; ++w) t += std::string(words[(i * 7 + w * 3) % 10]) + " ";
    texts.push_back(t);
  }
  auto body = [&](size_t i) { return json{{"inputs", texts[i]}, {"top_k", nullptr}}.dump(); };
  std::vector<json> sequential;
  for (size_t i = 0; i < texts.size(); ++i) sequential.push_back(post(s, "/api/predict", body(i), 200));
  const size_t before = batches(s);
  EXPECT_EQ(before, texts.size());
  std::vector<json> concurrent(texts.size());
  std::vector<std::thread> threads;
  std::atomic<size_t> next{0};
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&] {
      for (size_t i; (i = next++) < texts.size();) concurrent[i] = post(s, "/api/predict", body(i), 200);
    });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(concurrent[i].size(), sequential[i].size());
    for (const auto& l : sequential[i])
      EXPECT_NEAR(score_of(concurrent[i], l["label"]), l["score"].get<float>(), 1e-5) << texts[i];
  }
  // Batches were formed: the concurrent requests took far fewer forward passes than requests.
  const size_t after = batches(s);
  EXPECT_GE(after, texts.size());
  EXPECT_LT(after - before, texts.size() / 2) << "batches before " << before << ", after " << after;
}

TEST(ServeHttp, FlagAppendsToTheCsv) {
  char tmpl[] = "/tmp/senti-serve-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  ServeOptions o;
  o.flag_file = std::string(tmpl) + "/flags.csv";
  {
    Running s(o);
    json out = post(s, "/api/predict", R"({"inputs": "great, \"fun\" film"})", 200);
    json req = {{"input", "great, \"fun\" film"}, {"output", out}};
    json ok = post(s, "/api/flag", req.dump(), 200);
    EXPECT_EQ(ok["file"], o.flag_file);
  }
  std::string csv = read_file(o.flag_file);
  EXPECT_EQ(csv.rfind("time,input,label,score,output,flag,model\r\n", 0), 0u) << csv;
  EXPECT_NE(csv.find("\"great, \"\"fun\"\" film\""), std::string::npos) << csv;
  std::remove(o.flag_file.c_str());
  rmdir(tmpl);
}

TEST(ServeHttp, UnloadableModelMakesRunFail) {
  ServeOptions o;
  o.model_dir = "/nonexistent/model";
  Running s(o, false);
  s.thread.join();
  s.thread = std::thread([] {});
  EXPECT_NE(s.run_error.find("/nonexistent/model"), std::string::npos) << s.run_error;
}
