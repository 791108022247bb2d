// Fuzzes the HTTP API's body parsing (/api/predict, /api/explain, TEI /predict and /tokenize): any bytes either parse
// into a request that honours the limits or raise ApiError with a 4xx status; never anything
// else. A parsed request must also render an answer.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "serve/api.h"

using namespace senti::serve;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (int route = 0; route < 3; ++route) {
    try {
      PredictRequest r = route == 0   ? parse_pipeline_request(body, 8)
                         : route == 1 ? parse_tei_request(body, 8)
                                      : parse_explain_request(body, 8);
      if (route == 2 && !r.explain) std::abort();
      if (r.explain && (r.explain_options.steps < 1 || r.explain_options.steps > kMaxExplainSteps)) std::abort();
      if (r.inputs.empty() || r.inputs.size() > 8) std::abort();
      if (!r.batched && r.inputs.size() != 1) std::abort();
      for (const auto& t : r.inputs)
        if (t.find_first_not_of(" \t\n\r\f\v") == std::string::npos) std::abort();
      std::vector<std::vector<senti::LabelScore>> results(r.inputs.size(), {{"NEGATIVE", 0.25f}, {"POSITIVE", 0.75f}});
      std::vector<senti::Explanation> explanations;
      if (r.explain) {
        senti::Explanation e;
        e.label = e.predicted = "POSITIVE";
        e.words = {{r.inputs[0], 0, 1, 0.5f, 0, r.inputs[0].size()}};  // arbitrary bytes must render
        explanations.assign(r.inputs.size(), e);
        if (explain_response(r, explanations).empty()) std::abort();
      }
      if (predict_response(r, results, explanations).empty()) std::abort();
    } catch (const ApiError& e) {
      if (e.status < 400 || e.status > 499 || e.type.empty()) std::abort();
    }
  }
  try {
    TokenizeRequest t = parse_tokenize_request(body, 8);
    if (t.inputs.empty() || t.inputs.size() > 8) std::abort();
    for (const auto& text : t.inputs)
      if (text.find_first_not_of(" \t\n\r\f\v") == std::string::npos) std::abort();
    // Arbitrary bytes as token text must render as valid JSON.
    if (tokenize_response({{{1, t.inputs[0], false, 0, t.inputs[0].size()}, {2, "[SEP]", true, 0, 0}}}).empty()) std::abort();
  } catch (const ApiError& e) {
    if (e.status < 400 || e.status > 499 || e.type.empty()) std::abort();
  }
  return 0;
}
