// The HTTP API's JSON bodies: requests in the Hugging Face pipeline's shape (/api/predict) and
// text-embeddings-inference's (/predict), parsed and validated into PredictRequest, and the
// answers in the same shapes. Pure functions over bytes (no sockets, no model), so they are
// unit-tested and fuzzed directly. Errors are ApiError: an HTTP status, a message naming the
// field, and an error type.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "senti/classifier.h"
#include "senti/explainer.h"

namespace senti::serve {

struct ApiError : std::runtime_error {
  ApiError(int status, std::string type, const std::string& message, long retry_after = 1)
      : std::runtime_error(message), status(status), type(std::move(type)), retry_after(retry_after) {}
  int status;
  std::string type;  // "Validation", "Overloaded", "Unhealthy", "Unauthorized", "NotFound", "Internal"
  long retry_after;  // seconds, sent as Retry-After with 429 and 503
};

// {"error": message, "error_type": type}, valid JSON whatever bytes the message holds.
std::string error_body(std::string_view message, std::string_view type);

enum class Dialect { kPipeline, kTei };

struct PredictRequest {
  Dialect dialect = Dialect::kPipeline;
  std::vector<std::string> inputs;
  bool batched = false;        // inputs came as a list: answer with a list per input
  bool top_k_given = false;    // pipeline: top_k was set, so each answer is a list of labels
  bool truncate = true;        // false: a text longer than the model's maximum is an error
  ClassifyOptions options;
  bool explain = false;  // attach an explanation of each text's top label
  ExplainOptions explain_options;  // reads the text as `options` does (no sliding window)
};

constexpr int kMaxExplainSteps = 256;  // integrated-gradients steps a request may ask for
constexpr int kMaxJsonDepth = 64;      // deeper bodies are refused while parsing (422)
constexpr size_t kMaxFlagReason = 1000;  // bytes of a flag's reason

// Parses a body for /api/predict: {"inputs": "text" | ["t1", ...], "top_k": n | null | "all",
// "truncation": "head" | "tail" | "head+tail" | true | false, "function_to_apply": ...,
// "explain": true | {"method": "ig" | "gxi" | "occlusion", "steps": n, "tolerance": x, "label": "NAME"}};
// the options may also sit in "parameters" as the Hugging Face Inference API puts them.
// Options absent from the body keep the values in `defaults`.
PredictRequest parse_pipeline_request(std::string_view body, size_t max_inputs, const ClassifyOptions& defaults = {});
// Parses a body for /api/explain: the pipeline's fields plus "method", "steps", "tolerance", "label" at the
// top level or in "parameters".
PredictRequest parse_explain_request(std::string_view body, size_t max_inputs, const ClassifyOptions& defaults = {});
// Parses a body for TEI's /predict: {"inputs": "t" | ["t"] | [["t1"], ["t2"], ...],
// "raw_scores": bool, "truncate": bool, "truncation_direction": "left" | "right"}.
PredictRequest parse_tei_request(std::string_view body, size_t max_inputs, const ClassifyOptions& defaults = {});

// /api/flag's body: {"input": "the text", "flag": "why (optional)", "output": ignored}.
struct FlagRequest {
  std::string input;
  std::string reason;
};
FlagRequest parse_flag_request(std::string_view body);

// The answer for one request: per input, the labels and scores, best first; with
// explanations (one per input), the top label's entry gains "explanation".
std::string predict_response(const PredictRequest& request, const std::vector<std::vector<LabelScore>>& results,
                             const std::vector<Explanation>& explanations = {});
// One explanation as JSON: {"label", "score", "predicted", "log_odds", "method", "words":
// [{"word", "start", "end", "score"}], "tokens": [...], "truncated_tokens"}, plus for IG "steps",
// "baseline_log_odds", "delta", "relative_delta". Spans count code points.
std::string explanation_json(const Explanation& e);
// /api/explain's answer: one explanation for a string input, a list for a list.
std::string explain_response(const PredictRequest& request, const std::vector<Explanation>& explanations);

// TEI's /tokenize: {"inputs": "t" | ["t1", ...], "add_special_tokens": bool (default true),
// "truncate": bool (default false)}.
struct TokenizeRequest {
  std::vector<std::string> inputs;
  bool add_special_tokens = true;
  bool truncate = false;  // "truncate": true cuts at the model's maximum; else a longer text is a 413
};
TokenizeRequest parse_tokenize_request(std::string_view body, size_t max_inputs);
// One token as TEI answers it: its id, its text (the vocabulary entry), whether the template
// added it, and its span [start, stop) in code points of the input (null for added tokens).
struct TokenOut {
  int32_t id;
  std::string text;
  bool special;
  size_t start, stop;
};
// [[{"id", "text", "special", "start", "stop"}, ...], ...]: one list per input, always nested.
std::string tokenize_response(const std::vector<std::vector<TokenOut>>& tokens);

// A 413 for an input longer than the model reads when the request asked not to truncate.
ApiError too_long_error(size_t index, size_t tokens, size_t max_length);

}  // namespace senti::serve
