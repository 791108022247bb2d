// Fuzzes the readers of labelled data and behavioural suites: any bytes, read as a JSONL dataset
// (soft targets included), a CSV dataset or a suite file, give consistent examples or raise
// senti::Error; never a crash. Soft targets must come out as probabilities over the labels. The
// same bytes as a review: its sentences, spans and negations (distillation data) never crash,
// and a span or a negation is never empty.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "data/dataset.h"
#include "train/distill_data.h"
#include "train/negation.h"
#include "train/suite.h"
#include "util/error.h"

namespace {
std::string temp_path(const char* suffix) {
  return "/tmp/senti_fuzz_datasets_" + std::to_string(getpid()) + suffix;
}

void check(const senti::data::Dataset& d) {
  for (const auto& e : d.examples) {
    if (e.label < 0 || static_cast<size_t>(e.label) >= d.labels.size()) std::abort();
    if (e.target.empty()) continue;
    if (e.target.size() != d.labels.size()) std::abort();
    double sum = 0;
    for (float p : e.target) {
      if (!(p >= 0.f && p <= 1.f)) std::abort();
      sum += p;
    }
    if (std::fabs(sum - 1.0) > 2e-3) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (std::string_view sentence : senti::train::split_sentences(bytes))
    if (auto n = senti::train::negate_sentence(sentence); n && n->text.empty()) std::abort();
  for (const auto& span : senti::train::cut_spans(bytes, 4, size))
    if (span.empty()) std::abort();
  for (const char* suffix : {".jsonl", ".csv"}) {
    const std::string path = temp_path(suffix);
    std::ofstream(path, std::ios::binary) << bytes;
    for (auto mode : {senti::data::BadRows::kSkip, senti::data::BadRows::kFail}) {
      try {
        check(senti::data::read_dataset(path, {}, mode));
      } catch (const senti::Error&) {
      }
    }
    if (std::string(suffix) == ".jsonl") {
      try {
        for (const auto& c : senti::train::read_suite(path))
          if (c.id.empty() && c.capability.empty()) std::abort();  // capability is required
      } catch (const senti::Error&) {
      }
    }
    std::remove(path.c_str());
  }
  return 0;
}
