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

namespace senti::serve {

struct ApiError : std::runtime_error {
  ApiError(int status, std::string type, const std::string& message)
      : std::runtime_error(message), status(status), type(std::move(type)) {}
  int status;
  std::string type;  // "Validation", "Overloaded", "Unhealthy", "Unauthorized", "NotFound", "Internal"
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
};

// Parses a body for /api/predict: {"inputs": "text" | ["t1", ...], "top_k": n | null | "all",
// "truncation": "head" | "tail" | "head+tail" | true | false, "function_to_apply": ...};
// the options may also sit in "parameters" as the Hugging Face Inference API puts them.
// Options absent from the body keep the values in `defaults`.
PredictRequest parse_pipeline_request(std::string_view body, size_t max_inputs, const ClassifyOptions& defaults = {});
// Parses a body for TEI's /predict: {"inputs": "t" | ["t"] | [["t1"], ["t2"], ...],
// "raw_scores": bool, "truncate": bool, "truncation_direction": "left" | "right"}.
PredictRequest parse_tei_request(std::string_view body, size_t max_inputs, const ClassifyOptions& defaults = {});

// The answer for one request: per input, the labels and scores, best first.
std::string predict_response(const PredictRequest& request,
                             const std::vector<std::vector<LabelScore>>& results);

// A 413 for an input longer than the model reads when the request asked not to truncate.
ApiError too_long_error(size_t index, size_t tokens, size_t max_length);

}  // namespace senti::serve
