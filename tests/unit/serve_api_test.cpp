// The HTTP API's request parsing and answers without sockets: shapes as the Hugging Face
// pipeline and text-embeddings-inference give them, errors naming the field with the right
// status, the flag log's CSV and the metrics text.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "serve/api.h"
#include "serve/explain_gate.h"
#include "serve/flag_log.h"
#include "serve/http.h"
#include "serve/metrics.h"
#include "util/error.h"
#include "util/file.h"

using namespace senti;
using namespace senti::serve;
using nlohmann::json;

namespace {
// The status and message of the ApiError that parsing `body` throws.
std::pair<int, std::string> error_of(std::string_view body, Dialect d = Dialect::kPipeline, size_t max_inputs = 4) {
  try {
    d == Dialect::kTei ? parse_tei_request(body, max_inputs) : parse_pipeline_request(body, max_inputs);
  } catch (const ApiError& e) {
    EXPECT_FALSE(e.type.empty());
    return {e.status, e.what()};
  }
  ADD_FAILURE() << "no error for " << body;
  return {0, ""};
}
const std::vector<std::vector<LabelScore>> kTwo = {{{"POSITIVE", 0.9f}, {"NEGATIVE", 0.1f}},
                                                   {{"NEGATIVE", 0.7f}, {"POSITIVE", 0.3f}}};
}  // namespace

TEST(ServeApi, PipelineRequestsAndOptions) {
  auto r = parse_pipeline_request(R"({"inputs": "good film"})", 4);
  EXPECT_EQ(r.inputs, std::vector<std::string>{"good film"});
  EXPECT_FALSE(r.batched);
  EXPECT_FALSE(r.top_k_given);
  EXPECT_TRUE(r.truncate);
  r = parse_pipeline_request(R"({"inputs": ["a", "b"], "top_k": null, "truncation": "tail",
                                 "function_to_apply": "sigmoid"})", 4);
  EXPECT_TRUE(r.batched);
  EXPECT_EQ(r.options.top_k, -1);
  EXPECT_EQ(r.options.truncation, Truncation::kTail);
  EXPECT_EQ(r.options.function, ScoreFunction::kSigmoid);
  r = parse_pipeline_request(R"({"inputs": "x", "parameters": {"top_k": 2, "truncation": false}})", 4);
  EXPECT_EQ(r.options.top_k, 2);
  EXPECT_FALSE(r.truncate);
  ClassifyOptions defaults;
  defaults.truncation = Truncation::kHead;
  defaults.window = 64;
  r = parse_pipeline_request(R"({"inputs": "x"})", 4, defaults);
  EXPECT_EQ(r.options.truncation, Truncation::kHead);
  EXPECT_EQ(r.options.window, 64u);
}

TEST(ServeApi, ExplainRequestsAndErrors) {
  auto r = parse_pipeline_request(R"({"inputs": "good film"})", 4);
  EXPECT_FALSE(r.explain);
  r = parse_pipeline_request(R"({"inputs": "good film", "explain": true, "truncation": "tail"})", 4);
  EXPECT_TRUE(r.explain);
  EXPECT_EQ(r.explain_options.method, ExplainMethod::kIntegratedGradients);
  EXPECT_EQ(r.explain_options.truncation, Truncation::kTail);  // reads what the prediction reads
  r = parse_pipeline_request(R"({"inputs": "x", "parameters": {"explain": {"method": "occlusion", "label": "NEGATIVE"}}})", 4);
  EXPECT_TRUE(r.explain);
  EXPECT_EQ(r.explain_options.method, ExplainMethod::kOcclusion);
  EXPECT_EQ(r.explain_options.label, "NEGATIVE");
  r = parse_explain_request(R"({"inputs": ["a", "b"], "method": "gxi", "parameters": {"steps": 8}})", 4);
  EXPECT_TRUE(r.explain);
  EXPECT_TRUE(r.batched);
  EXPECT_EQ(r.explain_options.method, ExplainMethod::kGradientTimesInput);
  EXPECT_EQ(r.explain_options.steps, 8);
  auto expect_422 = [](const std::string& body, const std::string& fragment, bool explain_route) {
    try {
      explain_route ? parse_explain_request(body, 4) : parse_pipeline_request(body, 4);
      ADD_FAILURE() << "no error for " << body;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status, 422) << body;
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_422(R"({"inputs": "x", "explain": "yes"})", "\"explain\" must be a boolean or an object", false);
  expect_422(R"({"inputs": "x", "explain": {"method": "lime"}})", "\"explain.method\"", false);
  expect_422(R"({"inputs": "x", "steps": 0})", "\"steps\" must be an integer from 1 to 256", true);
  expect_422(R"({"inputs": "x", "steps": 1000})", "\"steps\"", true);
  expect_422(R"({"inputs": "x", "label": 1})", "\"label\" must be a label name", true);
  expect_422(R"({"inputs": ""})", "\"inputs\" is empty", true);
}

TEST(ServeApi, PipelineErrorsNameTheField) {
  EXPECT_EQ(error_of("").first, 422);
  EXPECT_EQ(error_of("[1]").first, 422);
  EXPECT_EQ(error_of("{\"inputs\": \"\\u00e9\"").first, 422);  // truncated JSON
  EXPECT_EQ(error_of("{\"inputs\": \"\xff\xfe\"}").first, 422);  // invalid UTF-8
  auto [status, msg] = error_of(R"({"text": "x"})");
  EXPECT_EQ(status, 422);
  EXPECT_NE(msg.find("\"inputs\" is missing"), std::string::npos) << msg;
  std::tie(status, msg) = error_of(R"({"inputs": ["ok", 3]})");
  EXPECT_EQ(status, 422);
  EXPECT_NE(msg.find("inputs[1]"), std::string::npos) << msg;
  std::tie(status, msg) = error_of(R"({"inputs": ["ok", " \n\t "]})");
  EXPECT_EQ(status, 422);
  EXPECT_NE(msg.find("inputs[1]\" is empty"), std::string::npos) << msg;
  EXPECT_EQ(error_of(R"({"inputs": []})").first, 422);
  EXPECT_EQ(error_of(R"({"inputs": ["a","b","c","d","e"]})").first, 413);
  std::tie(status, msg) = error_of(R"({"inputs": "x", "top_k": 0})");
  EXPECT_EQ(status, 422);
  EXPECT_NE(msg.find("top_k"), std::string::npos);
  EXPECT_NE(error_of(R"({"inputs": "x", "truncation": "middle"})").second.find("truncation"), std::string::npos);
  EXPECT_NE(error_of(R"({"inputs": "x", "function_to_apply": 1})").second.find("function_to_apply"), std::string::npos);
  EXPECT_NE(error_of(R"({"inputs": "x", "parameters": 3})").second.find("parameters"), std::string::npos);
}

TEST(ServeApi, TeiRequests) {
  auto r = parse_tei_request(R"({"inputs": "good"})", 4);
  EXPECT_EQ(r.dialect, Dialect::kTei);
  EXPECT_FALSE(r.batched);
  EXPECT_FALSE(r.truncate);  // TEI refuses long inputs unless asked to truncate
  EXPECT_EQ(r.options.top_k, -1);
  r = parse_tei_request(R"({"inputs": ["good"], "raw_scores": true, "truncate": true, "truncation_direction": "Left"})", 4);
  EXPECT_EQ(r.inputs.size(), 1u);
  EXPECT_EQ(r.options.function, ScoreFunction::kNone);
  EXPECT_TRUE(r.truncate);
  EXPECT_EQ(r.options.truncation, Truncation::kTail);
  r = parse_tei_request(R"({"inputs": [["a"], ["b"], "c"]})", 4);
  EXPECT_TRUE(r.batched);
  EXPECT_EQ(r.inputs, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_NE(error_of(R"({"inputs": ["a", "b"]})", Dialect::kTei).second.find("pair"), std::string::npos);
  EXPECT_EQ(error_of(R"({"inputs": ["a", "b", "c"]})", Dialect::kTei).first, 422);
  EXPECT_EQ(error_of(R"({"inputs": [["a"],["b"],["c"],["d"],["e"]]})", Dialect::kTei).first, 413);
  EXPECT_NE(error_of(R"({"inputs": "a", "raw_scores": "yes"})", Dialect::kTei).second.find("raw_scores"), std::string::npos);
  EXPECT_NE(error_of(R"({"inputs": "a", "truncation_direction": "up"})", Dialect::kTei).second.find("truncation_direction"),
            std::string::npos);
}

TEST(ServeApi, ResponsesHaveThePipelineShapes) {
  PredictRequest r;
  r.inputs = {"a"};
  auto one = json::parse(predict_response(r, {kTwo[0]}));
  ASSERT_TRUE(one.is_array() && one.size() == 1 && one[0].is_object());
  EXPECT_EQ(one[0]["label"], "POSITIVE");
  r.inputs = {"a", "b"};
  r.batched = true;
  auto many = json::parse(predict_response(r, kTwo));
  ASSERT_EQ(many.size(), 2u);
  EXPECT_EQ(many[1]["label"], "NEGATIVE");  // one dict per input
  r.top_k_given = true;
  auto nested = json::parse(predict_response(r, kTwo));
  ASSERT_TRUE(nested[0].is_array());
  EXPECT_EQ(nested[1][1]["label"], "POSITIVE");
  r.batched = false;
  auto single_k = json::parse(predict_response(r, {kTwo[0]}));
  ASSERT_EQ(single_k.size(), 2u);
  EXPECT_TRUE(single_k[0].is_object());
  r.dialect = Dialect::kTei;
  r.top_k_given = false;
  EXPECT_EQ(json::parse(predict_response(r, {kTwo[0]})).size(), 2u);
  auto body = json::parse(error_body("bad \xff byte", "Validation"));  // invalid UTF-8 stays valid JSON
  EXPECT_EQ(body["error_type"], "Validation");
}

TEST(ServeApi, ExplanationsAttachToTheTopLabel) {
  Explanation e;
  e.label = e.predicted = "POSITIVE";
  e.score = 0.9f;
  e.log_odds = std::log(9.0);
  e.baseline_log_odds = 0.5;
  e.steps = 32;
  e.delta = -0.01;
  e.words = {{"great", 0, 5, 1.5f, 0, 5}, {"café", 6, 10, 0.25f, 6, 11}};
  e.tokens = {{"great", 0, 5, 1.5f}, {"cafe", 6, 10, 0.25f}};
  auto j = json::parse(explanation_json(e));
  EXPECT_EQ(j["label"], "POSITIVE");
  EXPECT_EQ(j["method"], "ig");
  ASSERT_EQ(j["words"].size(), 2u);
  EXPECT_EQ(j["words"][1]["word"], "café");
  EXPECT_EQ(j["words"][1]["start"], 6);
  EXPECT_EQ(j["words"][1]["end"], 10);
  EXPECT_NEAR(j["relative_delta"].get<double>(), 0.01 / (std::log(9.0) - 0.5), 1e-9);
  PredictRequest r = parse_pipeline_request(R"({"inputs": "great café", "explain": true})", 4);
  auto p = json::parse(predict_response(r, {{{"POSITIVE", 0.9f}}}, {e}));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["explanation"]["words"][0]["word"], "great");
  r = parse_pipeline_request(R"({"inputs": "great café", "explain": true, "top_k": 2})", 4);
  p = json::parse(predict_response(r, {{{"POSITIVE", 0.9f}, {"NEGATIVE", 0.1f}}}, {e}));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_TRUE(p[0].contains("explanation"));
  EXPECT_FALSE(p[1].contains("explanation"));
  r = parse_explain_request(R"({"inputs": "great café"})", 4);
  EXPECT_TRUE(json::parse(explain_response(r, {e})).is_object());
  r = parse_explain_request(R"({"inputs": ["great café"]})", 4);
  EXPECT_TRUE(json::parse(explain_response(r, {e})).is_array());
  e.method = ExplainMethod::kOcclusion;
  EXPECT_FALSE(json::parse(explanation_json(e)).contains("delta"));
}

TEST(ServeApi, FlagLogWritesQuotedCsvRows) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\"\nbye"), "\"say \"\"hi\"\"\nbye\"");
  // Cells a spreadsheet would run as formulas are neutralized (OWASP).
  EXPECT_EQ(csv_field("=1+1"), "'=1+1");
  EXPECT_EQ(csv_field("+1"), "'+1");
  EXPECT_EQ(csv_field("-2"), "'-2");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field("\t=x"), "'\t=x");
  EXPECT_EQ(csv_field("=HYPERLINK(\"u\",\"x\")"), "\"'=HYPERLINK(\"\"u\"\",\"\"x\"\")\"");
  EXPECT_EQ(csv_field("a=b"), "a=b");
  char tmpl[] = "/tmp/senti-flag-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/flags.csv";
  FlagLog log(path, {"time", "input"});
  log.append({"t1", "x, \"y\""});
  log.append({"t2", "z"});
  std::string content = read_file(path);
  EXPECT_EQ(content, "time,input\r\nt1,\"x, \"\"y\"\"\"\r\nt2,z\r\n");
  FlagLog bad(std::string(tmpl) + "/missing/dir/flags.csv", {"a"});
  EXPECT_THROW(bad.append({"x"}), senti::Error);
  std::remove(path.c_str());
  rmdir(tmpl);
}

TEST(ServeApi, MetricsRenderPrometheusText) {
  Metrics m;
  m.record_request("/api/predict", 200, 0.004);
  m.record_request("/api/predict", 200, 0.3);
  m.record_request("/api/predict", 422, 0.0001);
  m.record_batch(3, 5, 700);
  m.record_texts(5, 700);
  std::string text = m.render(2, 1, true);
  EXPECT_NE(text.find("senti_requests_total{route=\"/api/predict\",code=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("senti_requests_total{route=\"/api/predict\",code=\"422\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("senti_request_duration_seconds_bucket{route=\"/api/predict\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("senti_request_duration_seconds_bucket{route=\"/api/predict\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("senti_batch_texts_bucket{le=\"4\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("senti_batch_texts_bucket{le=\"8\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("senti_tokens_total 700\n"), std::string::npos);
  EXPECT_NE(text.find("senti_queue_depth 2\n"), std::string::npos);
  EXPECT_NE(text.find("senti_requests_in_flight 1\n"), std::string::npos);
  // Every non-comment line is "name{labels} value" or "name value".
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_NE(line.rfind(' '), std::string::npos) << line;
    EXPECT_EQ(line.rfind("senti_", 0), 0u) << line;
  }
}

TEST(ServeApi, ExplainGateAdmitsWhileAtMostOneBudgetIsQueued) {
  ExplainGate gate(1000);
  auto a = gate.admit(1000);  // a full budget: admitted (nothing ahead)
  auto b = gate.admit(10);    // one budget ahead: admitted, waits behind at most that
  try {
    auto c = gate.admit(1);  // more than one budget ahead: refused
    FAIL() << "admitted with 1010 token-passes queued";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 429);
    EXPECT_GE(e.retry_after, 1);
    EXPECT_NE(std::string(e.what()).find("--max-explain-work"), std::string::npos) << e.what();
  }
  { auto released = std::move(a); }  // a finishes
  auto d = gate.admit(500);
  (void)b;
  (void)d;
}

TEST(ServeApi, HttpRequestParsingIsStrict) {
  HttpLimits limits;
  limits.max_body = 100;
  HttpRequest req;
  std::string error;
  EXPECT_EQ(parse_request("POST /api/predict?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}", limits, req, error), 0)
      << error;
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/api/predict");
  EXPECT_EQ(req.query, "x=1");
  EXPECT_EQ(req.body, "{}");
  EXPECT_EQ(req.header("content-length"), "2");
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", limits, req, error), 400);
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}", limits, req, error), 400);
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", limits, req, error), 413);
  EXPECT_NE(error.find("--max-body"), std::string::npos) << error;
  const std::string chunks = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'a') + "\r\n40\r\n" +
                             std::string(64, 'a') + "\r\n0\r\n\r\n";
  EXPECT_EQ(parse_request(chunks, limits, req, error), 413);
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n{}", limits, req, error), 400);  // cut short
  EXPECT_EQ(parse_request("GARBAGE\r\n\r\n", limits, req, error), 400);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "X: y\r\n";
  EXPECT_EQ(parse_request(many + "\r\n", limits, req, error), 431);
  HttpResponse res;
  res.status = 404;
  res.body = "{\"error\":\"x\"}";
  const std::string head = serialize_response(res, true, false);
  EXPECT_NE(head.find("Content-Length: 13\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << "HEAD: no body";
  EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
}

TEST(ServeApi, TokenizeRequestsAndAnswers) {
  TokenizeRequest r = parse_tokenize_request(R"({"inputs": "a film"})", 4);
  EXPECT_EQ(r.inputs, std::vector<std::string>{"a film"});
  EXPECT_TRUE(r.add_special_tokens);
  EXPECT_FALSE(r.truncate);
  r = parse_tokenize_request(R"({"inputs": ["a", "b"], "add_special_tokens": false, "truncate": true})", 4);
  EXPECT_EQ(r.inputs.size(), 2u);
  EXPECT_FALSE(r.add_special_tokens);
  EXPECT_TRUE(r.truncate);
  for (const char* bad : {R"({})", R"({"inputs": 3})", R"({"inputs": "  "})", R"({"inputs": "a", "truncate": 1})",
                          R"([1])", R"({"inputs": ["a", "b", "c", "d", "e"]})"}) {
    try {
      parse_tokenize_request(bad, 4);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ApiError& e) {
      EXPECT_GE(e.status, 400) << bad;
      EXPECT_LT(e.status, 500) << bad;
    }
  }
  auto j = json::parse(tokenize_response({{{101, "[CLS]", true, 0, 0}, {7, "café", false, 2, 6}}}));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_TRUE(j[0][0]["start"].is_null());
  EXPECT_EQ(j[0][1]["text"], "café");
  EXPECT_EQ(j[0][1]["start"], 2);
  EXPECT_EQ(j[0][1]["stop"], 6);
}
