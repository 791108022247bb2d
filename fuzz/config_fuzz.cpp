// Fuzzes config.json parsing: any bytes load into a consistent config or raise senti::Error.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "model/config.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto c = senti::model::DistilBertConfig::from_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    if (c.dim % c.n_heads != 0 || c.num_labels() < 1) std::abort();
    auto again = senti::model::DistilBertConfig::from_json(c.to_json("DistilBertForSequenceClassification"), "again");
    if (again.dim != c.dim || again.id2label != c.id2label) std::abort();
  } catch (const senti::Error&) {
  }
  return 0;
}
