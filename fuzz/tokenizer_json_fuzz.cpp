// Fuzzes the tokenizer.json loader: any bytes either load or raise senti::Error, never crash,
// hang or leak; a tokenizer that loads must encode text.
#include <cstdint>
#include <string>

#include "text/tokenizer.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  try {
    auto tok = senti::text::Tokenizer::from_json(json, "fuzz.json");
    tok.encode("Hello, [CLS] world! Ünïcödé 中文");
  } catch (const senti::Error&) {
  }
  return 0;
}
