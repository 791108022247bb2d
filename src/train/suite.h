// Behavioural test suites (CheckList, Ribeiro et al. 2020): hand-labelled cases grouped by
// capability (short statements, negation, other domains, invariance...), read from JSONL and run
// through a Classifier, with a pass rate per capability and the failures listed. A case passes
// when the predicted label is its "label"; a NEUTRAL case passes when P(POSITIVE) lies within
// [0.35, 0.65]; an invariance case (with "same_as") must also get the same predicted label as
// its original text. Reading and scoring only: no training, no command line.
#pragma once
#include <string>
#include <vector>

#include "senti/classifier.h"

namespace senti::train {

struct SuiteCase {
  std::string id, capability, text;
  std::string label;    // a label of the model, or "NEUTRAL"
  std::string same_as;  // invariance: the text whose prediction this one must equal ("" = none)
};

// One case per line: {"id", "capability", "text", "label", "same_as"?}. Errors name the file,
// the line and the field.
std::vector<SuiteCase> read_suite(const std::string& path);

constexpr double kNeutralLow = 0.35, kNeutralHigh = 0.65;  // P(POSITIVE) of a NEUTRAL pass

struct SuiteOutcome {
  const SuiteCase* c = nullptr;
  std::string predicted;
  double p_positive = 0;
  bool passed = false;
  std::string why;  // for a failure: what was wrong
};

struct CapabilityScore {
  std::string name;
  size_t total = 0, passed = 0;
  double rate() const { return total ? static_cast<double>(passed) / static_cast<double>(total) : 0.0; }
};

struct SuiteResult {
  std::vector<CapabilityScore> capabilities;  // in order of first appearance
  CapabilityScore all{"all"};
  std::vector<SuiteOutcome> outcomes;         // one per case, in file order
  std::string to_json() const;                // totals, per capability, and the failures
  std::string table() const;                  // a plain-text table for people
};

// Classifies every case (and every "same_as" original) with `options`; the model needs a label
// named POSITIVE (any case) for NEUTRAL cases.
SuiteResult run_suite(const Classifier& classifier, const std::vector<SuiteCase>& cases, const ClassifyOptions& options,
                      size_t batch_size = 64);

}  // namespace senti::train
