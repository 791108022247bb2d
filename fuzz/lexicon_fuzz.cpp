// Fuzzes the polarity lexicon's parser (train/lexicon.h): any bytes either parse into a lexicon
// with at least one entry, whose polarities lie in [-4, 4], or raise senti::Error; never a crash.
// The same bytes as a text: a parsed lexicon's score of them is finite.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "train/lexicon.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto lex = senti::train::PolarityLexicon::parse(bytes, "fuzz.tsv");
    if (lex.size() == 0) std::abort();
    const double s = lex.score(bytes);
    if (!std::isfinite(s)) std::abort();
    const double p = lex.polarity(bytes.substr(0, bytes.find_first_of(" \t\n*")));
    if (std::fabs(p) > 4) std::abort();
  } catch (const senti::Error&) {
  }
  return 0;
}
