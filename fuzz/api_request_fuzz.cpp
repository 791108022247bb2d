// Fuzzes the HTTP API's body parsing (/api/predict and TEI /predict): any bytes either parse
// into a request that honours the limits or raise ApiError with a 4xx status; never anything
// else. A parsed request must also render an answer.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "serve/api.h"

using namespace senti::serve;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (Dialect d : {Dialect::kPipeline, Dialect::kTei}) {
    try {
      PredictRequest r = d == Dialect::kTei ? parse_tei_request(body, 8) : parse_pipeline_request(body, 8);
      if (r.inputs.empty() || r.inputs.size() > 8) std::abort();
      if (!r.batched && r.inputs.size() != 1) std::abort();
      for (const auto& t : r.inputs)
        if (t.find_first_not_of(" \t\n\r\f\v") == std::string::npos) std::abort();
      std::vector<std::vector<senti::LabelScore>> results(r.inputs.size(), {{"NEGATIVE", 0.25f}, {"POSITIVE", 0.75f}});
      if (predict_response(r, results).empty()) std::abort();
    } catch (const ApiError& e) {
      if (e.status < 400 || e.status > 499 || e.type.empty()) std::abort();
    }
  }
  return 0;
}
